/**
 * More lines a failure path prints, each checked against what the test observes (issue 10: "every message in a
 * failure path is checked by a test for truthfulness"): a stop command that cannot even be started while a first
 * deploy is undone (settle.ts), a journal that cannot record the undo of a failed deploy (deploy-failure.ts) or of a
 * failed rollback (rollback.ts) or a step's failure (step-runner.ts), a run whose closing line could not be journaled
 * and whose kept release later breaks (deploy.ts, recover.ts), a damaged journal shown and recovered (recover.ts), a
 * deploy refused before it touched anything while `current` was moved (deploy-failure.ts), an undo whose database
 * went away (settle.ts), and `slipway recover` while the database is unreachable (admin.ts, recover.ts). Where a message names the command that finishes the recovery, the
 * test removes the cause and runs that command through the built CLI. Real PostgreSQL (behind a TCP relay the test
 * can take away), a real app, real mounts (tmpfs, read-only bind), one fresh target and database each.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, readHistory, rollback } from '../../src/deploy/index.js';
import type { SlipwayError } from '../../src/errors.js';
import type { FixtureChangeSet } from '../fixtures/deploy/db-package.js';
import { ensureDist } from '../helpers/cli-bin.js';
import { appPackage, setupAppTarget, type AppTarget } from '../helpers/deploy-target.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { waitFor } from '../helpers/wait.js';
import { ioFaultAt } from './deploy-faults-harness.js';

const CS1: FixtureChangeSet = { id: '1', sql: 'CREATE TABLE m1 (id int);', rollback: 'DROP TABLE m1;' };
const CS2: FixtureChangeSet = { id: '2', sql: 'CREATE TABLE m2 (id int);', rollback: 'DROP TABLE m2;' };

const cleanups: (() => Promise<void>)[] = [];
beforeAll(async () => {
  if (process.getuid?.() !== 0)
    throw new Error('these tests mount filesystems: run them as root (CI and this sandbox do)');
  await ensureDist();
}, 300_000);
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

async function setup(target: Record<string, unknown> = {}) {
  const s: AppTarget = await setupAppTarget('msgs', target);
  cleanups.push(s.cleanup);
  const pkg = async (version: string, changeSets: FixtureChangeSet[], status = 'HEALTHY') =>
    (await appPackage(version, changeSets, { status })).path;
  return { ...s, pkg };
}

const failing = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('the run succeeded; it was meant to fail');
    },
    (e: unknown) => e as SlipwayError,
  );

/** The newest run of `kind` in the journal (its begin line). */
const lastRun = async (root: string, kind = 'deploy') =>
  (await readHistory(root)).filter((x) => x.kind === kind && x.step === 'run' && x.status === 'begin').pop()!;

/** The journal's lines of `run` (raw, so a line the reader would skip is not missed). */
const journalLinesOf = async (root: string, run: string) =>
  (await readFile(path.join(root, '.slipway/journal.jsonl'), 'utf8'))
    .split('\n')
    .filter((l) => l.includes(`"run":"${run}"`));

const re = (s: string) => s.replace(/[/.*+?^${}()|[\]\\]/g, '\\$&');

describe('what a failure path says is what the test observes (real PostgreSQL, real app, built CLI)', () => {
  it('"the stop command could not run": its log cannot be created (the logs filesystem is out of inodes) — nothing says stopped, the app still answers; recover finishes once there is room', async () => {
    const s = await setup();
    const logs = path.join(s.root, '.slipway/logs');
    await mkdir(logs, { recursive: true });
    // Room for exactly one file (the root directory takes one inode): the restart command's log. The stop
    // command's log then cannot be created: a real full filesystem (ENOSPC), at the one step that needs a new file.
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,nr_inodes=2', 'tmpfs', logs]);
    let mounted = true;
    const unmount = () => {
      if (mounted) execFileSync('umount', [logs]);
      mounted = false;
    };
    cleanups.push(async () => unmount());
    await s.config();
    const r = await s.cli(['deploy', await s.pkg('2.0.0', [CS1, CS2], 'UNHEALTHY'), '--target', 'prod']);
    const run = (await lastRun(s.root)).run;
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/^error E_HEALTH: release \S+ is not healthy: UNHEALTHY/m);
    const stopLog = path.join(logs, `${run}-stop.log`);
    expect(r.err).toContain(`the stop command could not run: ENOSPC: no space left on device, open '${stopLog}'`);
    expect(r.err).toContain(
      'automatic rollback INCOMPLETE: nothing is live: current removed (nothing was live before)',
    );
    // Not undone under the failed release, which may still serve (it does: see below).
    expect(r.err).toMatch(
      /database: not undone: the app was not stopped, so the failed release may still serve on them; databasechangelog still records 2 changeset\(s\) \S+ applied: changelog\.sql::1::test, changelog\.sql::2::test/,
    );
    expect(r.err).not.toMatch(/rolled back the \d+ changeset/);
    expect(r.err).toContain('to finish: slipway recover --target prod --yes');
    expect(r.err).not.toMatch(/stopped the app|the stop command failed/);
    // observed: the stop command never ran (no log), nothing is live yet the failed release still answers, on its
    // changesets, which stay; the lock is free
    expect(existsSync(stopLog)).toBe(false);
    expect(existsSync(path.join(logs, `${run}-restart.log`))).toBe(true);
    expect(await s.current()).toBeNull();
    expect(await s.answer()).toBe('version 2.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await s.lockFree()).toBe(true);
    // Room again: the command the message names stops the app, then undoes the changesets.
    unmount();
    const fix = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(fix.code, fix.err).toBe(0);
    expect(fix.out).toMatch(
      /stopped the app \(stop command\); database: rolled back the 2 changeset\(s\) \S+ applied \(changelog\.sql::1::test, changelog\.sql::2::test\); databasechangelog no longer records them/,
    );
    await waitFor('the app to stop answering', async () => (await s.answer()).startsWith('unreachable: '));
    expect(await s.current()).toBeNull();
    expect(await s.changelog()).toEqual([]);
    expect(await s.lockFree()).toBe(true);
  }, 240_000);

  it('"the journal could not record this" (deploy): the journal turns read-only during the health gate; the undo it could not record happened as the details say, and the next recover settles the run again', async () => {
    const s = await setup();
    const config = await s.config();
    const v1 = (await deploy({ config, packagePath: await s.pkg('1.0.0', [CS1]), target: 'prod' })).releaseId;
    const fault = ioFaultAt(s.root, 'journal read-only', 'health:begin#1');
    cleanups.push(fault.undo);
    const journal = path.join(s.root, '.slipway/journal.jsonl');
    const before = await readFile(journal, 'utf8');
    const e = await failing(
      deploy({
        config,
        packagePath: await s.pkg('2.0.0', [CS1, CS2], 'UNHEALTHY'),
        target: 'prod',
        onProgress: fault.onProgress,
      }),
    );
    fault.expectInjected();
    const begin = await lastRun(s.root);
    const v2 = begin.release!;
    expect(e.code).toBe('E_HEALTH');
    const erofs = `cannot write the deploy journal ${journal}: the filesystem is read-only (EROFS)`;
    expect(e.details).toEqual(
      expect.arrayContaining([
        `the journal could not record this step's failure: ${erofs}`,
        `rolled back automatically: current is ${v1} again`,
        `database: rolled back the 1 changeset(s) ${v2} applied (changelog.sql::2::test); databasechangelog no longer records them`,
        `restarted ${v1}`,
        `${v1} passed its health gate`,
        `the journal could not record this: ${erofs}; the next deploy, rollback or \`slipway recover --target prod --yes\` finds this run unfinished and settles it again`,
      ]),
    );
    // observed: the journal holds nothing after the health gate began (the undo and the closing line are missing,
    // as the details say), yet the undo happened: 1.0.0 live and answering, changeset 2 gone, lock free
    const mine = await journalLinesOf(s.root, begin.run);
    expect(mine[mine.length - 1]).toMatch(/"step":"health","status":"begin"/);
    expect((await readFile(journal, 'utf8')).startsWith(before)).toBe(true);
    expect(await s.current()).toBe(v1);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1']);
    expect(await s.lockFree()).toBe(true);
    // The journal writable again: recover shows the run as unfinished, and --yes settles it (nothing left to undo).
    await fault.undo();
    const show = await s.cli(['recover', '--target', 'prod']);
    expect(show.code).toBe(1);
    expect(show.out).toContain(`deploy run ${begin.run} (release ${v2}) was interrupted at health (begin)`);
    const fix = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(fix.code, fix.err).toBe(0);
    expect(fix.out).toContain(`current is still ${v1}`);
    expect(fix.out).toContain('database: databasechangelog records none of changelog.sql::2::test; nothing to undo');
    expect(await s.current()).toBe(v1);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1']);
    expect(await s.lockFree()).toBe(true);
  }, 240_000);

  it('"… is live … only the end of the run could not be journaled", then "had passed its gates but is UNHEALTHY now": recover keeps a release only while it is healthy', async () => {
    const s = await setup();
    const config = await s.config();
    const v1 = (await deploy({ config, packagePath: await s.pkg('1.0.0', [CS1]), target: 'prod' })).releaseId;
    // The journal turns read-only after the last step, so the run's closing line is what it refuses; 2.0.0 turns
    // UNHEALTHY once `broken` exists (fail-when.txt), which this test creates after recover has been shown.
    const fault = ioFaultAt(s.root, 'journal read-only', 'retention:ok#1');
    cleanups.push(fault.undo);
    const broken = path.join(s.dir, 'breaks-2.0.0');
    const pkg2 = await appPackage('2.0.0', [CS1, CS2], { files: { 'application/fail-when.txt': `${broken}\n` } });
    const e = await failing(deploy({ config, packagePath: pkg2.path, target: 'prod', onProgress: fault.onProgress }));
    fault.expectInjected();
    const begin = await lastRun(s.root);
    const v2 = begin.release!;
    expect(e.code).toBe('E_IO');
    expect(e.details).toContain(
      `${v2} is live: it passed its health gate and smoke tests; only the end of the run could not be journaled`,
    );
    // observed: 2.0.0 live and answering, both changesets applied, the closing line missing, the lock free
    expect(await s.current()).toBe(v2);
    expect(await s.answer()).toBe('version 2.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2']);
    const mine = await journalLinesOf(s.root, begin.run);
    expect(mine[mine.length - 1]).toMatch(/"step":"retention","status":"ok"/);
    expect(await s.lockFree()).toBe(true);
    await fault.undo();
    // What recover would do while 2.0.0 is still healthy: keep it, after a health probe (shown, nothing changed).
    const show = await s.cli(['recover', '--target', 'prod']);
    expect(show.out).toContain(
      `deploy run ${begin.run} (release ${v2}) was interrupted at retention (ok): keep ${v2} live (${v2} passed its health gate and smoke tests before the run stopped, and is live), after a health probe`,
    );
    expect(await s.current()).toBe(v2);
    const health = `http://127.0.0.1:${s.port}/health`;
    await writeFile(broken, '');
    await waitFor('2.0.0 to turn UNHEALTHY', async () => (await fetch(health).catch(() => null))?.status === 503, {
      timeoutMs: 60_000,
    });
    const fix = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(fix.code, fix.err).toBe(0);
    expect(fix.out).toMatch(
      new RegExp(
        `^deploy run ${begin.run} \\(release ${v2}\\) was interrupted at retention \\(ok\\); ${v2} had passed its gates but is UNHEALTHY now \\([^)]*\\); current is ${v1} again; restarted ${v1}; database: rolled back the 1 changeset\\(s\\) ${v2} applied \\(changelog\\.sql::2::test\\); databasechangelog no longer records them; ${v1} passed its health gate$`,
        'm',
      ),
    );
    // observed: 2.0.0 was not kept — 1.0.0 live and answering, changeset 2 undone
    expect(await s.current()).toBe(v1);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1']);
    expect(await s.lockFree()).toBe(true);
  }, 240_000);

  it('recover on a damaged journal: "line N … is invalid (checksum mismatch); skipped" and a torn tail "will be moved aside, and do not change what is live" — shown without changing anything, and --yes changes nothing live', async () => {
    const s = await setup();
    const config = await s.config();
    const v1 = (await deploy({ config, packagePath: await s.pkg('1.0.0', [CS1]), target: 'prod' })).releaseId;
    const journal = path.join(s.root, '.slipway/journal.jsonl');
    // One byte of line 2's message changed (its checksum no longer matches), and 17 bytes of a line never finished.
    const lines = (await readFile(journal, 'utf8')).split('\n');
    const offset2 = Buffer.byteLength(lines[0]! + '\n');
    lines[1] = lines[1]!.replace('"step":"', '"step":"X');
    const torn = '{"run":"torn","ki';
    const damaged = lines.join('\n') + torn;
    await writeFile(journal, damaged);
    const tornAt = Buffer.byteLength(damaged) - torn.length;
    const pid = await readFile(path.join(s.dir, 'app/app.pid'), 'utf8');
    const show = await s.cli(['recover', '--target', 'prod']);
    expect(show.code).toBe(1);
    expect(show.out).toContain(
      `journal: ${torn.length} unreadable byte(s) at its end (offset ${tornAt}, 1 line(s): torn or corrupt); they will be moved aside, and do not change what is live`,
    );
    expect(show.out).toContain(`journal: line 2 (offset ${offset2}) is invalid (checksum mismatch); skipped`);
    expect(await readFile(journal, 'utf8')).toBe(damaged);
    const fix = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(fix.code, fix.err).toBe(0);
    expect(fix.out).toContain(
      `journal: ${torn.length} unreadable byte(s) at its end (offset ${tornAt}: torn or corrupt) moved to ${journal}.torn-${tornAt}; nothing live was changed because of them`,
    );
    expect(fix.out).toContain('journal: line 2 is invalid (checksum mismatch); skipped');
    // observed: the tail is where the line says, line 2 is still there (skipped, not removed), nothing live changed
    expect(await readFile(`${journal}.torn-${tornAt}`, 'utf8')).toBe(torn);
    expect((await readFile(journal, 'utf8')).split('\n')[1]).toBe(lines[1]);
    expect(await readFile(path.join(s.dir, 'app/app.pid'), 'utf8')).toBe(pid);
    expect(await s.current()).toBe(v1);
    expect(await s.answer()).toBe('version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1']);
    expect(await s.lockFree()).toBe(true);
  }, 240_000);

  it('a deploy refused before it touched anything, while something else moved `current`: says what current is and that this run left it, never "put back"', async () => {
    const s = await setup();
    const config = await s.config();
    // 1.0.0 turns UNHEALTHY once it is live (fail-when.txt): the next deploy's pre-check refuses it (nothing touched yet).
    const broken = path.join(s.dir, 'breaks-1.0.0');
    const pkg1 = await appPackage('1.0.0', [CS1], { files: { 'application/fail-when.txt': `${broken}\n` } });
    const v1 = (await deploy({ config, packagePath: pkg1.path, target: 'prod' })).releaseId;
    const health = `http://127.0.0.1:${s.port}/health`;
    await writeFile(broken, '');
    await waitFor('1.0.0 to turn UNHEALTHY', async () => (await fetch(health).catch(() => null))?.status === 503, {
      timeoutMs: 60_000,
    });
    // While the pre-check runs, something puts a directory where the `current` link was.
    const current = path.join(s.root, 'current');
    let replaced: Promise<void> | null = null;
    const e = await failing(
      deploy({
        config,
        packagePath: await s.pkg('2.0.0', [CS1]),
        target: 'prod',
        onProgress: (ev) => {
          if (ev.step === 'precheck' && ev.status === 'begin' && !replaced)
            replaced = rm(current).then(() => mkdir(current));
        },
      }),
    );
    await replaced;
    expect(e.code).toBe('E_HEALTH');
    expect(e.message).toMatch(/^the live system is UNHEALTHY before the deploy/);
    expect(e.details).toContain(
      `current is (none), not ${v1} as when this run began; this run stopped before switching, restarting or migrating anything, and left it as it is`,
    );
    expect(e.details.join('\n')).not.toMatch(/put back|rolled back|restarted/);
    // observed: `current` is the directory something else put there (it names no release), 1.0.0 still answers,
    // the database untouched, the lock free
    expect((await lstat(current)).isDirectory()).toBe(true);
    expect(await s.current()).toBeNull();
    expect(await s.answer()).toBe('version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1']);
    expect(await s.lockFree()).toBe(true);
  }, 240_000);

  it('"the journal could not record this" (rollback): the journal turns read-only after the database rollback; the rollback completes forward as the details say', async () => {
    const s = await setup();
    const config = await s.config();
    const v1 = (await deploy({ config, packagePath: await s.pkg('1.0.0', [CS1]), target: 'prod' })).releaseId;
    const v2 = (await deploy({ config, packagePath: await s.pkg('2.0.0', [CS1, CS2]), target: 'prod' })).releaseId;
    const fault = ioFaultAt(s.root, 'journal read-only', 'health:begin#1');
    cleanups.push(fault.undo);
    const journal = path.join(s.root, '.slipway/journal.jsonl');
    const e = await failing(rollback({ config, target: 'prod', onProgress: fault.onProgress }));
    fault.expectInjected();
    const begin = await lastRun(s.root, 'rollback');
    const erofs = `cannot write the deploy journal ${journal}: the filesystem is read-only (EROFS)`;
    expect(e.code).toBe('E_IO');
    expect(e.message).toBe(erofs);
    expect(e.details).toEqual([
      `current is still ${v1}`,
      `restarted ${v1}`,
      'database: databasechangelog records none of changelog.sql::2::test; nothing to undo',
      `${v1} passed its health gate`,
      `the journal could not record this: ${erofs}; the next deploy, rollback or \`slipway recover --target prod --yes\` finds this run unfinished and settles it again`,
    ]);
    // observed: the journal stops at the health gate's begin line (after the database rollback: 1.0.0 was restarted
    // before it); 1.0.0 live and answering, changeset 2 rolled back
    const mine = await journalLinesOf(s.root, begin.run);
    expect(mine[mine.length - 1]).toMatch(/"step":"health","status":"begin"/);
    expect(mine.some((l) => /"step":"db-rollback","status":"ok"/.test(l))).toBe(true);
    expect(await s.current()).toBe(v1);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1']);
    expect(await s.lockFree()).toBe(true);
    await fault.undo();
    const fix = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(fix.code, fix.err).toBe(0);
    expect(fix.out).toContain(
      `rollback run ${begin.run} (release ${v1}) was interrupted at health (begin); current is still ${v1}`,
    );
    expect(await s.current()).toBe(v1);
    expect(await s.current()).not.toBe(v2);
    expect(await s.changelog()).toEqual(['1']);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
  }, 240_000);

  it('"database: could not undo the changesets … applied" with the database gone: claims nothing it could not read; recover (unreachable: changes nothing, says so) then finishes once it is back', async () => {
    const s = await setup();
    const proxy = await startTcpProxy(Number(new URL(s.db.url).port || 5432));
    let down = false;
    cleanups.push(async () => {
      if (down) await proxy.start();
    });
    const viaUrl = proxy.via(s.db.url);
    const config = await s.config({ databaseUrl: viaUrl });
    const v1 = (await deploy({ config, packagePath: await s.pkg('1.0.0', [CS1]), target: 'prod' })).releaseId;
    const usedBefore = proxy.connections();
    expect(usedBefore).toBeGreaterThan(0);
    // The database goes away once 2.0.0 has migrated and its health gate begins (the relay stops: ECONNREFUSED).
    let stopping: Promise<void> | null = null;
    const e = await failing(
      deploy({
        config,
        packagePath: await s.pkg('2.0.0', [CS1, CS2], 'UNHEALTHY'),
        target: 'prod',
        onProgress: (ev) => {
          if (ev.step === 'health' && ev.status === 'begin' && !stopping) {
            down = true;
            stopping = proxy.stop();
          }
        },
      }),
    );
    await stopping;
    const begin = await lastRun(s.root);
    const v2 = begin.release!;
    expect(e.code).toBe('E_HEALTH');
    const unreachable = `cannot connect to ${viaUrl}: connect ECONNREFUSED 127.0.0.1:${proxy.port}`;
    const refused = `cannot read public.databasechangelog of ${viaUrl}: cannot connect: connect ECONNREFUSED 127.0.0.1:${proxy.port}`;
    expect(e.details).toEqual(
      expect.arrayContaining([
        `automatic rollback INCOMPLETE: current is ${v1} again`,
        `database: could not undo the changesets ${v2} applied: ${refused}; databasechangelog could not be read, so which of the 1 changeset(s) to undo (changelog.sql::2::test) are applied is not known`,
        `restarted ${v1}`,
        `${v1} passed its health gate`,
        'to finish: slipway recover --target prod --yes',
      ]),
    );
    // Nothing claimed about what databasechangelog holds, nothing claimed undone.
    expect(e.details.join('\n')).not.toMatch(/rolled back the \d+ changeset|still records|records none/);
    // observed (read directly, not through the relay): changeset 2 is still applied; 1.0.0 live and answering
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await s.current()).toBe(v1);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
    expect(await s.lockFree()).toBe(true);

    // recover while the database is still unreachable: shows it, and --yes changes nothing (no restart) and says so.
    const pidFile = path.join(s.dir, 'app', 'app.pid');
    const pidBefore = existsSync(pidFile) ? await readFile(pidFile, 'utf8') : null;
    const show = await s.cli(['recover', '--target', 'prod']);
    expect(show.code).toBe(1);
    expect(show.out).toContain(`database: unreachable (public.databasechangelog not read: ${unreachable})`);
    expect(show.out).toContain(`deploy run ${begin.run} (release ${v2}) ended with its undo incomplete`);
    const journalBefore = await readFile(path.join(s.root, '.slipway/journal.jsonl'), 'utf8');
    const stuck = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(stuck.code).toBe(1);
    expect(stuck.out).toContain(`database: unreachable (public.databasechangelog not read: ${unreachable})`);
    expect(stuck.out).toMatch(
      new RegExp(
        `^nothing was recovered: deploy run ${begin.run} has 1 changeset\\(s\\) to undo if still recorded \\(changelog\\.sql::2::test\\), and the database that records them cannot be read \\(${re(refused)}\\); current is still ${v1}, no app was restarted, the journal is unchanged; run \`slipway recover --target prod --yes\` once the database answers$`,
        'm',
      ),
    );
    expect(stuck.out).not.toMatch(/(?<!app was )restarted|passed its health gate|rolled back/);
    expect(await readFile(path.join(s.root, '.slipway/journal.jsonl'), 'utf8')).toBe(journalBefore);
    expect(existsSync(pidFile) ? await readFile(pidFile, 'utf8') : null).toBe(pidBefore);
    expect(await s.current()).toBe(v1);
    expect(await s.answer()).toBe('version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2']);
    expect(await s.lockFree()).toBe(true);

    // The database is back: the command both messages name finishes the recovery.
    await proxy.start();
    down = false;
    const fix = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(fix.code, fix.err).toBe(0);
    expect(fix.out).toContain('database: 2 changeset(s) recorded; 1 not in');
    expect(fix.out).toContain(
      `database: rolled back the 1 changeset(s) ${v2} applied (changelog.sql::2::test); databasechangelog no longer records them`,
    );
    expect(await s.changelog()).toEqual(['1']);
    expect(await s.current()).toBe(v1);
    await waitFor('1.0.0 to answer', async () => (await s.answer()) === 'version 1.0.0\n');
    expect(await s.lockFree()).toBe(true);
    // and the next deploy needs no manual step
    const v3 = (await deploy({ config, packagePath: await s.pkg('3.0.0', [CS1, CS2]), target: 'prod' })).releaseId;
    expect(await s.current()).toBe(v3);
    expect(await s.changelog()).toEqual(['1', '2']);
  }, 300_000);
});
