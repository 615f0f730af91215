import { describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  liquibaseRollback,
  ourRollback,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// The rollback Liquibase 4.28 infers for a changeset without <rollback> (each change's inverse, newest first),
// run by both tools after the same update: same schema, data and history rows.

describe('loadUpdateData without <rollback> against Liquibase 4.28', () => {
  const c = useOracleCase('rbi_lud', {
    'm.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
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

  it('rolls back with one DELETE per CSV row by primaryKey, as Liquibase does', async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    const DATA = 'SELECT concat_ws($$|$$, id, code, name) FROM lud ORDER BY id';
    expect(psqlRows(c.ours, DATA)).toEqual(psqlRows(c.theirs, DATA));
    expect((await liquibaseRollback(c, 'm.xml', 1)).ok).toBe(true);
    expect(await ourRollback(c, 'm.xml', 1)).toBe('');
    // Liquibase deletes the row the CSV updated too (its rollback does not restore "before").
    expect(psqlRows(c.theirs, DATA)).toEqual(['9|kept']);
    expect(psqlRows(c.ours, DATA)).toEqual(psqlRows(c.theirs, DATA));
    expectSameSchemaAndHistory(c);
  }, 300_000);
});

describe('a change for another dbms in a changeset without <rollback>, against Liquibase 4.28', () => {
  const c = useOracleCase('rbi_dbms', {
    'm.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
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

  it('has no rollback: Liquibase asks the skipped change for its inverse too', async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    const r = await liquibaseRollback(c, 'm.xml', 1);
    expect(r.ok).toBe(false);
    expect(r.out).toContain('No inverse to liquibase.change.core.InsertDataChange created');
    const parsed = await parseChangelog({ rootDir: c.root, changelog: 'm.xml' });
    expect(parsed.changeSets.map((cs) => cs.rollback)).toEqual([['DROP TABLE public.t1'], null, null]);
    expect(parsed.changeSets.map((cs) => cs.noRollback)).toEqual([
      null,
      '<sql> has no automatic rollback',
      '<insert> has no automatic rollback',
    ]);
    // Changeset 1 has a rollback, so Slipway refuses when the SQL runs: the newest recorded one has none.
    expect(await ourRollback(c, 'm.xml', 1)).toContain('nothing was rolled back: m.xml::3::a');
    // The <sql dbms="mysql"> one, once Liquibase gets past changeset 3 (its row deleted by hand on both sides).
    for (const db of [c.theirs, c.ours]) psqlRows(db, "DELETE FROM databasechangelog WHERE id = '3' RETURNING id");
    const r2 = await liquibaseRollback(c, 'm.xml', 1);
    expect(r2.ok).toBe(false);
    expect(r2.out).toContain('No inverse to liquibase.change.core.RawSQLChange created');
    expect(await ourRollback(c, 'm.xml', 1)).toContain('nothing was rolled back: m.xml::2::a');
    expectSameSchemaAndHistory(c);
  }, 300_000);
});

describe('renameView with schemaName, rolled back, against Liquibase 4.28', () => {
  const c = useOracleCase('rbi_view', {
    'm.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
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

  it('renames back in the default schema, as Liquibase does, and fails as it does', async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    const r = await liquibaseRollback(c, 'm.xml', 1);
    expect(r.ok).toBe(false);
    expect(r.out).toContain('relation "public.v2" does not exist');
    const parsed = await parseChangelog({ rootDir: c.root, changelog: 'm.xml' });
    expect(parsed.changeSets[1]!.rollback).toEqual(['ALTER TABLE public.v2 RENAME TO v1']);
    expect(await ourRollback(c, 'm.xml', 1)).toContain('relation "public.v2" does not exist');
    expectSameSchemaAndHistory(c);
  }, 300_000);
});
