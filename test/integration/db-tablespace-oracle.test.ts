import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { applyOurPackage, HISTORY_ROWS, liquibaseOk, psqlRows, schemaDump } from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// tablespace (createTable, createIndex, addPrimaryKey, addUniqueConstraint), tableType (UNLOGGED, TEMPORARY) and
// clustered (createIndex, addPrimaryKey) as Liquibase 4.28 renders them on PostgreSQL: every statement we generate
// appears verbatim in `liquibase update-sql`, and `update` records our checksums and builds our schema (XML and
// YAML). `pg_default` is a tablespace every server has.

const XML = `<databaseChangeLog ${LIQUIBASE_NS}>
  <changeSet id="t1" author="a">
    <createTable tableName="ts_a" tablespace="pg_default">
      <column name="id" type="int"><constraints nullable="false"/></column>
      <column name="code" type="varchar(10)"/>
    </createTable>
  </changeSet>
  <changeSet id="t2" author="a">
    <createTable tableName="ts_unlogged" tableType="UNLOGGED"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="t3" author="a">
    <createTable tableName="ts_temp" tableType="TEMPORARY"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="t4" author="a">
    <addPrimaryKey tableName="ts_a" columnNames="id" constraintName="ts_a_pk" tablespace="pg_default" clustered="true"/>
  </changeSet>
  <changeSet id="t5" author="a">
    <addUniqueConstraint tableName="ts_a" columnNames="code" constraintName="ts_a_code_uk" tablespace="pg_default"/>
  </changeSet>
  <changeSet id="t6" author="a">
    <createIndex tableName="ts_a" indexName="ts_a_code_idx" tablespace="pg_default" clustered="true"><column name="code"/></createIndex>
  </changeSet>
  <changeSet id="t7" author="a">
    <createTable tableName="ts_b" tablespace="pg_default"><column name="id" type="int"><constraints primaryKey="true" primaryKeyName="ts_b_pk" primaryKeyTablespace="pg_default"/></column></createTable>
  </changeSet>
</databaseChangeLog>
`;

const YAML = `databaseChangeLog:
  - changeSet:
      id: t1
      author: a
      changes:
        - createTable:
            tableName: ts_a
            tablespace: pg_default
            columns:
              - column: {name: id, type: int, constraints: {nullable: false}}
              - column: {name: code, type: varchar(10)}
  - changeSet:
      id: t2
      author: a
      changes:
        - createTable: {tableName: ts_unlogged, tableType: UNLOGGED, columns: [{column: {name: id, type: int}}]}
  - changeSet:
      id: t3
      author: a
      changes:
        - createTable: {tableName: ts_temp, tableType: TEMPORARY, columns: [{column: {name: id, type: int}}]}
  - changeSet:
      id: t4
      author: a
      changes:
        - addPrimaryKey: {tableName: ts_a, columnNames: id, constraintName: ts_a_pk, tablespace: pg_default, clustered: true}
  - changeSet:
      id: t5
      author: a
      changes:
        - addUniqueConstraint: {tableName: ts_a, columnNames: code, constraintName: ts_a_code_uk, tablespace: pg_default}
  - changeSet:
      id: t6
      author: a
      changes:
        - createIndex: {tableName: ts_a, indexName: ts_a_code_idx, tablespace: pg_default, clustered: true, columns: [{column: {name: code}}]}
  - changeSet:
      id: t7
      author: a
      changes:
        - createTable:
            tableName: ts_b
            tablespace: pg_default
            columns:
              - column: {name: id, type: int, constraints: {primaryKey: true, primaryKeyName: ts_b_pk, primaryKeyTablespace: pg_default}}
`;

describe('tablespace, tableType and clustered against Liquibase 4.28', () => {
  let root: string;
  let dbs: TestDatabase[] = [];
  beforeAll(async () => {
    root = await makeTree({ 'ts.xml': XML, 'ts.yaml': YAML });
    dbs = await Promise.all(['ts_sql', 'ts_theirs', 'ts_ours', 'ts_yaml'].map((n) => createTestDatabase(n)));
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
    if (root) await removeTree(root);
  });

  it('update-sql prints our statements; update records our rows and builds our schema', async () => {
    const [sqlDb, theirs, ours] = dbs as [TestDatabase, TestDatabase, TestDatabase];
    const theirSql = await liquibaseOk(root, sqlDb, 'ts.xml', 'update-sql');
    const parsed = await parseChangelog({ rootDir: root, changelog: 'ts.xml' });
    const statements = parsed.changeSets.flatMap((c) => c.statements);
    expect(statements.length).toBeGreaterThanOrEqual(9);
    for (const s of statements) expect(theirSql, s).toContain(`${s};`);
    for (const s of ['TABLESPACE pg_default', 'CREATE UNLOGGED TABLE', 'CREATE TEMPORARY TABLE', 'CLUSTER '])
      expect(statements.join('\n')).toContain(s);

    await liquibaseOk(root, theirs, 'ts.xml', 'update');
    await applyOurPackage(root, 'ts.xml', ours);
    expect(schemaDump(ours)).toBe(schemaDump(theirs));
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    // The clustered index and the unlogged table are really there on both sides.
    for (const db of [ours, theirs]) {
      expect(psqlRows(db, 'SELECT indexrelid::regclass FROM pg_index WHERE indisclustered')).toEqual(['ts_a_code_idx']);
      expect(psqlRows(db, "SELECT relname FROM pg_class WHERE relpersistence = 'u'")).toEqual(['ts_unlogged']);
    }
  }, 400_000);

  it('the YAML form records the XML checksums under Liquibase', async () => {
    const yamlDb = dbs[3]!;
    await liquibaseOk(root, yamlDb, 'ts.yaml', 'update');
    const ours = await parseChangelog({ rootDir: root, changelog: 'ts.yaml' });
    const xml = await parseChangelog({ rootDir: root, changelog: 'ts.xml' });
    expect(ours.changeSets.map((c) => c.checksum)).toEqual(xml.changeSets.map((c) => c.checksum));
    expect(psqlRows(yamlDb, 'SELECT md5sum FROM databasechangelog ORDER BY orderexecuted')).toEqual(
      ours.changeSets.map((c) => c.checksum),
    );
  }, 300_000);
});
