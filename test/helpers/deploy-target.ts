/**
 * One deploy target for integration tests that need a real app and real PostgreSQL: its own directory, database
 * and app port; packages of the fixture app with changesets; what the test observes (the app's answer,
 * databasechangelog, `current`, the lock); and the built CLI run until a condition, then signalled.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, mkdtemp, readFile, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readLock } from '../../src/deploy/lock.js';
import type { Config } from '../../src/config/schema.js';
import { RESTART_SCRIPT, STOP_SCRIPT } from '../fixtures/deploy/app.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeDbParts, type FixtureChangeSet } from '../fixtures/deploy/db-package.js';
import { makeFixturePackage, type FixturePackage } from '../fixtures/deploy/make-package.js';
import { BIN, ROOT } from './cli-bin.js';
import { createTestDatabase, queryRows, type TestDatabase } from './pg.js';
import { waitFor } from './wait.js';
import { reservedPort } from './ports.js';

export interface CliOutcome {
  code: number | null;
  signal: string | null;
  out: string;
  err: string;
}

/** A package of the fixture app (test/fixtures/deploy/app-server.mjs) at `version` with these changesets. */
export async function appPackage(
  version: string,
  changeSets: FixtureChangeSet[],
  opts: { status?: string; files?: Record<string, string> } = {},
): Promise<FixturePackage> {
  const parts = await makeDbParts(version, changeSets);
  return makeFixturePackage({
    version,
    compatibility: parts.compatibility,
    files: {
      ...parts.files,
      'application/server.mjs': await readFile(path.join(ROOT, 'test/fixtures/deploy/app-server.mjs'), 'utf8'),
      'application/version.txt': `${version}\n`,
      ...(opts.status ? { 'application/status.txt': `${opts.status}\n` } : {}),
      ...opts.files,
    },
  });
}

/** Backends of `url`'s database other than this one and `except` that are running a statement `LIKE like`. */
export async function activeBackends(
  url: string,
  like: string,
  except = 0,
): Promise<{ pid: number; wait_event_type: string | null }[]> {
  return (
    await queryRows(
      url,
      `SELECT pid, wait_event_type FROM pg_stat_activity WHERE datname = current_database()
         AND pid <> pg_backend_pid() AND pid <> ${except} AND state = 'active' AND query LIKE '${like}'`,
    )
  ).map((r) => r as { pid: number; wait_event_type: string | null });
}

export interface AppTarget {
  db: TestDatabase;
  dir: string;
  root: string;
  port: number;
  /** slipway.config.yaml written with target `prod` = the defaults, the setup's settings, then `more`. */
  config: (more?: Record<string, unknown>) => Promise<Config>;
  /** What answers on the app's port: its body, or `unreachable: …`. */
  answer: () => Promise<string>;
  /** databasechangelog ids, sorted ([] when the table does not exist). */
  changelog: () => Promise<string[]>;
  /** The release id `current` names, or null. */
  current: () => Promise<string | null>;
  lockFree: () => Promise<boolean>;
  /** Runs the built CLI in the target's directory; once `when` holds, sends `signal` (if any); resolves at exit. */
  cli: (args: string[], opts?: { signal?: NodeJS.Signals; when?: () => Promise<boolean> }) => Promise<CliOutcome>;
  /** Stops the app, removes the directory and drops the database. */
  cleanup: () => Promise<void>;
}

/** A fresh target `prod` (own directory, database, app port) with rollbackDatabase on and the app's restart/stop. */
export async function setupAppTarget(prefix: string, target: Record<string, unknown> = {}): Promise<AppTarget> {
  const db = await createTestDatabase(`slipway_${prefix}`);
  const dir = await mkdtemp(path.join(tmpdir(), `slipway-${prefix}-`));
  const root = path.join(dir, 'target');
  const appState = path.join(dir, 'app');
  await mkdir(appState);
  const port = await reservedPort();
  const config = (more: Record<string, unknown> = {}) =>
    makeDeployConfig(dir, {
      databaseUrl: db.url,
      rollbackDatabase: true,
      restart: `APP_PORT=${port} APP_STATE=${appState} sh ${RESTART_SCRIPT}`,
      stop: `APP_STATE=${appState} sh ${STOP_SCRIPT}`,
      health: { url: `http://127.0.0.1:${port}/health`, timeoutMs: 3000, intervalMs: 50 },
      commandTimeoutMs: 20_000,
      ...target,
      ...more,
    });
  const cli: AppTarget['cli'] = async (args, opts = {}) => {
    const c = spawn(process.execPath, [BIN, ...args, '--config', 'slipway.config.yaml'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    let outcome: CliOutcome | null = null;
    const exited = new Promise<CliOutcome>((resolve) =>
      c.on('exit', (code, signal) => resolve((outcome = { code, signal, out, err }))),
    );
    try {
      if (opts.when) {
        const when = opts.when;
        await waitFor('the CLI to reach the point the test waits for', async () => outcome !== null || (await when()), {
          timeoutMs: 120_000,
        });
      }
      if (opts.signal && outcome === null) c.kill(opts.signal);
      return await waitFor('the CLI to exit', () => outcome ?? false, { timeoutMs: 120_000 });
    } catch (e) {
      throw new Error(`${(e as Error).message}\nCLI stderr so far:\n${err}`, { cause: e });
    } finally {
      if (outcome === null) c.kill('SIGKILL');
      await exited;
    }
  };
  return {
    db,
    dir,
    root,
    port,
    config,
    answer: async () =>
      fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(15_000) }).then(
        (r) => r.text(),
        (e: Error) => `unreachable: ${e.message}`,
      ),
    changelog: async () =>
      (await queryRows(db.url, 'SELECT id FROM databasechangelog ORDER BY id').catch(() => [])).map((r) =>
        String(r.id),
      ),
    current: async () =>
      readlink(path.join(root, 'current')).then(
        (l) => path.basename(l),
        () => null,
      ),
    lockFree: async () => (await readLock(path.join(root, '.slipway/lock'))) === null,
    cli,
    cleanup: async () => {
      execFileSync('sh', [STOP_SCRIPT], { env: { ...process.env, APP_STATE: appState } });
      await rm(dir, { recursive: true, force: true });
      await db.drop();
    },
  };
}
