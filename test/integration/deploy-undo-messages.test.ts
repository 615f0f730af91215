/**
 * The lines a failed deploy's undo reports (src/deploy/settle.ts), each checked against what the test observes on
 * the target, the app and databasechangelog: changesets that stay applied because rollbackDatabase is off, rollback
 * SQL that fails during the undo, a previous release that does not pass its health gate again, and a first deploy
 * (nothing was live) that is undone completely. Real PostgreSQL, a real app, one fresh target and database each.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { deploy, readHistory } from '../../src/deploy/index.js';
import { readLock } from '../../src/deploy/lock.js';
import type { SlipwayError } from '../../src/errors.js';
import { RESTART_SCRIPT, STOP_SCRIPT, freePort } from '../fixtures/deploy/app.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeDbParts, type FixtureChangeSet } from '../fixtures/deploy/db-package.js';
import { makeFixturePackage } from '../fixtures/deploy/make-package.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { waitFor } from '../helpers/wait.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CS1: FixtureChangeSet = { id: '1', sql: 'CREATE TABLE u1 (id int);', rollback: 'DROP TABLE u1;' };
const CS2: FixtureChangeSet = { id: '2', sql: 'CREATE TABLE u2 (id int);', rollback: 'DROP TABLE u2;' };

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

/** A fresh target (own directory, database, app port) with the given target settings. */
async function setup(target: Record<string, unknown> = {}) {
  const db: TestDatabase = await createTestDatabase('slipway_undo');
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-undo-'));
  const appState = path.join(dir, 'app');
  await mkdir(appState);
  const port = await freePort();
  cleanups.push(async () => {
    execFileSync('sh', [STOP_SCRIPT], { env: { ...process.env, APP_STATE: appState } });
    await rm(dir, { recursive: true, force: true });
    await db.drop();
  });
  const settings = (more: Record<string, unknown>) => ({
    databaseUrl: db.url,
    rollbackDatabase: true,
    restart: `APP_PORT=${port} APP_STATE=${appState} sh ${RESTART_SCRIPT}`,
    stop: `APP_STATE=${appState} sh ${STOP_SCRIPT}`,
    health: { url: `http://127.0.0.1:${port}/health`, timeoutMs: 3000, intervalMs: 50 },
    commandTimeoutMs: 20_000,
    ...target,
    ...more,
  });
  const root = path.join(dir, 'target');
  const pkg = async (version: string, changeSets: FixtureChangeSet[], status = 'HEALTHY') => {
    const parts = await makeDbParts(version, changeSets);
    return (
      await makeFixturePackage({
        version,
        compatibility: parts.compatibility,
        files: {
          ...parts.files,
          'application/server.mjs': await readFile(path.join(repo, 'test/fixtures/deploy/app-server.mjs'), 'utf8'),
          'application/version.txt': `${version}\n`,
          'application/status.txt': `${status}\n`,
        },
      })
    ).path;
  };
  const answer = async () =>
    fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }).then(
      (r) => r.text(),
      (e: Error) => `unreachable: ${e.message}`,
    );
  const changelog = async () =>
    (await queryRows(db.url, 'SELECT id FROM databasechangelog ORDER BY id').catch(() => [])).map((r) => r.id);
  const current = async () =>
    readlink(path.join(root, 'current')).then(
      (l) => path.basename(l),
      () => null,
    );
  const lockFree = async () => (await readLock(path.join(root, '.slipway/lock'))) === null;
  const config = (more: Record<string, unknown> = {}) => makeDeployConfig(dir, settings(more));
  return { db, dir, root, port, pkg, answer, changelog, current, lockFree, config };
}

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
            `^database: could not undo the changesets ${v2} applied: .*table "no_such_table_u2" does not exist`,
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
});
