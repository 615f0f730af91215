import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { PG_ADMIN_URL, createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { verifyChangelog } from '../../src/db/verify.js';
import { buildDatabasePackage } from '../../src/db/package.js';
import { applySql } from '../../src/db/apply.js';
import { pingDatabase } from '../../src/db/connect.js';
import { getStatus } from '../../src/db/status.js';

const app = { rootDir: path.resolve('test/fixtures/db-pkg/app'), changelog: 'db/master.xml', contexts: ['dev'] };

async function scratchDatabases(): Promise<string[]> {
  const c = new pg.Client({ connectionString: PG_ADMIN_URL });
  await c.connect();
  try {
    return (await c.query("SELECT datname FROM pg_database WHERE datname LIKE 'slipway_verify_%'")).rows.map(
      (r: { datname: string }) => r.datname,
    );
  } finally {
    await c.end();
  }
}

describe('verifyChangelog', () => {
  it('PGlite and a scratch PostgreSQL database agree: every changeset EXECUTED (one MARK_RAN), same schema fingerprint, scratch DB dropped', async () => {
    const lite = await verifyChangelog(app);
    const real = await verifyChangelog({ ...app, databaseUrl: PG_ADMIN_URL });
    expect(lite.engine).toBe('pglite');
    expect(real.engine).toBe('postgresql');
    expect(lite.ok && real.ok).toBe(true);
    expect(lite.changeSets.map((c) => c.status)).toEqual([...Array(10).fill('EXECUTED'), 'MARK_RAN']);
    expect(real.changeSets.map((c) => [c.id, c.status])).toEqual(lite.changeSets.map((c) => [c.id, c.status]));
    expect(lite.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(real.fingerprint).toBe(lite.fingerprint);
    // Its own scratch database is gone (other test files may be verifying on the same server meanwhile).
    expect(lite.scratchDatabase).toBeNull();
    expect(real.scratchDatabase).toMatch(/^slipway_verify_[0-9a-f]{10}$/);
    expect(await scratchDatabases()).not.toContain(real.scratchDatabase);
    // Without the dev context the seed row is filtered out at generation time; the schema (fingerprint) is the same.
    const prod = await verifyChangelog({ ...app, contexts: ['prod'] });
    expect(prod.changeSets.map((c) => c.id)).not.toContain('005-dev-data');
    expect(prod.fingerprint).toBe(lite.fingerprint);
  });

  it('reports the failing changeset with its changelog line, the ones before as EXECUTED and the rest as SKIPPED', async () => {
    const root = await makeTree({
      'm.sql':
        '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (id int);\n--changeset a:2\nSELECT * FROM\n  missing_table;\n--changeset a:3\nCREATE TABLE u (id int);\n',
    });
    try {
      const r = await verifyChangelog({ rootDir: root, changelog: 'm.sql' });
      expect(r.ok).toBe(false);
      expect(r.fingerprint).toBeNull();
      expect(r.changeSets.map((c) => [c.id, c.status])).toEqual([
        ['1', 'EXECUTED'],
        ['2', 'FAILED'],
        ['3', 'SKIPPED'],
      ]);
      expect(r.changeSets[1]!.error?.split('\n')[0]).toBe(
        'm.sql:6:3: changeset m.sql::2::a failed: relation "missing_table" does not exist (SQLSTATE 42P01)',
      );
    } finally {
      await removeTree(root);
    }
  });
});

describe('PGlite as a target (pglite:<dir>)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-pglite-'));
  });
  afterAll(async () => {
    await removeTree(dir);
  });

  it('applies a package to a persistent PGlite directory, a second run skips everything, status reads it back', async () => {
    const pkg = await buildDatabasePackage({ ...app, application: 'a', version: '1', sourceDateEpoch: 0 });
    const url = `pglite:${dir}`;
    expect((await applySql({ databaseUrl: url, sql: pkg.sql })).executed).toHaveLength(11);
    expect(await applySql({ databaseUrl: url, sql: pkg.sql })).toMatchObject({ executed: [], alreadyApplied: 11 });
    const st = await getStatus({ ...app, databaseUrl: url });
    expect([st.applied, st.pending, st.drift, st.unknown]).toEqual([11, 0, 0, 0]);
  });
});

describe('plain mode and pingDatabase', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('slipway_plain');
  });
  afterAll(async () => {
    await db.drop();
  });

  it('--mode plain inlines a \\i/\\ir script so psql runs it without the included files', async () => {
    const pkg = await buildDatabasePackage({
      rootDir: path.resolve('test/fixtures/db-pkg/psql'),
      changelog: 'main.sql',
      mode: 'plain',
      application: 'p',
      version: '1',
      sourceDateEpoch: 0,
    });
    expect(pkg.sql.match(/^-- === FILE: .* ===$/gm)).toEqual([
      '-- === FILE: main.sql ===',
      '-- === FILE: 01-schema.sql ===',
      '-- === FILE: sub/02-data.sql ===',
    ]);
    const tmp = await makeTree({ 'package.sql': pkg.sql });
    try {
      const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', path.join(tmp, 'package.sql'), db.url], {
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      expect((await c.query('SELECT name FROM p_teams')).rows).toEqual([{ name: 'core' }]);
      await c.end();
    } finally {
      await removeTree(tmp);
    }
  });

  it('the UMIG reference install script (nested \\ir) packaged plain runs under psql and creates tables', async () => {
    const pkg = await buildDatabasePackage({
      rootDir: path.resolve('examples/umig-sample'),
      changelog: 'db/reference/install.sql',
      mode: 'plain',
      application: 'umig',
      version: '1.2.0',
      sourceDateEpoch: 0,
    });
    const fresh = await createTestDatabase('slipway_plain');
    const tmp = await makeTree({ 'install.sql': pkg.sql });
    try {
      const r = spawnSync(
        'psql',
        ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', path.join(tmp, 'install.sql'), fresh.url],
        { encoding: 'utf8' },
      );
      expect(r.status, r.stderr).toBe(0);
      const c = new pg.Client({ connectionString: fresh.url });
      await c.connect();
      const n = (
        await c.query(
          "SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
        )
      ).rows[0] as { n: number };
      await c.end();
      expect(n.n).toBeGreaterThan(0);
      expect(pkg.files).toBe(12);
    } finally {
      await fresh.drop();
      await removeTree(tmp);
    }
  });

  it('pingDatabase answers with the server version, and fails without throwing or leaking the password', async () => {
    const ok = await pingDatabase(db.url, 5000);
    expect(ok.ok).toBe(true);
    expect(ok.serverVersion).toMatch(/^\d+\.\d+/);
    const bad = await pingDatabase('postgres://me:s3cret@127.0.0.1:1/x', 2000);
    expect(bad.ok).toBe(false);
    expect(bad.error).toBeTruthy();
    expect(bad.error).not.toContain('s3cret');
  });
});
