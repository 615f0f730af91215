import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { applyOurPackage, HISTORY_ROWS, liquibaseOk, psqlRows, schemaDump } from '../helpers/liquibase-oracle.js';

// Paths written with a leading "/" (include file="/db/x.xml", as projects that load changelogs from the classpath
// write them): Liquibase 4.28 looks them up in the search path, i.e. under the root, and records the include's
// file name without the "/". Slipway used to refuse them as leaving the project root.
const NS =
  'xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd"';

const MASTER = `<databaseChangeLog ${NS}>
  <property file="/db/app.properties"/>
  <include file="/db/tables.xml"/>
  <changeSet id="m1" author="a">
    <sqlFile path="/db/extra.sql"/>
    <loadData tableName="\${tbl}" file="/db/rows.csv"/>
  </changeSet>
</databaseChangeLog>
`;

const TABLES = `<databaseChangeLog ${NS}>
  <changeSet id="t1" author="a">
    <createTable tableName="\${tbl}"><column name="id" type="int"/><column name="name" type="varchar(20)"/></createTable>
  </changeSet>
</databaseChangeLog>
`;

describe('leading-slash paths against Liquibase 4.28', () => {
  let root: string;
  let theirs: TestDatabase;
  let ours: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({
      'db/master.xml': MASTER,
      'db/tables.xml': TABLES,
      'db/app.properties': 'tbl=slash_table\n',
      'db/extra.sql': 'create table slash_extra (id int);\n',
      'db/rows.csv': 'id,name\n1,one\n2,two\n',
    });
    [theirs, ours] = await Promise.all([createTestDatabase('slash_theirs'), createTestDatabase('slash_ours')]);
  });
  afterAll(async () => {
    await Promise.all([theirs?.drop(), ours?.drop()]);
    if (root) await removeTree(root);
  });

  it('include, sqlFile, property file and loadData find their files under the root; history rows match', async () => {
    await liquibaseOk(root, theirs, 'db/master.xml', 'update');
    await applyOurPackage(root, 'db/master.xml', ours);
    expect(schemaDump(ours)).toBe(schemaDump(theirs));
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    expect(psqlRows(ours, 'SELECT id, name FROM slash_table ORDER BY id')).toEqual(['1|one', '2|two']);
    // The include's row names db/tables.xml, not /db/tables.xml: the fact the comparison rests on.
    expect(psqlRows(theirs, "SELECT filename FROM databasechangelog WHERE id = 't1'")).toEqual(['db/tables.xml']);
    expect(schemaDump(theirs)).toContain('slash_extra');
  }, 300_000);

  it('a leading-slash path that climbs out of the root is still refused, naming file and line', async () => {
    const bad = await makeTree({
      'db/master.xml': `<databaseChangeLog ${NS}>\n<include file="/../x.xml"/>\n</databaseChangeLog>\n`,
    });
    try {
      await expect(parseChangelog({ rootDir: bad, changelog: 'db/master.xml' })).rejects.toMatchObject({
        code: 'E_CHANGELOG',
        file: 'db/master.xml',
        line: 2,
        message: 'Path "/../x.xml" leaves the project root',
      });
    } finally {
      await removeTree(bad);
    }
  });
});
