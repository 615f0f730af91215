import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyChangelog } from '../../src/db/verify.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { runMain } from '../helpers/cli-main.js';

/** Real Liquibase 4.28 on `url` (the oracle), output or FAILED + output. */
async function liquibase(cwd: string, url: string, args: string[]): Promise<string> {
  const r = await runLiquibase(cwd, url, args);
  return r.ok ? r.out : `FAILED\n${r.out}`;
}

const run = (cwd: string, argv: string[]) => runMain(argv, { cwd, env: { SOURCE_DATE_EPOCH: '0' } });

const fsql = (body: string) => `--liquibase formatted sql\n${body}\n`;

describe('db CLI: --property, --strict, --changelog under --root, renamed history tables', () => {
  let dir: string;
  let db: TestDatabase;
  beforeAll(async () => {
    dir = await makeTree({
      'proj/db/master.sql': fsql('--changeset a:1 author:Someone\ncreate table ${tbl} (id int);'),
    });
    db = await createTestDatabase('slipway_lbcli');
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await removeTree(dir);
  });

  it('db package: --changelog is found under --root, --property expands, the ignored attribute is a warning', async () => {
    const r = await run(dir, [
      'db',
      'package',
      '--root',
      'proj',
      '--changelog',
      'db/master.sql',
      '--property',
      'tbl=t_cli',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('create table t_cli (id int)');
    expect(r.stdout).toContain("'db/master.sql'");
    expect(r.stderr).toContain('warning W_IGNORED_ATTRIBUTE: db/master.sql:2: Unknown changeset attribute "author"');
  });

  it('--strict turns that warning into an error (exit 1), --property without = is a usage error (exit 2)', async () => {
    const strict = await run(dir, [
      'db',
      'package',
      '--root',
      'proj',
      '--changelog',
      'db/master.sql',
      '--property',
      'tbl=x',
      '--strict',
    ]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain('1 changelog warning(s), and --strict makes them errors');
    const bad = await run(dir, [
      'db',
      'package',
      '--root',
      'proj',
      '--changelog',
      'db/master.sql',
      '--property',
      'tbl',
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--property needs name=value, got "tbl"');
  });

  it('db apply and db status use --changelog-table / --changelog-lock-table', async () => {
    const common = ['--root', 'proj', '--changelog', 'db/master.sql', '--property', 'tbl=t_apply'];
    const tables = ['--changelog-table', 'my_log', '--changelog-lock-table', 'my_log_lock'];
    const applied = await run(dir, ['db', 'apply', ...common, ...tables, '--database-url', db.url]);
    expect(applied.code).toBe(0);
    expect(await queryRows(db.url, 'SELECT id, author, filename FROM my_log')).toEqual([
      { id: '1', author: 'a', filename: 'db/master.sql' },
    ]);
    expect(await queryRows(db.url, "SELECT to_regclass('databasechangelog') IS NULL AS none")).toEqual([
      { none: true },
    ]);
    const status = await run(dir, ['db', 'status', ...common, ...tables, '--database-url', db.url, '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({ applied: 1, pending: 0 });
    const defaults = await run(dir, ['db', 'status', ...common, '--database-url', db.url, '--json']);
    expect(JSON.parse(defaults.stdout)).toMatchObject({ applied: 0, pending: 1 });
  });

  it('--changelog-schema puts both tables where liquibase --liquibase-schema-name does; Liquibase finds it up to date', async () => {
    await queryRows(db.url, 'CREATE SCHEMA hist');
    const common = ['--root', 'proj', '--changelog', 'db/master.sql', '--property', 'tbl=t_schema'];
    const tables = ['--changelog-schema', 'hist', '--changelog-table', 'h_log', '--changelog-lock-table', 'h_lock'];
    const pkg = await run(dir, ['db', 'package', ...common, ...tables]);
    expect(pkg.stdout).toContain('CREATE TABLE IF NOT EXISTS hist.h_lock (ID INTEGER NOT NULL');
    expect(pkg.stdout).not.toMatch(/public\.h_|databasechangelog/);
    expect((await run(dir, ['db', 'apply', ...common, ...tables, '--database-url', db.url])).code).toBe(0);
    expect(await queryRows(db.url, 'SELECT id, author, filename FROM hist.h_log')).toEqual([
      { id: '1', author: 'a', filename: 'db/master.sql' },
    ]);
    const lbArgs = [
      '--search-path=proj',
      '--changelog-file=db/master.sql',
      '--liquibase-schema-name=hist',
      '--database-changelog-table-name=h_log',
      '--database-changelog-lock-table-name=h_lock',
    ];
    const sqlOut = await liquibase(dir, db.url, [...lbArgs, 'update-sql', '-Dtbl=t_schema']);
    // Liquibase names the same tables (its SQL for the already created lock table) and has nothing to run.
    expect(sqlOut).toContain('UPDATE hist.h_lock SET LOCKED = TRUE');
    expect(sqlOut).not.toContain('t_schema');
    expect(await liquibase(dir, db.url, [...lbArgs, 'status', '-Dtbl=t_schema'])).toMatch(/is up to date/);
  }, 120_000);
});

describe('verify: setup SQL and extensions', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await makeTree({
      'db/master.sql': fsql(
        "--changeset a:1\nCREATE EXTENSION IF NOT EXISTS \"uuid-ossp\";\nCREATE EXTENSION IF NOT EXISTS pgcrypto;\ncreate table t (id uuid default uuid_generate_v4(), h text default encode(digest('x', 'sha256'), 'hex'));\ninsert into t default values;\nGRANT SELECT ON t TO app_user;",
      ),
      'db/gis.sql': fsql('--changeset a:g\nCREATE EXTENSION IF NOT EXISTS postgis;'),
      // As real changelogs guard an optional extension (e.g. TimescaleDB): created only where the server has it.
      'db/guarded.xml': `<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">
  <changeSet id="ts" author="a" runInTransaction="false">
    <preConditions onFail="MARK_RAN">
      <dbms type="postgresql"/>
      <sqlCheck expectedResult="1">SELECT COUNT(*) FROM pg_available_extensions WHERE name = 'timescaledb'</sqlCheck>
    </preConditions>
    <sql>CREATE EXTENSION IF NOT EXISTS timescaledb; SELECT create_hypertable('t', 'at');</sql>
  </changeSet>
  <changeSet id="t" author="a"><sql>CREATE TABLE t2 (id int)</sql></changeSet>
</databaseChangeLog>`,
      'setup/roles.sql': 'CREATE ROLE app_user;\n',
    });
  });
  afterAll(async () => {
    if (dir) await removeTree(dir);
  });

  it('on PGlite: uuid-ossp and pgcrypto load, the grant fails without the role and verifies with setup', async () => {
    const without = await verifyChangelog({ rootDir: dir, changelog: 'db/master.sql' });
    expect(without.ok).toBe(false);
    expect(without.changeSets[0]!.error).toMatch(/role "app_user" does not exist/);
    const withFile = await verifyChangelog({
      rootDir: dir,
      changelog: 'db/master.sql',
      setup: { files: [`${dir}/setup/roles.sql`] },
    });
    expect([withFile.ok, withFile.engine, withFile.changeSets[0]!.status]).toEqual([true, 'pglite', 'EXECUTED']);
    const withSql = await verifyChangelog({
      rootDir: dir,
      changelog: 'db/master.sql',
      setup: { sql: ['CREATE ROLE app_user'] },
    });
    expect(withSql.ok).toBe(true);
  }, 120_000);

  it('an extension PGlite lacks fails only the changeset that creates it unguarded, naming it and the way out', async () => {
    const r = await verifyChangelog({ rootDir: dir, changelog: 'db/gis.sql' });
    expect([r.ok, r.engine, r.missingExtensions, r.changeSets[0]!.status]).toEqual([
      false,
      'pglite',
      ['postgis'],
      'FAILED',
    ]);
    expect(r.changeSets[0]!.error).toMatch(/extension "?postgis"?/);
    expect(r.changeSets[0]!.error).toContain(
      'PGlite has no extension postgis, which the package creates: verify on PostgreSQL with the extension installed',
    );
  });

  it('a CREATE EXTENSION guarded by a precondition on pg_available_extensions is marked ran on PGlite', async () => {
    const guarded = await verifyChangelog({ rootDir: dir, changelog: 'db/guarded.xml' });
    expect([guarded.ok, guarded.missingExtensions, guarded.changeSets.map((c) => c.status)]).toEqual([
      true,
      ['timescaledb'],
      ['MARK_RAN', 'EXECUTED'],
    ]);
  });
});
