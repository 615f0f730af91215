import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { renderRollbackSql } from '../../src/db/rollback.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { applyOurPackage, HISTORY_ROWS, liquibaseOk, psqlRows, schemaDump } from '../helpers/liquibase-oracle.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

// The rollback Liquibase 4.28 infers for a changeset without <rollback> (each change's inverse, newest first),
// run by both tools after the same update: same schema, data and history rows.
const NS =
  'xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd"';

async function rollBackBoth(root: string, changelog: string, count: number, theirs: TestDatabase, ours: TestDatabase) {
  await liquibaseOk(root, theirs, changelog, 'rollback-count', `--count=${count}`);
  const parsed = await parseChangelog({ rootDir: root, changelog });
  const file = path.join(root, `rollback-${ours.name}.sql`);
  await writeFile(file, renderRollbackSql(parsed, { count }));
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, ours.url], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
}

describe('loadUpdateData without <rollback> against Liquibase 4.28', () => {
  let root: string;
  let theirs: TestDatabase;
  let ours: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({
      'm.xml': `<databaseChangeLog ${NS}>
  <changeSet id="1" author="a">
    <createTable tableName="lud"><column name="id" type="int"/><column name="code" type="varchar(10)"/><column name="name" type="varchar(50)"/></createTable>
    <insert tableName="lud"><column name="id" valueNumeric="9"/><column name="name" value="kept"/></insert>
    <insert tableName="lud"><column name="id" valueNumeric="1"/><column name="code" value="a"/><column name="name" value="before"/></insert>
  </changeSet>
  <changeSet id="2" author="a">
    <loadUpdateData tableName="lud" file="d.csv" relativeToChangelogFile="true" primaryKey="id,code">
      <column name="id" type="numeric"/>
    </loadUpdateData>
  </changeSet>
</databaseChangeLog>
`,
      // Row 1 updates an existing row, row 2 has a NULL key part, row 3 a quote in its key.
      'd.csv': "id,code,name\n1,a,x\n2,NULL,y\n3,o'b,z\n",
    });
    [theirs, ours] = await Promise.all([createTestDatabase('rbi_lud_theirs'), createTestDatabase('rbi_lud_ours')]);
  });
  afterAll(async () => {
    await Promise.all([theirs?.drop(), ours?.drop()]);
    if (root) await removeTree(root);
  });

  it('rolls back with one DELETE per CSV row by primaryKey, as Liquibase does', async () => {
    await liquibaseOk(root, theirs, 'm.xml', 'update');
    await applyOurPackage(root, 'm.xml', ours);
    const DATA = 'SELECT concat_ws($$|$$, id, code, name) FROM lud ORDER BY id';
    expect(psqlRows(ours, DATA)).toEqual(psqlRows(theirs, DATA));
    await rollBackBoth(root, 'm.xml', 1, theirs, ours);
    // Liquibase deletes the row the CSV updated too (its rollback does not restore "before").
    expect(psqlRows(theirs, DATA)).toEqual(['9|kept']);
    expect(psqlRows(ours, DATA)).toEqual(psqlRows(theirs, DATA));
    expect(schemaDump(ours)).toBe(schemaDump(theirs));
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
  }, 300_000);
});

describe('a change for another dbms in a changeset without <rollback>, against Liquibase 4.28', () => {
  let root: string;
  let theirs: TestDatabase;
  let ours: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({
      'm.xml': `<databaseChangeLog ${NS}>
  <changeSet id="1" author="a">
    <createTable tableName="t1"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="2" author="a">
    <createTable tableName="t2"><column name="id" type="int"/></createTable>
    <sql dbms="mysql">create table t3 (id int) engine innodb</sql>
  </changeSet>
  <changeSet id="3" author="a">
    <createTable tableName="t4"><column name="id" type="int"/></createTable>
    <insert tableName="t4" dbms="oracle"><column name="id" valueNumeric="1"/></insert>
  </changeSet>
</databaseChangeLog>
`,
    });
    [theirs, ours] = await Promise.all([createTestDatabase('rbi_dbms_theirs'), createTestDatabase('rbi_dbms_ours')]);
  });
  afterAll(async () => {
    await Promise.all([theirs?.drop(), ours?.drop()]);
    if (root) await removeTree(root);
  });

  it('has no rollback: Liquibase asks the skipped change for its inverse too', async () => {
    await liquibaseOk(root, theirs, 'm.xml', 'update');
    await applyOurPackage(root, 'm.xml', ours);
    const r = await runLiquibase(root, theirs.url, [
      `--search-path=${root}`,
      '--changelog-file=m.xml',
      'rollback-count',
      '--count=1',
    ]);
    expect(r.ok).toBe(false);
    expect(r.out).toContain('No inverse to liquibase.change.core.InsertDataChange created');
    const parsed = await parseChangelog({ rootDir: root, changelog: 'm.xml' });
    expect(parsed.changeSets.map((c) => c.rollback)).toEqual([['DROP TABLE public.t1'], null, null]);
    expect(parsed.changeSets.map((c) => c.noRollback)).toEqual([
      null,
      '<sql> has no automatic rollback',
      '<insert> has no automatic rollback',
    ]);
    expect(() => renderRollbackSql(parsed, { count: 1 })).toThrow(/have no rollback/);
    // The <sql dbms="mysql"> one, once Liquibase gets past changeset 3 (its row deleted by hand on both sides).
    for (const db of [theirs, ours]) psqlRows(db, "DELETE FROM databasechangelog WHERE id = '3' RETURNING id");
    const r2 = await runLiquibase(root, theirs.url, [
      `--search-path=${root}`,
      '--changelog-file=m.xml',
      'rollback-count',
      '--count=1',
    ]);
    expect(r2.ok).toBe(false);
    expect(r2.out).toContain('No inverse to liquibase.change.core.RawSQLChange created');
    expect(schemaDump(ours)).toBe(schemaDump(theirs));
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
  }, 300_000);
});

describe('renameView with schemaName, rolled back, against Liquibase 4.28', () => {
  let root: string;
  let theirs: TestDatabase;
  let ours: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({
      'm.xml': `<databaseChangeLog ${NS}>
  <changeSet id="1" author="a">
    <sql>create schema s1</sql>
    <createView viewName="v1" schemaName="s1">select 1 as x</createView>
    <rollback>drop schema s1 cascade</rollback>
  </changeSet>
  <changeSet id="2" author="a">
    <renameView oldViewName="v1" newViewName="v2" schemaName="s1"/>
  </changeSet>
</databaseChangeLog>
`,
    });
    [theirs, ours] = await Promise.all([createTestDatabase('rbi_view_theirs'), createTestDatabase('rbi_view_ours')]);
  });
  afterAll(async () => {
    await Promise.all([theirs?.drop(), ours?.drop()]);
    if (root) await removeTree(root);
  });

  it('renames back in the default schema, as Liquibase does, and fails as it does', async () => {
    await liquibaseOk(root, theirs, 'm.xml', 'update');
    await applyOurPackage(root, 'm.xml', ours);
    const r = await runLiquibase(root, theirs.url, [
      `--search-path=${root}`,
      '--changelog-file=m.xml',
      'rollback-count',
      '--count=1',
    ]);
    expect(r.ok).toBe(false);
    expect(r.out).toContain('relation "public.v2" does not exist');
    const parsed = await parseChangelog({ rootDir: root, changelog: 'm.xml' });
    expect(parsed.changeSets[1]!.rollback).toEqual(['ALTER TABLE public.v2 RENAME TO v1']);
    const file = path.join(root, 'rollback.sql');
    await writeFile(file, renderRollbackSql(parsed, { count: 1 }));
    const p = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, ours.url], { encoding: 'utf8' });
    expect(p.stderr).toContain('relation "public.v2" does not exist');
    expect(schemaDump(ours)).toBe(schemaDump(theirs));
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
  }, 300_000);
});
