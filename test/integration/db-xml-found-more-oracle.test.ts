import { describe, expect, it } from 'vitest';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

// More departures found running public projects' XML changelogs (session 15's hunt; db-xml-found-oracle.test.ts has
// the earlier ones), each reproduced by a hand-made changelog and compared with `liquibase update` 4.28 on PostgreSQL.
const NS =
  'xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-3.1.xsd"';

// createIndex without a name (found on CMSgov/dpc-app: dpc-attribution migrations.xml, add-roster-idx has
// indexName=""): on PostgreSQL the name is optional, and PostgreSQL names the index.
const NAMELESS_INDEX = `<databaseChangeLog ${NS}>
  <changeSet id="table" author="t">
    <createTable tableName="ATTRIBUTIONS"><column name="roster_id" type="int"/><column name="patient_id" type="int"/></createTable>
  </changeSet>
  <changeSet id="add-roster-idx" author="t">
    <createIndex tableName="ATTRIBUTIONS" indexName="">
      <column name="roster_id"/>
      <column name="patient_id"/>
    </createIndex>
  </changeSet>
  <include file="ni.yaml" relativeToChangelogFile="true"/>
</databaseChangeLog>
`;
const NAMELESS_INDEX_YAML = `databaseChangeLog:
  - changeSet:
      id: yaml-no-name
      author: t
      changes:
        - createIndex: {tableName: ATTRIBUTIONS, columns: [{column: {name: patient_id}}]}
  - changeSet:
      id: yaml-unique-no-name
      author: t
      changes:
        - createIndex: {tableName: ATTRIBUTIONS, unique: true, columns: [{column: {name: roster_id}}, {column: {name: patient_id}}]}
`;

describe('createIndex without indexName, against Liquibase 4.28', () => {
  const c = useOracleCase('noname_idx', { 'ni.xml': NAMELESS_INDEX, 'ni.yaml': NAMELESS_INDEX_YAML });

  it('creates the index PostgreSQL names, with the checksum and description Liquibase records', async () => {
    await liquibaseOk(c.root, c.theirs, 'ni.xml', 'update');
    await applyOurPackage(c.root, 'ni.xml', c.ours);
    expectSameSchemaAndHistory(c);
    expect(psqlRows(c.theirs, "SELECT indexname FROM pg_indexes WHERE tablename = 'attributions' ORDER BY 1")).toEqual([
      'attributions_patient_id_idx',
      'attributions_roster_id_patient_id_idx',
      'attributions_roster_id_patient_id_idx1',
    ]);
  }, 300_000);
});
