import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { deploy, rollback, readHistory } from '../../src/deploy/index.js';
import type { Config } from '../../src/config/schema.js';
import { failureOf } from '../helpers/failure.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeFixturePackage } from '../fixtures/deploy/make-package.js';
import { makeDbParts, type FixtureChangeSet } from '../fixtures/deploy/db-package.js';

const CS1: FixtureChangeSet = { id: '1', sql: 'CREATE TABLE t1 (id int);', rollback: 'DROP TABLE t1;' };
const CS2: FixtureChangeSet = { id: '2', sql: 'CREATE TABLE t2 (id int);', rollback: 'DROP TABLE t2;' };
const CS3: FixtureChangeSet = { id: '3', sql: 'CREATE TABLE t3 (id int);', rollback: 'DROP TABLE t3;' };

async function dbPackage(version: string, changeSets: FixtureChangeSet[], bad = false) {
  const parts = await makeDbParts(version, changeSets);
  return makeFixturePackage({
    version,
    compatibility: parts.compatibility,
    files: { ...parts.files, ...(bad ? { 'application/bad': 'x' } : {}) },
  });
}

describe('deploy with a real PostgreSQL database', () => {
  let db: TestDatabase;
  let dir: string;
  let root: string;
  let config: Config;
  let urlWithPassword: string;
  const tables = async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      const r = await c.query<{ t: string }>(
        `SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 't_' ORDER BY 1`,
      );
      const h = await c
        .query<{ id: string }>(`SELECT id FROM databasechangelog ORDER BY orderexecuted`)
        .catch(() => ({ rows: [] as { id: string }[] }));
      return { tables: r.rows.map((x) => x.t), changelog: h.rows.map((x) => x.id) };
    } finally {
      await c.end();
    }
  };
  const current = async () => path.basename(await readlink(path.join(root, 'current')));

  beforeAll(async () => {
    db = await createTestDatabase('slipway_deploy');
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-deploydb-'));
    root = path.join(dir, 'target');
    // trust auth ignores the password, so a secret can ride along to prove it never reaches a log or the journal
    const u = new URL(db.url);
    u.password = 'sekret-pw';
    urlWithPassword = u.toString();
    config = await makeDeployConfig(dir, {
      databaseUrl: urlWithPassword,
      rollbackDatabase: true,
      backupDatabase: true,
      // the "bad" release fails its restart, which forces the automatic rollback after the migration
      restart:
        'test ! -f "$SLIPWAY_RELEASE_DIR/application/bad" || { echo "bad release refuses to start" >&2; exit 1; }',
    });
  });
  afterAll(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('migrates with database/package.sql and records the executed changesets in the journal; pg_dump backup first', async () => {
    const r = await deploy({ config, packagePath: (await dbPackage('1.0.0', [CS1, CS2])).path, target: 'prod' });
    expect(r.executed.map((e) => e.id)).toEqual(['1', '2']);
    expect(await tables()).toEqual({ tables: ['t1', 't2'], changelog: ['1', '2'] });
    const migrate = (await readHistory(root)).find((h) => h.step === 'migrate' && h.status === 'ok')!;
    expect(migrate.data?.executed).toEqual([
      { id: '1', author: 'test', filename: 'changelog.sql' },
      { id: '2', author: 'test', filename: 'changelog.sql' },
    ]);
    const backups = await readdir(path.join(root, '.slipway/backups'));
    expect(backups).toEqual([`${r.releaseId}-before.dump`]);
    expect((await stat(path.join(root, '.slipway/backups', backups[0]!))).size).toBeGreaterThan(100);
  });

  it('a failed release after its migration: release AND database rolled back (exactly its changesets)', async () => {
    const before = await current();
    const e = await failureOf(
      deploy({ config, packagePath: (await dbPackage('1.1.0', [CS1, CS2, CS3], true)).path, target: 'prod' }),
    );
    expect(e.code).toBe('E_DEPLOY');
    expect(e.message).toBe('restart command exited with 1: bad release refuses to start');
    expect(e.details).toContain(`rolled back automatically: current is ${before} again`);
    expect(e.details).toContainEqual(
      expect.stringMatching(
        /^database: rolled back the 1 changeset\(s\) \S+ applied \(changelog\.sql::3::test\); databasechangelog no longer records them$/,
      ),
    );
    expect(await current()).toBe(before);
    expect(await tables()).toEqual({ tables: ['t1', 't2'], changelog: ['1', '2'] });
  });

  it('migration failure: clear E_DB message, nothing switched', async () => {
    const before = await current();
    const broken: FixtureChangeSet = {
      id: '4',
      sql: 'CREATE TABLE t4 (id int REFERENCES nowhere(id));',
      rollback: 'DROP TABLE t4;',
    };
    const e = await failureOf(
      deploy({ config, packagePath: (await dbPackage('1.2.0', [CS1, CS2, broken])).path, target: 'prod' }),
    );
    expect(e.code).toBe('E_DB');
    expect(e.message).toMatch(/nowhere/);
    expect(await current()).toBe(before);
    expect((await tables()).tables).toEqual(['t1', 't2']);
  });

  it('a migration failing part-way: exactly the changesets it applied are rolled back, journaled before and after', async () => {
    const before = await current();
    const cs = (id: string, sql: string): FixtureChangeSet => ({ id, sql, rollback: `DROP TABLE t${id};` });
    const pkg = await dbPackage('1.2.1', [
      CS1,
      CS2,
      cs('6', 'CREATE TABLE t6 (id int);'),
      cs('7', 'CREATE TABLE t7 (id int);'),
      cs('8', 'CREATE TABLE t8 (id int REFERENCES nowhere(id));'),
    ]);
    const e = await failureOf(deploy({ config, packagePath: pkg.path, target: 'prod' }));
    expect(e.code).toBe('E_DB');
    expect(e.details).toContain(`rolled back automatically: current is still ${before}`);
    expect(e.details).toContainEqual(
      expect.stringMatching(
        /^database: rolled back the 2 changeset\(s\) \S+ applied \(changelog\.sql::6::test, changelog\.sql::7::test\); databasechangelog no longer records them$/,
      ),
    );
    expect(e.details.join('\n')).not.toMatch(/was rolled back/);
    expect(await tables()).toEqual({ tables: ['t1', 't2'], changelog: ['1', '2'] });
    const h = await readHistory(root);
    const run = h.filter((x) => x.run === h[h.length - 1]!.run);
    const key = (id: string) => ({ id, author: 'test', filename: 'changelog.sql' });
    expect(run.find((x) => x.step === 'migrate' && x.status === 'begin')!.data?.pending).toEqual(
      ['6', '7', '8'].map(key),
    );
    expect(run.find((x) => x.step === 'migrate' && x.status === 'failed')!.data?.executed).toEqual(['6', '7'].map(key));
    expect(run.find((x) => x.step === 'db-rollback' && x.status === 'ok')!.data?.changesets).toEqual(
      ['6', '7'].map(key),
    );
    expect(run[run.length - 1]).toMatchObject({ step: 'run', status: 'failed', data: { settled: { complete: true } } });
    // the previous package deploys again (no E_COMPAT: the database holds nothing it does not know)
    const again = await deploy({ config, packagePath: (await dbPackage('1.0.0', [CS1, CS2])).path, target: 'prod' });
    expect(again.executed).toEqual([]);
  });

  it('emergency rollback rolls back exactly the changesets the bad release applied (from the journal)', async () => {
    const good = await current();
    const r = await deploy({ config, packagePath: (await dbPackage('2.0.0', [CS1, CS2, CS3])).path, target: 'prod' });
    expect(r.executed.map((x) => x.id)).toEqual(['3']);
    expect((await tables()).tables).toEqual(['t1', 't2', 't3']);
    const rb = await rollback({ config, target: 'prod', emergency: true });
    expect(rb.to).toBe(good);
    expect(rb.databaseRolledBack.map((x) => x.id)).toEqual(['3']);
    expect(await tables()).toEqual({ tables: ['t1', 't2'], changelog: ['1', '2'] });
  });

  it('compatibility: a package that does not know changesets the database has → E_COMPAT', async () => {
    await deploy({ config, packagePath: (await dbPackage('2.1.0', [CS1, CS2, CS3])).path, target: 'prod' });
    const e = await failureOf(
      deploy({ config, packagePath: (await dbPackage('2.2.0', [CS1, CS2])).path, target: 'prod' }),
    );
    expect(e.code).toBe('E_COMPAT');
    expect(e.message).toBe(
      'the database has 1 changeset(s) this package does not contain (a newer schema?), e.g. changelog.sql::3::test',
    );
  });

  it('no rollback SQL → database not rolled back, and the error says so', async () => {
    const noRb: FixtureChangeSet = { id: '5', sql: 'CREATE TABLE t5 (id int);' };
    const e = await failureOf(
      deploy({ config, packagePath: (await dbPackage('2.3.0', [CS1, CS2, CS3, noRb], true)).path, target: 'prod' }),
    );
    expect(e.details).toContainEqual(
      expect.stringMatching(/^rolled back automatically, except the database: current is \S+ again$/),
    );
    expect(e.details).toContainEqual(
      expect.stringMatching(
        /^database: 1 changeset\(s\) \S+ applied stay applied, because 1 of them has no rollback SQL \(changelog\.sql::5::test \(the formatted SQL changeset has no --rollback\)\): changelog\.sql::5::test$/,
      ),
    );
    expect((await tables()).tables).toContain('t5');
  });

  it('the database password never reaches the journal or the logs', async () => {
    const journal = await readFile(path.join(root, '.slipway/journal.jsonl'), 'utf8');
    expect(journal).not.toContain('sekret-pw');
    expect(journal).toContain('***');
    for (const f of await readdir(path.join(root, '.slipway/logs'), { recursive: true })) {
      const p = path.join(root, '.slipway/logs', String(f));
      if ((await stat(p)).isFile()) expect(await readFile(p, 'utf8')).not.toContain('sekret-pw');
    }
  });
});

describe('slipway rollback and the database', () => {
  let db: TestDatabase;
  const dirs: string[] = [];
  const dropLater: TestDatabase[] = [];
  beforeAll(async () => {
    db = await createTestDatabase('slipway_rbdb');
  });
  afterAll(async () => {
    await db.drop();
    for (const d of dropLater) await d.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  const changelog = async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      return (await c.query<{ id: string }>('SELECT id FROM databasechangelog ORDER BY orderexecuted')).rows.map(
        (r) => r.id,
      );
    } finally {
      await c.end();
    }
  };
  const targetWith = async (rollbackDatabase: boolean, databaseUrl = db.url) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-rbdb-'));
    dirs.push(dir);
    return { dir, config: await makeDeployConfig(dir, { databaseUrl, rollbackDatabase }) };
  };

  it('rolls back the changesets the undone release applied; refuses (listing them) when one has no rollback SQL; --app-only', async () => {
    const { dir, config } = await targetWith(true);
    const v1 = await deploy({ config, packagePath: (await dbPackage('1.0.0', [CS1])).path, target: 'prod' });
    await deploy({ config, packagePath: (await dbPackage('1.1.0', [CS1, CS2])).path, target: 'prod' });
    const rb = await rollback({ config, target: 'prod' });
    expect(rb.to).toBe(v1.releaseId);
    expect(rb.databaseRolledBack).toEqual([{ id: '2', author: 'test', filename: 'changelog.sql' }]);
    expect(await changelog()).toEqual(['1']);

    const noRb: FixtureChangeSet = { id: '6', sql: 'CREATE TABLE t6 (id int);' };
    const v3 = await deploy({ config, packagePath: (await dbPackage('1.2.0', [CS1, noRb])).path, target: 'prod' });
    const e = await failureOf(rollback({ config, target: 'prod' }));
    expect(e.code).toBe('E_ROLLBACK');
    expect(e.message).toBe(
      `the database has 1 changeset(s) that ${v1.releaseId} does not contain (applied by the releases being undone), and 1 of them has no rollback SQL: changelog.sql::6::test (the formatted SQL changeset has no --rollback); nothing was changed`,
    );
    expect(e.details).toEqual(['changelog.sql::6::test']);
    expect(e.hint).toBe(
      'Roll back the application only with: slipway rollback --target prod --app-only (the changesets stay applied).',
    );
    expect(path.basename(await readlink(path.join(dir, 'target/current')))).toBe(v3.releaseId);
    const app = await rollback({ config, target: 'prod', appOnly: true });
    expect(app).toMatchObject({ to: v1.releaseId, databaseRolledBack: [] });
    expect(await changelog()).toEqual(['1', '6']);
  });

  it('undoes the changesets newest first in the order the database ran them, not the changelog order', async () => {
    const own = await createTestDatabase('slipway_rbdb_order');
    dropLater.push(own);
    const { config } = await targetWith(true, own.url);
    // v is added above 3 after 3 ran, a view over 3's table: Liquibase undoes v first (newest by DATEEXECUTED,
    // ORDEREXECUTED; test/integration/db-rollback-order-oracle.test.ts); dropping t3 first fails.
    const V: FixtureChangeSet = { id: 'v', sql: 'CREATE VIEW vt3 AS SELECT * FROM t3;', rollback: 'DROP VIEW vt3;' };
    const v1 = await deploy({ config, packagePath: (await dbPackage('1.5.0', [CS1])).path, target: 'prod' });
    await deploy({ config, packagePath: (await dbPackage('1.6.0', [CS1, CS3])).path, target: 'prod' });
    await deploy({ config, packagePath: (await dbPackage('1.7.0', [CS1, V, CS3])).path, target: 'prod' });
    const rb = await rollback({ config, target: 'prod', to: v1.releaseId });
    expect(rb.databaseRolledBack.map((k) => k.id)).toEqual(['v', '3']);
    const c = new pg.Client({ connectionString: own.url });
    await c.connect();
    try {
      expect((await c.query('SELECT id FROM databasechangelog')).rows).toEqual([{ id: '1' }]);
      expect((await c.query("SELECT to_regclass('t3') AS t")).rows).toEqual([{ t: null }]);
    } finally {
      await c.end();
    }
  });

  it('rows an older Liquibase or Spring Boot recorded as classpath:… are the release changesets they name', async () => {
    const own = await createTestDatabase('slipway_rbdb_classpath');
    dropLater.push(own);
    const { dir, config } = await targetWith(true, own.url);
    const v1 = await deploy({ config, packagePath: (await dbPackage('2.0.0', [CS1])).path, target: 'prod' });
    // The database was first migrated by Spring Boot's Liquibase: its row names the classpath resource.
    await queryRows(own.url, "UPDATE databasechangelog SET filename = 'classpath:' || filename");
    // Not "a newer schema" (E_COMPAT), and the migration's journal names only the changeset it runs.
    const v2 = await deploy({ config, packagePath: (await dbPackage('2.1.0', [CS1, CS2])).path, target: 'prod' });
    expect(v2.executed).toEqual([{ id: '2', author: 'test', filename: 'changelog.sql' }]);
    const migrate = (await readHistory(path.join(dir, 'target'))).find(
      (h) => h.step === 'migrate' && h.status === 'ok' && h.release === v2.releaseId,
    )!;
    expect(migrate.data?.pending).toEqual([{ id: '2', author: 'test', filename: 'changelog.sql' }]);
    // Back to v1 undoes 2 only: the classpath row is v1's changeset 1, which v1 contains.
    const rb = await rollback({ config, target: 'prod' });
    expect(rb.to).toBe(v1.releaseId);
    expect(rb.databaseRolledBack).toEqual([{ id: '2', author: 'test', filename: 'changelog.sql' }]);
    expect(await queryRows(own.url, 'SELECT id, filename FROM databasechangelog')).toEqual([
      { id: '1', filename: 'classpath:changelog.sql' },
    ]);
    expect(await queryRows(own.url, "SELECT to_regclass('t1')::text AS t1, to_regclass('t2')::text AS t2")).toEqual([
      { t1: 't1', t2: null },
    ]);
  });

  it('with rollbackDatabase off, a rollback that would leave changesets behind refuses and says why', async () => {
    const own = await createTestDatabase('slipway_rbdb_off');
    const { config } = await targetWith(false, own.url);
    dropLater.push(own);
    await deploy({
      config,
      packagePath: (await dbPackage('1.3.0', [CS1, { id: '7', sql: 'SELECT 1;' }])).path,
      target: 'prod',
    });
    await deploy({
      config,
      packagePath: (await dbPackage('1.4.0', [CS1, { id: '7', sql: 'SELECT 1;' }, CS3])).path,
      target: 'prod',
    });
    const e = await failureOf(rollback({ config, target: 'prod' }));
    expect(e.code).toBe('E_ROLLBACK');
    expect(e.message).toMatch(
      /^the database has 1 changeset\(s\) that \S+ does not contain \(applied by the releases being undone\), and rollbackDatabase is off; nothing was changed$/,
    );
    expect(e.hint).toBe(
      'Roll back the application only with: slipway rollback --target prod --app-only (the changesets stay applied), or turn on deploy.targets.<name>.rollbackDatabase.',
    );
  });
});
