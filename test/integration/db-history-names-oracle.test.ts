import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDatabasePackage } from '../../src/db/package.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { applyOurPackage, liquibaseOk, psqlRows } from '../helpers/liquibase-oracle.js';

// Liquibase lower-cases the names of its own tables on PostgreSQL (PostgresDatabase.getDatabaseChangeLogTableName):
// an upper-case --database-changelog-table-name (an engine that names them ACT_X_DATABASECHANGELOG for every
// database) or a mixed-case one is the lower-case table, and ${database.databaseChangeLogTableName} expands to it.
const NAMES = ['--database-changelog-table-name=APP_LOG', '--database-changelog-lock-table-name=App_Log_Lock'];
const changelog = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog
    http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.6.xsd">
  <changeSet id="1" author="a">
    <createTable tableName="names_seen"><column name="what" type="varchar(100)"/></createTable>
    <insert tableName="names_seen"><column name="what" value="\${database.databaseChangeLogTableName}"/></insert>
    <insert tableName="names_seen"><column name="what" value="\${database.databaseChangeLogLockTableName}"/></insert>
  </changeSet>
</databaseChangeLog>
`;
const HISTORY =
  "SELECT concat_ws('|', id, author, filename, md5sum, description, exectype, orderexecuted) FROM app_log ORDER BY orderexecuted";

describe('upper-case history table names, against Liquibase 4.28', () => {
  let root: string;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    root = await makeTree({ 'db/master.xml': changelog });
    dbs.push(...(await Promise.all(['theirs', 'ours', 'quoted'].map((n) => createTestDatabase(`histnames_${n}`)))));
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
    if (root) await removeTree(root);
  });

  it('name the lower-case tables Liquibase uses, in the SQL and in the built-in properties', async () => {
    const [theirs, ours] = dbs as [TestDatabase, TestDatabase];
    await liquibaseOk(root, theirs, 'db/master.xml', ...NAMES, 'update');
    await applyOurPackage(root, 'db/master.xml', ours, {
      changelogTable: 'APP_LOG',
      changelogLockTable: 'App_Log_Lock',
    });
    const tables = "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public'";
    expect(psqlRows(theirs, tables)).toEqual(['app_log,app_log_lock,names_seen']);
    expect(psqlRows(ours, tables)).toEqual(psqlRows(theirs, tables));
    const seen = 'SELECT what FROM names_seen ORDER BY what';
    expect(psqlRows(theirs, seen)).toEqual(['app_log', 'app_log_lock']);
    expect(psqlRows(ours, seen)).toEqual(psqlRows(theirs, seen));
    expect(psqlRows(ours, HISTORY)).toEqual(psqlRows(theirs, HISTORY));
    // Liquibase, given the same names, reads Slipway's run as its own.
    const status = await liquibaseOk(root, ours, 'db/master.xml', ...NAMES, 'status');
    expect(status).toContain('is up to date');
  }, 300_000);

  it('a name Liquibase quotes (lower-cased, with a -) stays a configuration error naming the field', async () => {
    const quoted = dbs[2]!;
    await liquibaseOk(root, quoted, 'db/master.xml', '--database-changelog-table-name=App-Log', 'update');
    expect(psqlRows(quoted, "SELECT tablename FROM pg_tables WHERE tablename ILIKE 'app-log'")).toEqual(['app-log']);
    await expect(
      buildDatabasePackage({
        rootDir: root,
        changelog: 'db/master.xml',
        application: 'a',
        version: '1',
        sourceDateEpoch: 0,
        changelogTable: 'App-Log',
      }),
    ).rejects.toThrow('database.changelogTable "App-Log" is not a lower-case SQL identifier');
  }, 300_000);
});
