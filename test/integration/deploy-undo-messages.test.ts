/**
 * The lines a failed deploy's undo reports (src/deploy/settle.ts) and a rollback's (src/deploy/rollback.ts), each
 * checked against what the test observes on the target, the app and databasechangelog: changesets that stay applied
 * because rollbackDatabase is off, rollback SQL that fails during the undo, a previous release that does not pass
 * its health gate again, a first deploy (nothing was live) that is undone completely, a switch back that fails, a
 * stop command that fails, and history rows a rule on databasechangelog keeps. Where a message says
 * `slipway recover … --yes` finishes the recovery, the test fixes the cause and runs that command (built CLI).
 * Real PostgreSQL, a real app, one fresh target and database each.
 */
import { lstat, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, readHistory, rollback } from '../../src/deploy/index.js';
import type { DeployEvent } from '../../src/deploy/types.js';
import type { SlipwayError } from '../../src/errors.js';
import type { FixtureChangeSet } from '../fixtures/deploy/db-package.js';
import { ensureDist } from '../helpers/cli-bin.js';
import { appPackage, setupAppTarget, type AppTarget } from '../helpers/deploy-target.js';
import { queryRows } from '../helpers/pg.js';
import { waitFor } from '../helpers/wait.js';

const CS1: FixtureChangeSet = { id: '1', sql: 'CREATE TABLE u1 (id int);', rollback: 'DROP TABLE u1;' };
const CS2: FixtureChangeSet = { id: '2', sql: 'CREATE TABLE u2 (id int);', rollback: 'DROP TABLE u2;' };

const cleanups: (() => Promise<void>)[] = [];
beforeAll(ensureDist, 300_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** A fresh target (own directory, database, app port) with the given target settings. */
async function setup(target: Record<string, unknown> = {}) {
  const s: AppTarget = await setupAppTarget('undo', target);
  cleanups.push(s.cleanup);
  const pkg = async (version: string, changeSets: FixtureChangeSet[], status = 'HEALTHY') =>
    (await appPackage(version, changeSets, { status })).path;
  return { ...s, pkg };
}

/** The release the newest deploy run was installing. */
const lastDeployed = async (root: string) =>
  (await readHistory(root)).filter((x) => x.kind === 'deploy' && x.step === 'run' && x.status === 'begin').pop()!
    .release;

const failing = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('the deploy succeeded; it was meant to fail its health gate');
    },
    (e: unknown) => e as SlipwayError,
  );

describe('what a failed deploy says it did is what it did (real PostgreSQL, real app)', () => {
  it('rollbackDatabase off: the changeset stays applied, and the message says so and how it ends', async () => {
    const s = await setup({ rollbackDatabase: false });
    const config = await s.config();
    const v1 = (await deploy({ config, packagePath: await s.pkg('1.0.0', [CS1]), target: 'prod' })).releaseId;
    const e = await failing(
      deploy({ config, packagePath: await s.pkg('2.0.0', [CS1, CS2], 'UNHEALTHY'), target: 'prod' }),
    );
    const v2 = (await readHistory(s.root)).filter((x) => x.step === 'run' && x.status === 'begin').pop()!.release;
    expect(e.code).toBe('E_HEALTH');
    expect(e.details).toEqual(
      expect.arrayContaining([
        `rolled back automatically, except the database: current is ${v1} again`,
        `database: 1 changeset(s) ${v2} applied stay applied (rollbackDatabase is off): changelog.sql::2::test`,
        `restarted ${v1}`,
        `${v1} passed its health gate`,
        'they stay applied until a release that contains them is deployed (slipway deploy <package> --target prod)',
      ]),
    );
    // observed: v1 live and answering, changeset 2 still recorded, lock free
    expect(await s.current()).toBe(v1);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await s.lockFree()).toBe(true);
  }, 180_000);

  it('rollback SQL that fails during the undo: the changeset is named as still applied, with the command to finish', async () => {
    const s = await setup();
    const config = await s.config();
    const v1 = (await deploy({ config, packagePath: await s.pkg('1.0.0', [CS1]), target: 'prod' })).releaseId;
    const broken: FixtureChangeSet = { ...CS2, rollback: 'DROP TABLE no_such_table_u2;' };
    const e = await failing(
      deploy({ config, packagePath: await s.pkg('2.0.0', [CS1, broken], 'UNHEALTHY'), target: 'prod' }),
    );
    const v2 = (await readHistory(s.root)).filter((x) => x.step === 'run' && x.status === 'begin').pop()!.release;
    expect(e.code).toBe('E_HEALTH');
    expect(e.details).toEqual(
      expect.arrayContaining([
        `automatic rollback INCOMPLETE: current is ${v1} again`,
        expect.stringMatching(
          new RegExp(
            `^database: could not undo the changesets ${v2} applied: .*table "no_such_table_u2" does not exist.*; databasechangelog still records 1 of them: changelog.sql::2::test; ${v1} is live on the schema with them applied$`,
          ),
        ),
        `restarted ${v1}`,
        `${v1} passed its health gate`,
        'to finish: slipway recover --target prod --yes',
      ]),
    );
    expect(e.details.join('\n')).not.toMatch(/rolled back the \d+ changeset/);
    expect(await s.current()).toBe(v1);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await s.lockFree()).toBe(true);
  }, 180_000);

  it('a previous release that fails its health gate again: "did not come back", never "passed"', async () => {
    const s = await setup();
    // 1.0.0 answers DEGRADED: accepted while allowDegraded is on, refused once it is off.
    const v1 = (
      await deploy({
        config: await s.config({
          health: { url: `http://127.0.0.1:${s.port}/health`, timeoutMs: 3000, intervalMs: 50, allowDegraded: true },
        }),
        packagePath: await s.pkg('1.0.0', [CS1], 'DEGRADED'),
        target: 'prod',
      })
    ).releaseId;
    const config = await s.config({
      health: { url: `http://127.0.0.1:${s.port}/health`, timeoutMs: 3000, intervalMs: 50, allowDegraded: false },
    });
    const e = await failing(
      deploy({
        config,
        packagePath: await s.pkg('2.0.0', [CS1, CS2], 'UNHEALTHY'),
        target: 'prod',
        force: true, // the live release is DEGRADED: the pre-check would refuse otherwise
      }),
    );
    expect(e.code).toBe('E_HEALTH');
    const came = e.details.find((d) => d.startsWith(`${v1} did not come back: `));
    expect(came, e.details.join('\n')).toMatch(new RegExp(`^${v1} did not come back: ${v1} is not healthy: DEGRADED`));
    expect(e.details).toEqual(
      expect.arrayContaining([
        `automatic rollback INCOMPLETE: current is ${v1} again`,
        `restarted ${v1}`,
        'to finish: slipway recover --target prod --yes',
      ]),
    );
    expect(e.details).not.toContain(`${v1} passed its health gate`);
    // observed: v1 is what answers, and it is degraded
    expect(await s.current()).toBe(v1);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
    const health = (await (await fetch(`http://127.0.0.1:${s.port}/health`)).json()) as { overall: { status: string } };
    expect(health.overall.status).toBe('DEGRADED');
    expect(await s.changelog()).toEqual(['1']);
    expect(await s.lockFree()).toBe(true);
  }, 180_000);

  it('a first deploy that fails: current removed, the app stopped, its changesets undone — as the message says', async () => {
    const s = await setup();
    const config = await s.config();
    const e = await failing(
      deploy({ config, packagePath: await s.pkg('2.0.0', [CS1, CS2], 'UNHEALTHY'), target: 'prod' }),
    );
    const v2 = (await readHistory(s.root)).filter((x) => x.step === 'run' && x.status === 'begin').pop()!.release;
    expect(e.code).toBe('E_HEALTH');
    expect(e.details).toEqual(
      expect.arrayContaining([
        'rolled back automatically: nothing is live: current removed (nothing was live before)',
        `database: rolled back the 2 changeset(s) ${v2} applied (changelog.sql::1::test, changelog.sql::2::test); databasechangelog no longer records them`,
        'stopped the app (stop command)',
      ]),
    );
    expect(await s.current()).toBeNull();
    await waitFor('the app to stop answering', async () => (await s.answer()).startsWith('unreachable: '));
    expect(await s.changelog()).toEqual([]);
    expect(await s.lockFree()).toBe(true);
  }, 180_000);

  it('a first deploy that fails with no stop command: the app its restart started still answers, so its changesets stay applied, and the message says so', async () => {
    const s = await setup();
    const config = await s.config({ stop: undefined });
    expect(config.deploy.targets.prod!.stop).toBeUndefined();
    const e = await failing(
      deploy({ config, packagePath: await s.pkg('2.0.0', [CS1, CS2], 'UNHEALTHY'), target: 'prod' }),
    );
    const v2 = await lastDeployed(s.root);
    expect(e.code).toBe('E_HEALTH');
    expect(e.details).toEqual(
      expect.arrayContaining([
        'rolled back automatically, except the database: nothing is live: current removed (nothing was live before)',
        'database: not undone: no stop command is configured (the target’s `stop`), so nothing stopped the failed release the restart command started, and it may still serve on them; ' +
          `databasechangelog still records 2 changeset(s) ${v2} applied: changelog.sql::1::test, changelog.sql::2::test`,
        'stop the app by hand; they stay applied until a release that contains them is deployed (slipway deploy <package> --target prod), or configure `stop` to have a failed first deploy stopped and undone',
      ]),
    );
    expect(e.details.join('\n')).not.toMatch(/rolled back the \d+ changeset|stopped the app|slipway recover/);
    // observed: nothing is live, the failed release still answers, on its changesets, which stay
    expect(await s.current()).toBeNull();
    expect(await s.answer()).toBe('version 2.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await s.lockFree()).toBe(true);
    // Nothing is left for recover: the run is closed, and a fixed release deploys on top of them.
    const rec = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(rec.code, rec.err).toBe(0);
    expect(rec.out).toContain('nothing to recover');
    const v3 = await deploy({ config, packagePath: await s.pkg('3.0.0', [CS1, CS2]), target: 'prod' });
    expect(v3.executed).toEqual([]);
    await waitFor('3.0.0 to answer', async () => (await s.answer()) === 'version 3.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2']);
  }, 240_000);

  it('a switch back that fails ("could not point current at"): named with its cause, nothing claimed about the app; recover finishes it once the cause is gone', async () => {
    const s = await setup();
    const config = await s.config();
    const v1 = (await deploy({ config, packagePath: await s.pkg('1.0.0', [CS1]), target: 'prod' })).releaseId;
    const current = path.join(s.root, 'current');
    // While 2.0.0 fails its health gate, something puts a directory where the `current` link was: the undo's
    // rename(2) of a new link over it then fails with EISDIR.
    let replaced: Promise<void> | null = null;
    const onProgress = (e: DeployEvent) => {
      if (e.step === 'health' && e.status === 'begin' && !replaced) replaced = rm(current).then(() => mkdir(current));
    };
    const e = await failing(
      deploy({ config, packagePath: await s.pkg('2.0.0', [CS1, CS2], 'UNHEALTHY'), target: 'prod', onProgress }),
    );
    await replaced;
    const v2 = await lastDeployed(s.root);
    expect(e.code).toBe('E_HEALTH');
    const line = e.details.find((d) => d.includes('could not point current at'));
    expect(line, e.details.join('\n')).toMatch(
      new RegExp(
        `^automatic rollback INCOMPLETE: could not point current at ${v1}: EISDIR: illegal operation on a directory, rename '\\S+' -> '${current.replace(/[/.]/g, '\\$&')}'; current is \\(none\\)$`,
      ),
    );
    // 1.0.0 is not live, so the changeset is not undone under 2.0.0, which may still serve (it does: see below).
    expect(e.details).toEqual(
      expect.arrayContaining([
        `database: not undone: current is (none), not ${v1}, so the failed release may still serve on them; databasechangelog still records 1 changeset(s) ${v2} applied: changelog.sql::2::test`,
        'to finish: slipway recover --target prod --yes',
      ]),
    );
    // Nothing was restarted, health-checked or rolled back, and the message does not say so.
    expect(e.details.join('\n')).not.toMatch(/restarted|passed its health gate|rolled back the/);
    // observed: `current` is a directory (it names no release), 2.0.0 still answers on changeset 2, lock free
    expect((await lstat(current)).isDirectory()).toBe(true);
    expect(await s.current()).toBeNull();
    expect(await s.answer()).toBe('version 2.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await s.lockFree()).toBe(true);
    // The cause removed, the command the message names finishes the recovery.
    await rm(current, { recursive: true });
    const fix = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(fix.code, fix.err).toBe(0);
    expect(fix.out).toContain(`ended with its undo incomplete`);
    expect(fix.out).toMatch(
      new RegExp(
        `current is ${v1} again; restarted ${v1}; database: rolled back the 1 changeset\\(s\\) ${v2} applied \\(changelog\\.sql::2::test\\); databasechangelog no longer records them; ${v1} passed its health gate`,
      ),
    );
    expect(await s.current()).toBe(v1);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1']);
    expect(await s.lockFree()).toBe(true);
  }, 240_000);

  it('a stop command that fails while a first deploy is undone: "the stop command failed" with its exit, the app still answering, recover finishes it', async () => {
    const s = await setup();
    // The stop command exits 3 while the flag file exists, and stops the app once it is gone.
    const flag = path.join(s.dir, 'stop-fails');
    await mkdir(flag);
    const stop = (await s.config()).deploy.targets.prod!.stop!;
    const config = await s.config({ stop: `if [ -d ${flag} ]; then echo refusing to stop; exit 3; fi; ${stop}` });
    const e = await failing(
      deploy({ config, packagePath: await s.pkg('2.0.0', [CS1, CS2], 'UNHEALTHY'), target: 'prod' }),
    );
    expect(e.code).toBe('E_HEALTH');
    expect(e.details).toEqual(
      expect.arrayContaining([
        'automatic rollback INCOMPLETE: nothing is live: current removed (nothing was live before)',
        'the stop command failed (it exited with 3: refusing to stop)',
        'database: not undone: the app was not stopped, so the failed release may still serve on them; databasechangelog still records 2 changeset(s) ' +
          `${await lastDeployed(s.root)} applied: changelog.sql::1::test, changelog.sql::2::test`,
        'to finish: slipway recover --target prod --yes',
      ]),
    );
    expect(e.details).not.toContain('stopped the app (stop command)');
    // observed: nothing is live, but the failed release's app still answers, on its changesets, which stay
    expect(await s.current()).toBeNull();
    expect(await s.answer()).toBe('version 2.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await s.lockFree()).toBe(true);
    // Until the cause is fixed, a deploy refuses (its recovery of this run fails the same way) and starts nothing.
    const refused = await failing(deploy({ config, packagePath: await s.pkg('3.0.0', [CS1]), target: 'prod' }));
    expect(refused.code).toBe('E_DEPLOY');
    expect(refused.message).toBe('an interrupted earlier run could not be fully recovered; nothing new was started');
    expect(refused.hint).toBe('Fix what the details name, then run: slipway recover --target prod --yes');
    expect(refused.details.join('\n')).toContain('the stop command failed (it exited with 3: refusing to stop)');
    expect(await s.current()).toBeNull();
    expect(await s.answer()).toBe('version 2.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await s.lockFree()).toBe(true);
    await rm(flag, { recursive: true });
    const fix = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(fix.code, fix.err).toBe(0);
    expect(fix.out).toMatch(/stopped the app \(stop command\); database: rolled back the 2 changeset\(s\)/);
    await waitFor('the app to stop answering', async () => (await s.answer()).startsWith('unreachable: '));
    expect(await s.changelog()).toEqual([]);
    expect(await s.lockFree()).toBe(true);
  }, 240_000);

  it('history rows a rule keeps: "still recorded after the rollback" (deploy undo and `slipway rollback`), as observed; recover finishes once the rule is gone', async () => {
    const s = await setup();
    const config = await s.config();
    // Idempotent rollback SQL, so a second attempt (recover) can run it again after the first committed.
    const cs2: FixtureChangeSet = { ...CS2, rollback: 'DROP TABLE IF EXISTS u2;' };
    const cs3: FixtureChangeSet = { id: '3', sql: 'CREATE TABLE u3 (id int);', rollback: 'DROP TABLE IF EXISTS u3;' };
    const v1 = (await deploy({ config, packagePath: await s.pkg('1.0.0', [CS1]), target: 'prod' })).releaseId;
    // Someone protected the history table: every DELETE on it does nothing.
    const protect = 'CREATE RULE keep_history AS ON DELETE TO databasechangelog DO INSTEAD NOTHING';
    const unprotect = 'DROP RULE keep_history ON databasechangelog';
    const tables = async () =>
      (await queryRows(s.db.url, "SELECT relname FROM pg_class WHERE relname IN ('u2', 'u3') ORDER BY relname")).map(
        (r) => r.relname,
      );
    await queryRows(s.db.url, protect);

    // 1. A failed deploy's undo (settle.ts).
    const e = await failing(
      deploy({ config, packagePath: await s.pkg('2.0.0', [CS1, cs2], 'UNHEALTHY'), target: 'prod' }),
    );
    expect(e.code).toBe('E_HEALTH');
    expect(e.details).toEqual(
      expect.arrayContaining([
        `automatic rollback INCOMPLETE: current is ${v1} again`,
        'database: 1 changeset(s) are still recorded after the rollback: changelog.sql::2::test (its SQL committed, but their rows in databasechangelog were not deleted)',
        `restarted ${v1}`,
        `${v1} passed its health gate`,
        'to finish: slipway recover --target prod --yes',
      ]),
    );
    expect(e.details.join('\n')).not.toMatch(/rolled back the \d+ changeset/);
    // observed: the row stays, the rollback SQL did run (u2 is gone), 1.0.0 live
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await tables()).toEqual([]);
    expect(await s.current()).toBe(v1);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
    expect(await s.lockFree()).toBe(true);
    await queryRows(s.db.url, unprotect);
    const fix = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(fix.code, fix.err).toBe(0);
    expect(fix.out).toContain('database: rolled back the 1 changeset(s)');
    expect(await s.changelog()).toEqual(['1']);

    // 2. `slipway rollback` (rollback.ts): its SQL committed, so it completes forward on 1.0.0 and says so.
    const v3 = (await deploy({ config, packagePath: await s.pkg('3.0.0', [CS1, cs2, cs3]), target: 'prod' })).releaseId;
    await queryRows(s.db.url, protect);
    const r = await failing(rollback({ config, target: 'prod', to: v1 }));
    expect(r.code).toBe('E_ROLLBACK');
    expect(r.message).toBe(
      '2 changeset(s) are still recorded after the rollback: its SQL committed, but their rows in databasechangelog were not deleted',
    );
    expect(r.details).toEqual(
      expect.arrayContaining([
        'changelog.sql::3::test',
        'changelog.sql::2::test',
        `current is still ${v1}`,
        'database: 2 changeset(s) are still recorded after the rollback: changelog.sql::3::test, changelog.sql::2::test (its SQL committed, but their rows in databasechangelog were not deleted)',
        `restarted ${v1}`,
        `${v1} passed its health gate`,
        'to finish: slipway recover --target prod --yes',
      ]),
    );
    expect(`${r.message}\n${r.details.join('\n')}`).not.toMatch(/nothing was undone|current is \S+ again/);
    expect(await s.changelog()).toEqual(['1', '2', '3']);
    expect(await tables()).toEqual([]);
    expect(await s.current()).toBe(v1);
    expect(await s.current()).not.toBe(v3);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
    expect(await s.lockFree()).toBe(true);
    await queryRows(s.db.url, unprotect);
    const fix2 = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(fix2.code, fix2.err).toBe(0);
    expect(await s.changelog()).toEqual(['1']);
    expect(await s.current()).toBe(v1);
  }, 300_000);
});
