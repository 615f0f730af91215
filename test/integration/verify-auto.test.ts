// database.verifyUrl: auto (src/db/verify-target.ts) on the real server at 127.0.0.1:5432: a build of the example
// verifies on a scratch database there (and drops it), and on PGlite, saying why, when nothing answers or the role may
// not CREATE DATABASE; both engines give the example the same schema fingerprint.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { build, type BuildResult } from '../../src/builder/pipeline.js';
import { resolveVerifyTarget } from '../../src/db/verify-target.js';
import { PG_ADMIN_URL, queryRows, scratchDatabaseName } from '../helpers/pg.js';
import { releasePort, reservedPort } from '../helpers/ports.js';
import { removeTree } from '../helpers/tmp.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/umig-sample');
const admin = new URL(PG_ADMIN_URL);
/** The libpq environment of the test server (trust auth), as a developer's shell would have it. */
const PG_ENV = { PGHOST: admin.hostname, PGPORT: admin.port || '5432', PGUSER: decodeURIComponent(admin.username) };

let dir: string;
let closedPort: number;
beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'slipway-verify-auto-'));
  cpSync(EXAMPLE, dir, { recursive: true, filter: (p) => !/[/\\](dist|out)([/\\]|$)/.test(p.slice(EXAMPLE.length)) });
  const clutter = path.join(dir, 'scripts/make-clutter.mjs');
  if (existsSync(clutter)) execFileSync(process.execPath, [clutter], { cwd: dir, stdio: 'ignore' });
  closedPort = await reservedPort(); // reserved, never listened on: a connection is refused
});
afterAll(async () => {
  releasePort(closedPort);
  await removeTree(dir);
});

/** Builds the example (env prod) with database.verifyUrl: auto under `env`, into out-<name>. */
async function buildAuto(name: string, env: Record<string, string>): Promise<BuildResult> {
  const { config } = await loadConfig({ cwd: dir, environment: 'prod', env: {} });
  return build({
    config: { ...config, database: { ...config.database, verifyUrl: 'auto' } },
    outDir: path.join(dir, `out-${name}`),
    sourceDateEpoch: 1_700_000_000,
    env: { PATH: process.env.PATH ?? '', ...env },
  });
}

const verifyPhase = (r: BuildResult) => r.phases.find((p) => p.name === 'verify')!;

describe('database.verifyUrl: auto', () => {
  let onPg: BuildResult;
  let onPglite: BuildResult;
  beforeAll(async () => {
    onPg = await buildAuto('pg', PG_ENV);
    onPglite = await buildAuto('pglite', { ...PG_ENV, PGPORT: String(closedPort) });
  }, 300_000);

  it('verifies the build on a scratch database of the local server, and drops it', async () => {
    const phase = verifyPhase(onPg);
    expect(phase).toMatchObject({ status: 'ok', engine: 'postgresql' });
    expect(phase.reason).toContain(`PostgreSQL scratch database in a child process, concurrent with compile; peak RSS`);
    expect(phase.reason).toContain(
      `database.verifyUrl auto: the local PostgreSQL at postgres://${PG_ENV.PGUSER}@${PG_ENV.PGHOST}:${PG_ENV.PGPORT}/postgres answered and may CREATE DATABASE`,
    );
    const run = onPg.details.packaged.verifyRun!;
    expect(run.verify.engine).toBe('postgresql');
    expect(run.verify.scratchDatabase).toMatch(/^slipway_verify_[0-9a-f]{10}$/);
    expect(
      await queryRows(PG_ADMIN_URL, `SELECT 1 FROM pg_database WHERE datname = '${run.verify.scratchDatabase}'`),
    ).toEqual([]);
    expect(onPg.manifest.components.database.healthStatus).toBe('HEALTHY');
  });

  it('verifies on PGlite when nothing answers at PGHOST:PGPORT, and says why', () => {
    const phase = verifyPhase(onPglite);
    expect(phase).toMatchObject({ status: 'ok', engine: 'pglite' });
    expect(phase.reason).toMatch(/^PGlite in a child process/);
    expect(phase.reason).toContain(
      `database.verifyUrl auto: no local PostgreSQL answered at ${PG_ENV.PGHOST}:${closedPort}`,
    );
    expect(onPglite.details.packaged.verifyRun!.verify.scratchDatabase).toBeNull();
  });

  it('gives the example the same schema fingerprint on both engines', () => {
    const fp = onPg.manifest.components.database.schemaFingerprint;
    expect(fp).toEqual(expect.any(String));
    expect(onPglite.manifest.components.database.schemaFingerprint).toBe(fp);
  });

  it('falls back to PGlite when the role may not CREATE DATABASE', async () => {
    const role = scratchDatabaseName('slipway_nocreatedb');
    await queryRows(PG_ADMIN_URL, `CREATE ROLE "${role}" LOGIN NOCREATEDB NOSUPERUSER`);
    try {
      const t = await resolveVerifyTarget('auto', { env: { ...PG_ENV, PGUSER: role } });
      expect(t).toEqual({
        engine: 'pglite',
        reason: `database.verifyUrl auto: the local PostgreSQL at ${PG_ENV.PGHOST}:${PG_ENV.PGPORT} answered, but role ${role} may not CREATE DATABASE (no CREATEDB, not superuser)`,
      });
    } finally {
      await queryRows(PG_ADMIN_URL, `DROP ROLE IF EXISTS "${role}"`);
    }
  });
});
