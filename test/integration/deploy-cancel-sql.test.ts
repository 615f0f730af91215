/**
 * A signal during a migration whose changeset hangs inside PostgreSQL (waiting on a lock another session holds, or
 * in pg_sleep): the built CLI must cancel the statement on the server (not wait for it), roll back exactly the
 * changesets this run applied, put the previous release back and exit 130/143 with one truthful line. The lock is
 * held until the CLI has exited, so a CLI that waited for the statement would time out here.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, readHistory, rollback } from '../../src/deploy/index.js';
import { readLock } from '../../src/deploy/lock.js';
import { verifyTree } from '../../src/deploy/verify-tree.js';
import type { Config } from '../../src/config/schema.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { waitFor } from '../helpers/wait.js';
import { RESTART_SCRIPT, STOP_SCRIPT, freePort } from '../fixtures/deploy/app.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeDbParts, type FixtureChangeSet } from '../fixtures/deploy/db-package.js';
import { makeFixturePackage, type FixturePackage } from '../fixtures/deploy/make-package.js';
import { ensureDist } from '../helpers/cli-bin.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CS1: FixtureChangeSet = { id: '1', sql: 'CREATE TABLE c1 (id int);', rollback: 'DROP TABLE c1;' };
const CS2: FixtureChangeSet = { id: '2', sql: 'CREATE TABLE c2 (id int);', rollback: 'DROP TABLE c2;' };
// Blocks while the test's own session holds an ACCESS EXCLUSIVE lock on `held`.
const LOCKED: FixtureChangeSet = { id: '3', sql: 'INSERT INTO held VALUES (3);', rollback: 'DELETE FROM held;' };
const SLEEPS: FixtureChangeSet = { id: '3', sql: 'SELECT pg_sleep(600);', rollback: 'SELECT 1;' };
const PLAIN: FixtureChangeSet = { id: '3', sql: 'CREATE TABLE c3 (id int);', rollback: 'DROP TABLE c3;' };

interface Outcome {
  code: number | null;
  signal: string | null;
  err: string;
}

describe('Ctrl-C during a hanging SQL statement (built CLI, real PostgreSQL)', () => {
  let db: TestDatabase;
  let dir: string;
  let root: string;
  let appState: string;
  let port: number;
  let config: Config;
  let p1Id: string;
  const pkg: Record<'P1' | 'LOCKED' | 'SLEEPS' | 'PLAIN', FixturePackage> = {} as never;

  async function appPackage(version: string, changeSets: FixtureChangeSet[]) {
    const parts = await makeDbParts(version, changeSets);
    return makeFixturePackage({
      version,
      compatibility: parts.compatibility,
      files: {
        ...parts.files,
        'application/server.mjs': await readFile(path.join(repo, 'test/fixtures/deploy/app-server.mjs'), 'utf8'),
        'application/version.txt': `${version}\n`,
      },
    });
  }

  beforeAll(async () => {
    await ensureDist();
    db = await createTestDatabase('slipway_cancel');
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-cancel-'));
    root = path.join(dir, 'target');
    appState = path.join(dir, 'app');
    await mkdir(appState);
    port = await freePort();
    config = await makeDeployConfig(dir, {
      databaseUrl: db.url,
      rollbackDatabase: true,
      restart: `APP_PORT=${port} APP_STATE=${appState} sh ${RESTART_SCRIPT}`,
      stop: `APP_STATE=${appState} sh ${STOP_SCRIPT}`,
      health: { url: `http://127.0.0.1:${port}/health`, timeoutMs: 5000, intervalMs: 50 },
      commandTimeoutMs: 20_000,
    });
    pkg.P1 = await appPackage('1.0.0', [CS1]);
    pkg.LOCKED = await appPackage('2.0.0', [CS1, CS2, LOCKED]);
    pkg.SLEEPS = await appPackage('2.1.0', [CS1, CS2, SLEEPS]);
    pkg.PLAIN = await appPackage('2.2.0', [CS1, CS2, PLAIN]);
    await queryRows(db.url, 'CREATE TABLE held (id int)');
    p1Id = (await deploy({ config, packagePath: pkg.P1.path, target: 'prod' })).releaseId;
  }, 180_000);

  afterAll(async () => {
    execFileSync('sh', [STOP_SCRIPT], { env: { ...process.env, APP_STATE: appState } });
    await rm(dir, { recursive: true, force: true });
    await db?.drop();
  });

  /** current is a verified 1.0.0 (P1), the app answering is it, databasechangelog holds only its changeset, no lock. */
  async function assertOnP1(): Promise<void> {
    const id = path.basename(await readlink(path.join(root, 'current')));
    expect(id).toBe(p1Id);
    expect((await verifyTree(path.join(root, 'releases', id))).problems).toEqual([]);
    await waitFor('the app to answer as 1.0.0', async () => {
      const r = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      return r !== null && (await r.text()) === 'version 1.0.0\n';
    });
    const rows = await queryRows(db.url, 'SELECT id FROM databasechangelog ORDER BY id');
    expect(rows.map((r) => r.id)).toEqual(['1']);
    const tables = await queryRows(db.url, "SELECT relname FROM pg_class WHERE relname IN ('c2', 'c3')");
    expect(tables).toEqual([]);
    expect(await readLock(path.join(root, '.slipway/lock'))).toBeNull();
  }

  /** Deploys `p` with the built CLI; once `hanging` sees the statement blocked on the server, sends `sig`. */
  async function interruptHanging(
    p: FixturePackage,
    sig: 'SIGINT' | 'SIGTERM',
    hanging: () => Promise<boolean>,
  ): Promise<Outcome> {
    const c = spawn(
      process.execPath,
      [path.join(repo, 'bin/slipway.js'), 'deploy', p.path, '--target', 'prod', '--config', 'slipway.config.yaml'],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let err = '';
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.stdout.resume();
    const exited = new Promise<Outcome>((resolve) => c.on('exit', (code, signal) => resolve({ code, signal, err })));
    let outcome: Outcome | null = null;
    void exited.then((o) => (outcome = o));
    try {
      await waitFor('the changeset to hang inside PostgreSQL', async () => outcome === null && (await hanging()), {
        timeoutMs: 120_000,
      });
      c.kill(sig);
      // The statement would hang for minutes: only a cancelled statement lets the CLI exit in time.
      return await waitFor('the CLI to exit after the signal', () => outcome ?? false, { timeoutMs: 90_000 });
    } catch (e) {
      throw new Error(`${(e as Error).message}\nCLI stderr so far:\n${err}`, { cause: e });
    } finally {
      if (outcome === null) c.kill('SIGKILL');
    }
  }

  /** Backends of this database other than `except` running `like`. */
  const running = async (like: string, except = 0) =>
    (
      await queryRows(
        db.url,
        `SELECT pid, wait_event_type, state FROM pg_stat_activity WHERE datname = current_database()
           AND pid <> pg_backend_pid() AND pid <> ${except} AND state = 'active' AND query LIKE '${like}'`,
      )
    ).map((r) => r as { pid: number; wait_event_type: string | null });

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
    const history = await readHistory(root);
    const run = history.filter((e) => e.kind === 'deploy' && e.step === 'run' && e.status === 'begin').pop()!.run;
    const mine = history.filter((e) => e.run === run);
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
    expect((await queryRows(db.url, 'SELECT id FROM databasechangelog ORDER BY id')).map((r) => r.id)).toEqual([
      '1',
      '2',
      '3',
    ]);
    const rb = await rollback({ config, target: 'prod', to: p1Id });
    expect(rb.databaseRolledBack.map((k) => k.id)).toEqual(['3', '2']);
    await assertOnP1();
  }

  it('SIGINT while a changeset waits on a lock another session holds: cancelled, undone, exit 130', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    let r: Outcome;
    try {
      await holder.query('BEGIN');
      await holder.query('LOCK TABLE held IN ACCESS EXCLUSIVE MODE');
      const holderPid = Number((await holder.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
      r = await interruptHanging(pkg.LOCKED, 'SIGINT', async () =>
        (await running('%INSERT INTO held%', holderPid)).some((b) => b.wait_event_type === 'Lock'),
      );
      // Cancelled on the server while the lock was still held: no backend of the run waits on it any more.
      expect(await running('%INSERT INTO held%', holderPid)).toEqual([]);
      await holder.query('ROLLBACK');
    } finally {
      await holder.end();
    }
    await checkOutcome(r, 'SIGINT', 130);
    expect(await queryRows(db.url, 'SELECT id FROM held')).toEqual([]);
    await nextDeployAndReset();
  }, 400_000);

  it('SIGTERM during pg_sleep(600): cancelled, undone, exit 143', async () => {
    const r = await interruptHanging(pkg.SLEEPS, 'SIGTERM', async () => (await running('%pg_sleep(600)%')).length > 0);
    expect(await running('%pg_sleep(600)%')).toEqual([]);
    await checkOutcome(r, 'SIGTERM', 143);
    await nextDeployAndReset();
  }, 400_000);
});
