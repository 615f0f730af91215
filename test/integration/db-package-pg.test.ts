import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDatabase, queryRows as query, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { waitUntil } from '../helpers/wait.js';
import { buildDatabasePackage } from '../../src/db/package.js';
import { applySql } from '../../src/db/apply.js';
import { getStatus } from '../../src/db/status.js';
import { renderRollbackSql } from '../../src/db/rollback.js';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { isSlipwayError, type SlipwayError } from '../../src/errors.js';

const FIXTURE = path.resolve('test/fixtures/db-pkg/app');
const base = {
  changelog: 'db/master.xml',
  contexts: ['dev'],
  application: 'demo',
  version: '1.0.0',
  sourceDateEpoch: 1700000000,
};

function psql(url: string, file: string) {
  return spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, url], { encoding: 'utf8' });
}
const history = (url: string) =>
  query(url, 'SELECT id, exectype, md5sum FROM databasechangelog ORDER BY orderexecuted');
const lockRow = (url: string) => query(url, 'SELECT locked, lockedby FROM databasechangeloglock');

describe('package on real PostgreSQL with psql', () => {
  let root: string;
  let db: TestDatabase;
  let db2: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({}, 'slipway-dbpkg-');
    await cp(FIXTURE, root, { recursive: true });
    db = await createTestDatabase('slipway_dbpkg');
    db2 = await createTestDatabase('slipway_dbpkg');
  });
  afterAll(async () => {
    await db.drop();
    await db2.drop();
    await removeTree(root);
  });

  it('runs under psql ON_ERROR_STOP, records every changeset, and a second run is a no-op', async () => {
    const pkg = await buildDatabasePackage({ ...base, rootDir: root });
    expect(pkg.changeSets).toBe(11);
    const file = path.join(root, 'package.sql');
    await writeFile(file, pkg.sql);
    const first = psql(db.url, file);
    expect(first.stderr.replace(/psql:.*NOTICE:.*\n/g, '')).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('slipway: EXECUTED db/changes/005-more.sql::005-index::bob');
    const rows = await history(db.url);
    expect(rows.map((r) => [r.id, r.exectype])).toEqual([
      ['001-teams', 'EXECUTED'],
      ['001-users', 'EXECUTED'],
      ['001-fn', 'EXECUTED'],
      ['002-audit', 'EXECUTED'],
      ['003-seed-file', 'EXECUTED'],
      ['004-tag', 'EXECUTED'],
      ['005-view', 'EXECUTED'],
      ['005-dev-data', 'EXECUTED'],
      ['005-guarded', 'EXECUTED'],
      ['005-index', 'EXECUTED'],
      ['005-skip-when-teams-exist', 'MARK_RAN'],
    ]);
    const before = await query(
      db.url,
      'SELECT id, dateexecuted, deployment_id FROM databasechangelog ORDER BY orderexecuted',
    );
    const second = psql(db.url, file);
    expect(second.status).toBe(0);
    expect(second.stdout).toBe('slipway: package complete\n');
    expect(
      await query(db.url, 'SELECT id, dateexecuted, deployment_id FROM databasechangelog ORDER BY orderexecuted'),
    ).toEqual(before);
    expect(await lockRow(db.url)).toEqual([{ locked: false, lockedby: null }]);
    expect(await applySql({ databaseUrl: db.url, sql: pkg.sql })).toMatchObject({ executed: [], alreadyApplied: 11 });
    // Like Liquibase, a cleared (NULL) sum and a matching "8:" sum are upgraded to the "9:" value on the next run.
    const teams = pkg.index.find((e) => e.id === '001-teams')!;
    const parsed = await parseChangelog({ rootDir: root, changelog: 'db/master.xml' });
    const v8 = parsed.changeSets.find((c) => c.id === '001-users')!.checksumV8;
    expect(v8).toMatch(/^8:[0-9a-f]{32}$/);
    await query(
      db.url,
      `UPDATE databasechangelog SET md5sum = NULL WHERE id = '001-teams'; UPDATE databasechangelog SET md5sum = '${v8}' WHERE id = '001-users'`,
    );
    expect(psql(db.url, file).status).toBe(0);
    const sums = await query(
      db.url,
      "SELECT id, md5sum FROM databasechangelog WHERE id IN ('001-teams', '001-users') ORDER BY id",
    );
    expect(sums).toEqual([
      { id: '001-teams', md5sum: teams.checksum },
      { id: '001-users', md5sum: pkg.index.find((e) => e.id === '001-users')!.checksum },
    ]);
  });

  it('applySql gives the same database as psql, and status reports everything applied', async () => {
    const pkg = await buildDatabasePackage({ ...base, rootDir: root });
    const r = await applySql({ databaseUrl: db2.url, sql: pkg.sql });
    expect(r.executed.map((e) => e.id)).toEqual(pkg.index.map((e) => e.id));
    expect((await history(db2.url)).map((x) => [x.id, x.md5sum])).toEqual(
      (await history(db.url)).map((x) => [x.id, x.md5sum]),
    );
    const st = await getStatus({ databaseUrl: db2.url, rootDir: root, changelog: 'db/master.xml', contexts: ['dev'] });
    expect([st.applied, st.pending, st.drift, st.unknown]).toEqual([11, 0, 0, 0]);
  });

  it('a changed checksum stops the run before anything executes; runOnChange re-runs and records RERAN', async () => {
    const file = path.join(root, 'db/changes/001-schema.sql');
    const original = await readFile(file, 'utf8');
    await writeFile(file, original.replace('name varchar(100) NOT NULL UNIQUE', 'name varchar(120) NOT NULL UNIQUE'));
    try {
      const pkg = await buildDatabasePackage({ ...base, rootDir: root });
      const out = path.join(root, 'drift.sql');
      await writeFile(out, pkg.sql);
      const r = psql(db.url, out);
      expect(r.status).toBe(3);
      expect(r.stderr).toContain(
        'slipway: checksum changed for changesets already applied: db/changes/001-schema.sql::001-teams::alice (recorded 9:',
      );
      const st = await getStatus({ databaseUrl: db.url, rootDir: root, changelog: 'db/master.xml', contexts: ['dev'] });
      expect(st.changeSets.filter((c) => c.state === 'drift').map((c) => c.id)).toEqual(['001-teams']);
      await expect(applySql({ databaseUrl: db.url, sql: pkg.sql })).rejects.toThrow(
        /checksum changed for changesets already applied/,
      );
    } finally {
      await writeFile(file, original);
    }
    const more = path.join(root, 'db/changes/005-more.sql');
    const text = await readFile(more, 'utf8');
    await writeFile(more, text.replace('SELECT t.name, u.email', 'SELECT t.name, u.email, u.id'));
    try {
      const pkg = await buildDatabasePackage({ ...base, rootDir: root });
      const r = await applySql({ databaseUrl: db.url, sql: pkg.sql });
      expect(r.executed.map((e) => e.id)).toEqual(['005-view']);
      const rows = await query(db.url, "SELECT exectype, orderexecuted FROM databasechangelog WHERE id = '005-view'");
      expect(rows).toEqual([{ exectype: 'RERAN', orderexecuted: 12 }]);
      const cols = await query(
        db.url,
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'team_users' ORDER BY ordinal_position",
      );
      expect(cols.map((c) => c.column_name)).toEqual(['name', 'email', 'id']);
      const delta = await buildDatabasePackage({ ...base, rootDir: root, databaseUrl: db.url });
      expect(delta.index.map((e) => e.id)).toEqual([]);
    } finally {
      await writeFile(more, text);
    }
  });

  it('a failing changeset leaves no lock held and no partial changeset; the error points at the changelog line', async () => {
    const tmp = await makeTree({
      'db/master.sql': [
        '--liquibase formatted sql',
        '--changeset x:ok',
        'CREATE TABLE ok_t (id int);',
        '--changeset x:bad',
        'CREATE TABLE half_t (id int);',
        'INSERT INTO half_t',
        '  VALUES (nosuchcolumn);',
        '--changeset x:never',
        'CREATE TABLE never_t (id int);',
        '',
      ].join('\n'),
    });
    const fresh = await createTestDatabase('slipway_dbpkg');
    try {
      const pkg = await buildDatabasePackage({ ...base, rootDir: tmp, changelog: 'db/master.sql' });
      await writeFile(path.join(tmp, 'p.sql'), pkg.sql);
      const r = psql(fresh.url, path.join(tmp, 'p.sql'));
      expect(r.status).toBe(3);
      expect(r.stderr).toContain('column "nosuchcolumn" does not exist');
      // psql names the line where it sent the query: the one right after the failing statement (here the line that
      // also sends the history row and COMMIT).
      const after = pkg.sql.split('\n').indexOf('  VALUES (nosuchcolumn)') + 2;
      expect(r.stderr).toContain(`p.sql:${after}: ERROR:  column "nosuchcolumn" does not exist`);
      expect((await history(fresh.url)).map((x) => x.id)).toEqual(['ok']);
      expect(await query(fresh.url, "SELECT to_regclass('half_t') IS NULL AS gone")).toEqual([{ gone: true }]);
      expect(await lockRow(fresh.url)).toEqual([{ locked: false, lockedby: null }]);
      let err: SlipwayError | undefined;
      await applySql({ databaseUrl: fresh.url, sql: pkg.sql }).catch((e: unknown) => {
        if (isSlipwayError(e)) err = e;
      });
      expect(err?.message).toBe(
        'changeset db/master.sql::bad::x failed: column "nosuchcolumn" does not exist (SQLSTATE 42703)',
      );
      expect(err?.location).toBe('db/master.sql:7:11');
      expect(err?.details.slice(0, 2)).toEqual(['7 |   VALUES (nosuchcolumn)', '              ^']);
      expect(await lockRow(fresh.url)).toEqual([{ locked: false, lockedby: null }]);
      await query(
        fresh.url,
        "UPDATE databasechangeloglock SET locked = TRUE, lockedby = 'liquibase-host', lockgranted = now()",
      );
      await expect(applySql({ databaseUrl: fresh.url, sql: pkg.sql })).rejects.toThrow(
        /databasechangeloglock is held by liquibase-host since/,
      );
    } finally {
      await fresh.drop();
      await removeTree(tmp);
    }
  });

  it('failOnError:false: a failing changeset is rolled back, not recorded, and the run goes on (psql and applySql)', async () => {
    const tmp = await makeTree({
      'db/master.sql': [
        '--liquibase formatted sql',
        '--changeset x:tolerated failOnError:false',
        'CREATE TABLE tol_t (id int);',
        'SELECT nosuch FROM tol_t;',
        '--changeset x:tolerated-ok failOnError:false runInTransaction:false',
        'CREATE TABLE tol_ok (id int);',
        '--changeset x:after',
        'CREATE TABLE after_t (id int);',
        '',
      ].join('\n'),
    });
    const a = await createTestDatabase('slipway_dbpkg');
    const b = await createTestDatabase('slipway_dbpkg');
    try {
      const pkg = await buildDatabasePackage({ ...base, rootDir: tmp, changelog: 'db/master.sql' });
      await writeFile(path.join(tmp, 'p.sql'), pkg.sql);
      const r = psql(a.url, path.join(tmp, 'p.sql'));
      expect(r.status).toBe(0);
      expect(r.stdout).toContain(
        'slipway: FAILED db/master.sql::tolerated::x (failOnError false: not recorded, continuing)',
      );
      expect((await history(a.url)).map((x) => x.id)).toEqual(['tolerated-ok', 'after']);
      expect(await query(a.url, "SELECT to_regclass('tol_t') IS NULL AS gone")).toEqual([{ gone: true }]);
      const applied = await applySql({ databaseUrl: b.url, sql: pkg.sql });
      expect(applied.executed.map((e) => e.id)).toEqual(['tolerated-ok', 'after']);
      expect(applied.tolerated?.[0]).toBe(
        'db/master.sql:4:8: changeset db/master.sql::tolerated::x failed: column "nosuch" does not exist (SQLSTATE 42703)',
      );
      expect((await history(b.url)).map((x) => x.id)).toEqual(['tolerated-ok', 'after']);
    } finally {
      await a.drop();
      await b.drop();
      await removeTree(tmp);
    }
  });

  it('preconditions at run time: CONTINUE skips until it passes, WARN runs anyway, HALT stops the run', async () => {
    const tmp = await makeTree({
      'db/master.sql': [
        '--liquibase formatted sql',
        '--changeset p:cont',
        '--preconditions onFail:CONTINUE',
        "--precondition-sql-check expectedResult:1 SELECT count(*) FROM information_schema.tables WHERE table_name = 'gate'",
        'CREATE TABLE cont_t (id int);',
        '--changeset p:warn',
        '--preconditions onFail:WARN',
        "--precondition-sql-check expectedResult:1 SELECT count(*) FROM information_schema.tables WHERE table_name = 'gate'",
        'CREATE TABLE warn_t (id int);',
        '--changeset p:halt',
        '--preconditions onFail:HALT',
        "--precondition-sql-check expectedResult:1 SELECT count(*) FROM information_schema.tables WHERE table_name = 'gate'",
        'CREATE TABLE halt_t (id int);',
        '',
      ].join('\n'),
    });
    const fresh = await createTestDatabase('slipway_dbpkg');
    try {
      const pkg = await buildDatabasePackage({ ...base, rootDir: tmp, changelog: 'db/master.sql' });
      const echoed: string[] = [];
      const halted = await applySql({ databaseUrl: fresh.url, sql: pkg.sql, onEcho: (l) => echoed.push(l) }).catch(
        (e: Error) => e,
      );
      expect((halted as Error).message).toBe(
        'changeset db/master.sql::halt::p failed: slipway: precondition failed for changeset db/master.sql::halt::p (SQLSTATE P0001)',
      );
      expect((await history(fresh.url)).map((x) => [x.id, x.exectype])).toEqual([['warn', 'EXECUTED']]);
      await query(fresh.url, 'CREATE TABLE gate (id int)');
      const second = await applySql({ databaseUrl: fresh.url, sql: pkg.sql, onEcho: (l) => echoed.push(l) });
      expect(second.executed.map((e) => e.id)).toEqual(['cont', 'halt']);
      expect(echoed).toContain('slipway: skipped db/master.sql::cont::p (precondition failed, onFail CONTINUE)');
    } finally {
      await fresh.drop();
      await removeTree(tmp);
    }
  });

  it('rollback SQL from the changelog undoes changesets newest first and deletes their rows; delta packages pick up the rest', async () => {
    const parsed = await parseChangelog({ rootDir: root, changelog: 'db/master.xml' });
    const sql = renderRollbackSql(parsed, { toTag: 'v1.0' });
    const file = path.join(root, 'rollback.sql');
    await writeFile(file, sql);
    const r = psql(db2.url, file);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual([
      'slipway: ROLLED BACK db/changes/005-more.sql::005-skip-when-teams-exist::bob',
      'slipway: ROLLED BACK db/changes/005-more.sql::005-index::bob',
      'slipway: ROLLED BACK db/changes/005-more.sql::005-guarded::bob',
      'slipway: ROLLED BACK db/changes/005-more.sql::005-dev-data::bob',
      'slipway: ROLLED BACK db/changes/005-more.sql::005-view::bob',
      // As Liquibase 4.28's rollback --tag: the changeset whose only change tags v1.0 goes too.
      'slipway: ROLLED BACK db/master.xml::004-tag::carol',
    ]);
    expect((await history(db2.url)).map((x) => x.id)).not.toContain('004-tag');
    const sinceTag = await buildDatabasePackage({ ...base, rootDir: root, sinceTag: 'v1.0' });
    const missing = await buildDatabasePackage({ ...base, rootDir: root, databaseUrl: db2.url });
    expect(missing.index.map((e) => e.id)).toEqual(['004-tag', ...sinceTag.index.map((e) => e.id)]);
    expect(sinceTag.sql.split('\n')).toContain('-- Delta: changesets after tag v1.0');
    expect((await applySql({ databaseUrl: db2.url, sql: missing.sql })).executed).toHaveLength(6);
    // tagDatabase's inferred rollback is empty (Liquibase's TagDatabaseChange): only its history row goes.
    expect(renderRollbackSql(parsed, { count: 7 })).toContain("ID = '004-tag' AND AUTHOR = 'carol'");
    await writeFile(
      path.join(root, 'db/no-rollback.xml'),
      '<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd">\n' +
        '  <include file="master.xml" relativeToChangelogFile="true"/>\n' +
        '  <changeSet id="900-raw" author="dave"><sql>UPDATE teams SET name = name</sql></changeSet>\n' +
        '</databaseChangeLog>\n',
    );
    const withRaw = await parseChangelog({ rootDir: root, changelog: 'db/no-rollback.xml' });
    // Decided when it runs (the raw changeset may be unrecorded, skipped by a CONTINUE precondition): no block of
    // its own, and the script fails before anything is undone if it is among the newest 2 recorded.
    const withRawSql = renderRollbackSql(withRaw, { count: 2 });
    expect(withRawSql).toContain(
      "(VALUES ('900-raw', 'dave', 'db/no-rollback.xml', 'db/no-rollback.xml::900-raw::dave'))",
    );
    expect(withRawSql).not.toContain('-- rollback db/no-rollback.xml::900-raw::dave');
  });
  it('rollback SQL honours configured history table names (database.changelogTable / changelogLockTable)', async () => {
    const named = await createTestDatabase('slipway_dbpkg_named');
    try {
      const tables = { changelogTable: 'app_changelog', changelogLockTable: 'app_changelog_lock' };
      const pkg = await buildDatabasePackage({ ...base, rootDir: root, ...tables });
      const file = path.join(root, 'named.sql');
      await writeFile(file, pkg.sql);
      expect(psql(named.url, file).status).toBe(0);
      const appHistory = () => query(named.url, 'SELECT id FROM app_changelog ORDER BY orderexecuted');
      expect(await appHistory()).toHaveLength(11);

      const parsed = await parseChangelog({ rootDir: root, changelog: 'db/master.xml', contexts: ['dev'] });
      const sql = renderRollbackSql(parsed, { count: 2, ...tables });
      expect(sql).not.toContain('databasechangelog');
      await writeFile(path.join(root, 'named-rollback.sql'), sql);
      const r = psql(named.url, path.join(root, 'named-rollback.sql'));
      expect(r.stderr.replace(/psql:.*NOTICE:.*\n/g, '')).toBe('');
      expect(r.stdout.trim().split('\n')).toHaveLength(2);
      expect(await appHistory()).toHaveLength(9);
      expect(await query(named.url, "SELECT to_regclass('public.databasechangelog') AS t")).toEqual([{ t: null }]);
      // The lock check reads the configured lock table: a held lock there refuses the rollback.
      await query(named.url, "UPDATE app_changelog_lock SET locked = true, lockedby = 'other host' WHERE id = 1");
      const held = psql(named.url, path.join(root, 'named-rollback.sql'));
      expect(held.status).not.toBe(0);
      expect(held.stderr).toContain('slipway: app_changelog_lock is held by other host');
      expect(() => renderRollbackSql(parsed, { count: 1, changelogTable: 'Bad-Name' })).toThrow(
        'database.changelogTable "Bad-Name" is not a lower-case SQL identifier',
      );
    } finally {
      await named.drop();
    }
  });
  it('changesets commit without waiting for their WAL flush; the package ends with a synchronous commit that flushes them all', async () => {
    const dir = await makeTree({
      'master.sql': [
        '--liquibase formatted sql',
        '--changeset a:1',
        'CREATE TABLE commit_mode (changeset text, mode text, lsn pg_lsn);',
        "INSERT INTO commit_mode VALUES ('1', current_setting('synchronous_commit'), NULL);",
        '--changeset a:2 runInTransaction:false',
        "INSERT INTO commit_mode VALUES ('2', current_setting('synchronous_commit'), NULL);",
        '--changeset a:3',
        "INSERT INTO commit_mode VALUES ('3', current_setting('synchronous_commit'), pg_current_wal_insert_lsn());",
        '',
      ].join('\n'),
    });
    try {
      const pkg = await buildDatabasePackage({ ...base, contexts: [], rootDir: dir, changelog: 'master.sql' });
      const file = path.join(dir, 'package.sql');
      await writeFile(file, pkg.sql);
      const run = psql(db2.url, file);
      expect(run.stderr.replace(/psql:.*NOTICE:.*\n/g, '')).toBe('');
      expect(run.status).toBe(0);
      // Each changeset's own transaction is asynchronous; one without a transaction keeps the session's setting.
      const rows = await query(db2.url, 'SELECT changeset, mode FROM commit_mode ORDER BY changeset');
      expect(rows).toEqual([
        { changeset: '1', mode: 'off' },
        { changeset: '2', mode: 'on' },
        { changeset: '3', mode: 'off' },
      ]);
      // psql has exited: the last changeset's WAL (written before its commit record) is already on disk.
      const [flushed] = await query(
        db2.url,
        "SELECT pg_current_wal_flush_lsn() >= lsn AS flushed FROM commit_mode WHERE changeset = '3'",
      );
      expect(flushed).toEqual({ flushed: true });
    } finally {
      await removeTree(dir);
    }
  });
  it('a changeset failing mid-package leaves every earlier one recorded and flushed, with psql and with db apply', async () => {
    // The failing changeset notes the WAL insert position (past the commit records of the changesets before it) in
    // a sequence, which its rollback does not undo.
    const dir = await makeTree({
      'master.sql': [
        '--liquibase formatted sql',
        '--changeset a:1',
        'CREATE TABLE durable (k int);',
        'CREATE SEQUENCE durable_lsn MINVALUE 0;',
        '--changeset a:2',
        'INSERT INTO durable VALUES (2);',
        '--changeset a:3 splitStatements:false',
        "DO $$ BEGIN PERFORM setval('durable_lsn', (pg_current_wal_insert_lsn() - '0/0'::pg_lsn)::bigint); PERFORM 1 / 0; END $$;",
        '--changeset a:4',
        'INSERT INTO durable VALUES (4);',
        '',
      ].join('\n'),
    });
    const flushed = async (url: string) =>
      (
        await query(url, "SELECT pg_current_wal_flush_lsn() - '0/0'::pg_lsn >= last_value AS flushed FROM durable_lsn")
      )[0];
    const viaPsql = await createTestDatabase('slipway_dbpkg');
    const target = await createTestDatabase('slipway_dbpkg');
    try {
      const pkg = await buildDatabasePackage({ ...base, contexts: [], rootDir: dir, changelog: 'master.sql' });
      const file = path.join(dir, 'package.sql');
      await writeFile(file, pkg.sql);
      // psql stops at the error (ON_ERROR_STOP), before the package's flushing last statement. The server then ends
      // its session, dropping the session's changeset check function in a synchronous commit: once that session is
      // gone, the WAL up to the failure is on disk.
      const app = `slipway-durable-${process.pid}`;
      const run = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, viaPsql.url], {
        encoding: 'utf8',
        env: { ...process.env, PGAPPNAME: app },
      });
      expect(run.status).toBe(3);
      expect(run.stderr).toContain('division by zero');
      expect(await history(viaPsql.url)).toEqual([
        { id: '1', exectype: 'EXECUTED', md5sum: expect.any(String) },
        { id: '2', exectype: 'EXECUTED', md5sum: expect.any(String) },
      ]);
      await waitUntil(
        async () =>
          (await query(viaPsql.url, `SELECT 1 FROM pg_stat_activity WHERE application_name = '${app}'`)).length === 0,
      );
      expect(await flushed(viaPsql.url)).toEqual({ flushed: true });
      // slipway db apply flushes them itself before it reports the failure.
      await expect(applySql({ databaseUrl: target.url, sql: pkg.sql })).rejects.toThrow('division by zero');
      expect(await flushed(target.url)).toEqual({ flushed: true });
      expect(await query(target.url, 'SELECT k FROM durable')).toEqual([{ k: 2 }]);
      expect((await history(target.url)).map((r) => r.id)).toEqual(['1', '2']);
    } finally {
      await viaPsql.drop();
      await target.drop();
      await removeTree(dir);
    }
  });
});
