import { writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { applyOurPackage, HISTORY_ROWS, liquibaseOk, psqlRows, schemaDump } from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// Paths written with a leading "/" (include file="/db/x.xml", as projects that load changelogs from the classpath
// write them): Liquibase 4.28 looks them up in the search path, i.e. under the root, and records the include's
// file name without the "/". Slipway used to refuse them as leaving the project root.

const MASTER = `<databaseChangeLog ${LIQUIBASE_NS}>
  <property file="/db/app.properties"/>
  <include file="/db/tables.xml"/>
  <changeSet id="m1" author="a">
    <sqlFile path="/db/extra.sql"/>
    <loadData tableName="\${tbl}" file="/db/rows.csv"/>
  </changeSet>
</databaseChangeLog>
`;

const TABLES = `<databaseChangeLog ${LIQUIBASE_NS}>
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
      'db/master.xml': `<databaseChangeLog ${LIQUIBASE_NS}>\n<include file="/../x.xml"/>\n</databaseChangeLog>\n`,
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

// Two more shapes of a leading "/", measured on Liquibase 4.28: an include written "//db//a.xml" is read from
// <root>/db/a.xml but recorded as "/db/a.xml" (DatabaseChangeLog.normalizePath takes one "/" off, Commons IO keeps
// the next; formatted SQL takes off two), and a filesystem path that points inside the root is looked up under the
// root like any other "/" path, so neither finds it (Slipway used to accept it as root-relative).
describe('double-slash and absolute include paths against Liquibase 4.28', () => {
  let root: string;
  let theirs: TestDatabase;
  let ours: TestDatabase;
  const table = (n: string): string =>
    `<databaseChangeLog ${LIQUIBASE_NS}>\n<changeSet id="${n}" author="a"><createTable tableName="${n}"><column name="id" type="int"/></createTable></changeSet>\n</databaseChangeLog>\n`;
  beforeAll(async () => {
    root = await makeTree({
      'master.xml': `<databaseChangeLog ${LIQUIBASE_NS}>\n<include file="//db//x.xml"/>\n<include file="//db//y.yaml"/>\n<include file="//db//z.sql"/>\n<include file="db//w.xml"/>\n</databaseChangeLog>\n`,
      'db/x.xml': table('dbl_x'),
      'db/w.xml': table('dbl_w'),
      'db/y.yaml':
        'databaseChangeLog:\n  - changeSet:\n      id: dbl_y\n      author: a\n      changes:\n        - sql: create table dbl_y (id int)\n',
      'db/z.sql': '--liquibase formatted sql\n--changeset a:dbl_z\ncreate table dbl_z (id int);\n',
      'db/a.xml': table('abs_a'),
      'db/s.sql': 'create table abs_s (id int);\n',
    });
    [theirs, ours] = await Promise.all([createTestDatabase('dblslash_theirs'), createTestDatabase('dblslash_ours')]);
  });
  afterAll(async () => {
    await Promise.all([theirs?.drop(), ours?.drop()]);
    if (root) await removeTree(root);
  });

  it('"//db//x.xml" is recorded as Liquibase records it, per changelog format', async () => {
    await liquibaseOk(root, theirs, 'master.xml', 'update');
    await applyOurPackage(root, 'master.xml', ours);
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    expect(schemaDump(ours)).toBe(schemaDump(theirs));
    expect(psqlRows(theirs, 'SELECT filename FROM databasechangelog ORDER BY orderexecuted')).toEqual([
      '/db/x.xml',
      '/db/y.yaml',
      'db/z.sql',
      'db/w.xml',
    ]);
  }, 300_000);

  it('an absolute path inside the root is not found by either, naming the path and the include', async () => {
    const abs = `${root}/db/a.xml`;
    const sql = `${root}/db/s.sql`;
    const files = {
      'abs-include.xml': `<databaseChangeLog ${LIQUIBASE_NS}>\n<include file="${abs}"/>\n</databaseChangeLog>\n`,
      'abs-sqlfile.xml': `<databaseChangeLog ${LIQUIBASE_NS}>\n<changeSet id="s" author="a">\n<sqlFile path="${sql}"/>\n</changeSet>\n</databaseChangeLog>\n`,
    };
    for (const [name, text] of Object.entries(files)) await writeFile(`${root}/${name}`, text);
    for (const [name, written] of [
      ['abs-include.xml', abs],
      ['abs-sqlfile.xml', sql],
    ] as const) {
      const r = await runLiquibase(root, theirs.url, [`--search-path=${root}`, `--changelog-file=${name}`, 'update']);
      expect(r.ok).toBe(false);
      expect(r.out).toContain(`The file ${written} was not found in the configured search path`);
      await expect(parseChangelog({ rootDir: root, changelog: name })).rejects.toMatchObject({
        code: 'E_CHANGELOG',
        file: name,
        line: name === 'abs-include.xml' ? 2 : 3,
        message: expect.stringContaining(`not found: ${written} (looked up as ${written.slice(1)} under the root)`),
      });
    }
  }, 300_000);
});
