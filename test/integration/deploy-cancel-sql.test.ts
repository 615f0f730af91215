/**
 * A signal during SQL that hangs inside PostgreSQL (waiting on a lock another session holds, or in pg_sleep): the
 * built CLI must cancel the statement on the server (not wait for it) and exit 130/143 with one truthful line —
 * during a migration (exactly the changesets this run applied are rolled back, the previous release is back),
 * during a failed deploy's undo (its rollback SQL cancelled: the changesets still recorded are named, with the
 * command that finishes), and during `slipway rollback` (nothing undone, back where it was; the next rollback
 * completes). The lock is held until the CLI has exited, so a CLI that waited for the statement would time out.
 */
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, readHistory, rollback } from '../../src/deploy/index.js';
import { verifyTree } from '../../src/deploy/verify-tree.js';
import type { Config } from '../../src/config/schema.js';
import { queryRows } from '../helpers/pg.js';
import { waitFor } from '../helpers/wait.js';
import type { FixtureChangeSet } from '../fixtures/deploy/db-package.js';
import type { FixturePackage } from '../fixtures/deploy/make-package.js';
import { ensureDist } from '../helpers/cli-bin.js';
import {
  activeBackends,
  appPackage,
  setupAppTarget,
  type AppTarget,
  type CliOutcome as Outcome,
} from '../helpers/deploy-target.js';

const CS1: FixtureChangeSet = { id: '1', sql: 'CREATE TABLE c1 (id int);', rollback: 'DROP TABLE c1;' };
const CS2: FixtureChangeSet = { id: '2', sql: 'CREATE TABLE c2 (id int);', rollback: 'DROP TABLE c2;' };
// Blocks while the test's own session holds an ACCESS EXCLUSIVE lock on `held`.
const LOCKED: FixtureChangeSet = { id: '3', sql: 'INSERT INTO held VALUES (3);', rollback: 'DELETE FROM held;' };
const SLEEPS: FixtureChangeSet = { id: '3', sql: 'SELECT pg_sleep(600);', rollback: 'SELECT 1;' };
const PLAIN: FixtureChangeSet = { id: '3', sql: 'CREATE TABLE c3 (id int);', rollback: 'DROP TABLE c3;' };
// Its migration never touches `held`; its rollback waits on the lock the test holds on `held`.
const UNDO_LOCKED: FixtureChangeSet = {
  id: '3',
  sql: 'CREATE TABLE c3 (id int);',
  rollback: 'DELETE FROM held WHERE id = 3; DROP TABLE c3;',
};

describe('Ctrl-C during a hanging SQL statement (built CLI, real PostgreSQL)', () => {
  let s: AppTarget;
  let root: string;
  let config: Config;
  let p1Id: string;
  const pkg: Record<'P1' | 'LOCKED' | 'SLEEPS' | 'PLAIN' | 'UNDO_LOCKED', FixturePackage> = {} as never;

  beforeAll(async () => {
    await ensureDist();
    s = await setupAppTarget('cancel');
    root = s.root;
    config = await s.config({ health: { url: `http://127.0.0.1:${s.port}/health`, timeoutMs: 5000, intervalMs: 50 } });
    pkg.P1 = await appPackage('1.0.0', [CS1]);
    pkg.LOCKED = await appPackage('2.0.0', [CS1, CS2, LOCKED]);
    pkg.SLEEPS = await appPackage('2.1.0', [CS1, CS2, SLEEPS]);
    pkg.PLAIN = await appPackage('2.2.0', [CS1, CS2, PLAIN]);
    pkg.UNDO_LOCKED = await appPackage('2.3.0', [CS1, CS2, UNDO_LOCKED], { status: 'UNHEALTHY' });
    await queryRows(s.db.url, 'CREATE TABLE held (id int)');
    p1Id = (await deploy({ config, packagePath: pkg.P1.path, target: 'prod' })).releaseId;
  }, 300_000);

  afterAll(async () => {
    await s?.cleanup();
  });

  /** Holds an ACCESS EXCLUSIVE lock on `held` from a second session while `fn` runs. */
  async function holdingLock<T>(fn: (holderPid: number) => Promise<T>): Promise<T> {
    const holder = new pg.Client({ connectionString: s.db.url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE held IN ACCESS EXCLUSIVE MODE');
      const r = await fn(Number((await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid));
      await holder.query('ROLLBACK');
      return r;
    } finally {
      await holder.end();
    }
  }

  /** current is a verified 1.0.0 (P1), the app answering is it, databasechangelog holds only its changeset, no lock. */
  async function assertOnP1(): Promise<void> {
    const id = await s.current();
    expect(id).toBe(p1Id);
    expect((await verifyTree(path.join(root, 'releases', id!))).problems).toEqual([]);
    await waitFor('the app to answer as 1.0.0', async () => (await s.answer()) === 'version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1']);
    const tables = await queryRows(s.db.url, "SELECT relname FROM pg_class WHERE relname IN ('c2', 'c3')");
    expect(tables).toEqual([]);
    expect(await s.lockFree()).toBe(true);
  }

  /** Deploys `p` with the built CLI; once `hanging` sees the statement blocked on the server, sends `sig`. */
  const interruptHanging = (p: FixturePackage, sig: 'SIGINT' | 'SIGTERM', hanging: () => Promise<boolean>) =>
    s.cli(['deploy', p.path, '--target', 'prod'], { signal: sig, when: hanging });

  const running = (like: string, except = 0) => activeBackends(s.db.url, like, except);

  /** The journal lines of the newest run of `kind`. */
  async function newestRun(kind: 'deploy' | 'rollback') {
    const history = await readHistory(root);
    const run = history.filter((e) => e.kind === kind && e.step === 'run' && e.status === 'begin').pop()!.run;
    return history.filter((e) => e.run === run);
  }

  async function checkOutcome(r: Outcome, sig: 'SIGINT' | 'SIGTERM', code: number) {
    expect(r.code, r.err).toBe(code);
    expect(r.err).toContain(`${sig} received: stopping the deploy`);
    const lines = r.err.split('\n').filter((l) => l.startsWith('error '));
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error E_INTERRUPTED: interrupted by ${sig}: current is still ${p1Id}; database: rolled back the 1 changeset\\(s\\) \\S+ applied \\(changelog\\.sql::2::test\\); databasechangelog no longer records them; ${p1Id} passed its health gate$`,
        ),
      ),
    ]);
    expect(r.err).not.toMatch(/^hint:/m);
    // The journal says which statement was cancelled, and that the run was interrupted.
    const mine = await newestRun('deploy');
    expect(mine.find((e) => e.step === 'migrate' && e.status === 'failed')?.message).toBe(
      `E_DB: changeset changelog.sql::3::test cancelled by ${sig} while it ran (SQLSTATE 57014)`,
    );
    expect(mine.find((e) => e.step === 'run' && e.status === 'failed')).toMatchObject({
      data: { interrupted: true, settled: { current: p1Id, complete: true, dbRemaining: [] } },
    });
    await assertOnP1();
  }

  /** The next deploy needs no manual step; then back to 1.0.0 for the next case. */
  async function nextDeployAndReset() {
    const next = await deploy({ config, packagePath: pkg.PLAIN.path, target: 'prod' });
    expect(next.ok).toBe(true);
    expect(await s.changelog()).toEqual(['1', '2', '3']);
    const rb = await rollback({ config, target: 'prod', to: p1Id });
    expect(rb.databaseRolledBack.map((k) => k.id)).toEqual(['3', '2']);
    await assertOnP1();
  }

  it('SIGINT while a changeset waits on a lock another session holds: cancelled, undone, exit 130', async () => {
    const r = await holdingLock(async (holderPid) => {
      const out = await interruptHanging(pkg.LOCKED, 'SIGINT', async () =>
        (await running('%INSERT INTO held%', holderPid)).some((b) => b.wait_event_type === 'Lock'),
      );
      // Cancelled on the server while the lock was still held: no backend of the run waits on it any more.
      expect(await running('%INSERT INTO held%', holderPid)).toEqual([]);
      return out;
    });
    await checkOutcome(r, 'SIGINT', 130);
    expect(await queryRows(s.db.url, 'SELECT id FROM held')).toEqual([]);
    await nextDeployAndReset();
  }, 400_000);

  it('SIGTERM during pg_sleep(600): cancelled, undone, exit 143', async () => {
    const r = await interruptHanging(pkg.SLEEPS, 'SIGTERM', async () => (await running('%pg_sleep(600)%')).length > 0);
    expect(await running('%pg_sleep(600)%')).toEqual([]);
    await checkOutcome(r, 'SIGTERM', 143);
    await nextDeployAndReset();
  }, 400_000);

  it("SIGINT while a failed deploy's undo waits on a lock in its rollback SQL: cancelled, exit 130, the changesets still recorded named, recover finishes", async () => {
    const r = await holdingLock(async (holderPid) => {
      const out = await interruptHanging(pkg.UNDO_LOCKED, 'SIGINT', async () =>
        (await running('%DELETE FROM held%', holderPid)).some((b) => b.wait_event_type === 'Lock'),
      );
      expect(await running('%DELETE FROM held%', holderPid)).toEqual([]);
      return out;
    });
    expect(r.code, r.err).toBe(130);
    const v2 = (await newestRun('deploy'))[0]!.release!;
    const lines = r.err.split('\n').filter((l) => l.startsWith('error '));
    expect(lines).toEqual([
      expect.stringMatching(
        new RegExp(
          `^error E_INTERRUPTED: interrupted by SIGINT while undoing a failed deploy \\(release ${v2} is not healthy: .*\\): current is ${p1Id} again; restarted ${p1Id}; database: could not undo the changesets ${v2} applied: statement cancelled by SIGINT while it ran \\(SQLSTATE 57014\\).*; databasechangelog still records 2 of them: changelog\\.sql::2::test, changelog\\.sql::3::test; ${p1Id} is live on the schema with them applied; ${p1Id} passed its health gate; to finish: slipway recover --target prod --yes$`,
        ),
      ),
    ]);
    // observed: 1.0.0 live and answering, changesets 2 and 3 still recorded (the rollback's transaction was
    // rolled back), the lock free
    expect(await s.current()).toBe(p1Id);
    await waitFor('the app to answer as 1.0.0', async () => (await s.answer()) === 'version 1.0.0\n');
    expect(await s.changelog()).toEqual(['1', '2', '3']);
    expect(await s.lockFree()).toBe(true);
    const closing = (await newestRun('deploy')).find((e) => e.step === 'run' && e.status === 'failed');
    expect(closing).toMatchObject({ data: { interrupted: true, settled: { current: p1Id, complete: false } } });
    // The lock the other session held is gone: the command the message names finishes the recovery.
    const fix = await s.cli(['recover', '--target', 'prod', '--yes']);
    expect(fix.code, fix.err).toBe(0);
    expect(fix.out).toMatch(/database: rolled back the 2 changeset\(s\) \S+ applied/);
    await assertOnP1();
  }, 400_000);

  it('SIGTERM while `slipway rollback` waits on a lock in its rollback SQL: cancelled, nothing undone, back where it was, exit 143; the next rollback completes', async () => {
    // UNDO_LOCKED's changesets in a release that passes its health gate
    const healthy = await appPackage('2.4.0', [CS1, CS2, UNDO_LOCKED]);
    const v2 = (await deploy({ config, packagePath: healthy.path, target: 'prod' })).releaseId;
    expect(await s.changelog()).toEqual(['1', '2', '3']);
    const r = await holdingLock(async (holderPid) => {
      const out = await s.cli(['rollback', '--target', 'prod', '--release', p1Id], {
        signal: 'SIGTERM',
        when: async () => (await running('%DELETE FROM held%', holderPid)).some((b) => b.wait_event_type === 'Lock'),
      });
      expect(await running('%DELETE FROM held%', holderPid)).toEqual([]);
      return out;
    });
    expect(r.code, r.err).toBe(143);
    expect(r.err).toContain('SIGTERM received: stopping the rollback');
    const lines = r.err.split('\n').filter((l) => l.startsWith('error '));
    expect(lines).toEqual([
      `error E_INTERRUPTED: interrupted by SIGTERM: database: the rollback of the 2 changeset(s) did not complete and databasechangelog still records all of them (changelog.sql::3::test, changelog.sql::2::test): nothing was undone; current is ${v2} again; restarted ${v2}; ${v2} passed its health gate`,
    ]);
    expect(r.err).not.toMatch(/^hint:/m);
    // observed: 2.4.0 live and answering, all three changesets recorded, its tables there, the lock free
    expect(await s.current()).toBe(v2);
    await waitFor('the app to answer as 2.4.0', async () => (await s.answer()) === 'version 2.4.0\n');
    expect(await s.changelog()).toEqual(['1', '2', '3']);
    expect(await queryRows(s.db.url, "SELECT relname FROM pg_class WHERE relname IN ('c2', 'c3')")).toHaveLength(2);
    expect(await s.lockFree()).toBe(true);
    expect((await newestRun('rollback')).find((e) => e.step === 'run' && e.status === 'failed')).toMatchObject({
      data: { interrupted: true, settled: { current: v2, complete: true } },
    });
    // The next run completes with no manual step.
    const next = await s.cli(['rollback', '--target', 'prod', '--release', p1Id]);
    expect(next.code, next.err).toBe(0);
    await assertOnP1();
  }, 400_000);
});
