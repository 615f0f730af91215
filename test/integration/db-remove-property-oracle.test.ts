import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { applyOurPackage, HISTORY_ROWS, liquibaseOk, psqlRows, schemaDump } from '../helpers/liquibase-oracle.js';
import { changelogXml } from '../helpers/changelog-xml.js';

// <removeChangeSetProperty change="addColumn" dbms="…" remove="afterColumn|beforeColumn|position"/> (a child of
// databaseChangeLog), measured with Liquibase 4.28 on PostgreSQL: it takes the attribute off every column of the
// addColumn changes parsed after it in the same file (XML and YAML, document order, YAML columns written without the
// `column` key too), before the checksum; not off
// earlier changesets, not off included files. dbms must match as written (no dbms: no database; "PostgreSQL" does
// not match; "all", "!mysql", "mysql, postgresql" do); a change other than exactly "addColumn" is ignored; an
// unknown remove fails once an addColumn follows, and is ignored when none does.
const xml = (...body: string[]): string => changelogXml(body.join('\n'));
const rm = (change: string, dbms: string | null, remove: string): string =>
  `<removeChangeSetProperty change="${change}"${dbms === null ? '' : ` dbms="${dbms}"`} remove="${remove}"/>`;
const TABLE =
  '<changeSet id="t" author="a"><createTable tableName="pos"><column name="id" type="int"/></createTable></changeSet>';
const addColumn = (id: string, ...cols: string[]): string =>
  `<changeSet id="${id}" author="a"><addColumn tableName="pos">${cols.map((c) => `<column ${c}/>`).join('')}</addColumn></changeSet>`;

const MASTER_XML = xml(
  rm('addColumn', 'postgresql', 'afterColumn'),
  rm('addColumn', 'mysql, postgresql', 'position'),
  rm('addColumn', 'mysql', 'beforeColumn'),
  rm('createTable', 'postgresql', 'afterColumn'),
  TABLE,
  addColumn('c', 'name="x" type="int" afterColumn="id"', 'name="y" type="text" position="1"'),
  '<include file="child.yaml"/>',
);
const CHILD_YAML = `databaseChangeLog:
  - changeSet: {id: y0, author: a, changes: [{createTable: {tableName: ypos, columns: [{column: {name: id, type: int}}]}}]}
  - removeChangeSetProperty: {change: addColumn, dbms: "!mysql", remove: beforeColumn}
  - changeSet:
      id: y1
      author: a
      changes:
        - addColumn:
            tableName: ypos
            columns:
              - column: {name: z, type: int, beforeColumn: id}
              - column: {name: w, type: int}
  - removeChangeSetProperty: {change: addColumn, dbms: postgresql, remove: afterColumn}
  # Columns written without the column key (spinnaker/clouddriver): each entry is itself a column, and loses it too.
  - changeSet:
      id: y2
      author: a
      changes:
        - addColumn:
            tableName: ypos
            columns:
              - name: v
                type: text
                afterColumn: id
        - addColumn:
            tableName: ypos
            columns: {name: u, type: int, afterColumn: v}
`;
// The same changes as written without the removed attributes: Liquibase records the same checksums.
const PLAIN_XML = xml(TABLE, addColumn('c', 'name="x" type="int"', 'name="y" type="text"'));

const FAILS: Record<string, { text: string; measured: string; slipway: Record<string, unknown> }> = {
  // The includer's removal does not reach an included file.
  'inc.xml': {
    text: xml(rm('addColumn', 'postgresql', 'afterColumn'), TABLE, '<include file="incchild.xml"/>'),
    measured: 'addAfterColumn is not allowed on postgresql, incchild.xml::c::a',
    slipway: { file: 'incchild.xml', field: 'afterColumn' },
  },
  // YAML: a removal after the changeset does not reach it.
  'late.yaml': {
    text: `databaseChangeLog:
  - changeSet: {id: c, author: a, changes: [{addColumn: {tableName: pos, columns: [{column: {name: c, type: int, afterColumn: id}}]}}]}
  - removeChangeSetProperty: {change: addColumn, dbms: postgresql, remove: afterColumn}
`,
    measured: 'addAfterColumn is not allowed on postgresql, late.yaml::c::a',
    slipway: { file: 'late.yaml', line: 2, field: 'afterColumn' },
  },
  'nodbms.xml': {
    text: xml(rm('addColumn', null, 'afterColumn'), TABLE, addColumn('c', 'name="c" type="int" afterColumn="id"')),
    measured: 'addAfterColumn is not allowed on postgresql, nodbms.xml::c::a',
    slipway: { file: 'nodbms.xml', line: 5, field: 'afterColumn' },
  },
  'case.xml': {
    text: xml(
      rm('addColumn', 'PostgreSQL', 'afterColumn'),
      TABLE,
      addColumn('c', 'name="c" type="int" afterColumn="id"'),
    ),
    measured: 'addAfterColumn is not allowed on postgresql, case.xml::c::a',
    slipway: { file: 'case.xml', line: 5, field: 'afterColumn' },
  },
  'badremove.xml': {
    text: xml(rm('addColumn', 'postgresql', 'foo'), TABLE, addColumn('c', 'name="c" type="int"')),
    measured: 'Unexpected value found under removeChangeSetProperty for remove tag: foo',
    slipway: { file: 'badremove.xml', line: 3, field: 'remove' },
  },
};

describe('removeChangeSetProperty against Liquibase 4.28 on PostgreSQL', () => {
  let root: string;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    const tree: Record<string, string> = {
      'master.xml': MASTER_XML,
      'child.yaml': CHILD_YAML,
      'plain.xml': PLAIN_XML,
      'incchild.xml': xml(addColumn('c', 'name="c" type="int" afterColumn="id"')),
      // No addColumn after an unknown remove: Liquibase ignores it.
      'noadd.xml': xml(rm('addColumn', 'postgresql', 'foo'), TABLE),
      // Out of the XSD's order (property before it): refused by default validation, read without it.
      'order.xml': xml(
        '<property name="p" value="afterColumn"/>',
        '<removeChangeSetProperty change="addColumn" dbms="postgresql" remove="${p}"/>',
        TABLE,
        addColumn('c', 'name="c" type="int" afterColumn="id"'),
      ),
    };
    for (const [f, { text }] of Object.entries(FAILS)) tree[f] = text;
    root = await makeTree(tree);
    dbs.push(...(await Promise.all(['theirs', 'ours', 'sql'].map((n) => createTestDatabase(`rmprop_${n}`)))));
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
    if (root) await removeTree(root);
  });

  it('update: same schema, history rows and checksums (those of the changes without the attribute); update-sql text', async () => {
    const [theirs, ours, sqlDb] = dbs as [TestDatabase, TestDatabase, TestDatabase];
    await liquibaseOk(root, theirs, 'master.xml', 'update');
    await applyOurPackage(root, 'master.xml', ours);
    expect(schemaDump(ours)).toBe(schemaDump(theirs));
    const rows = psqlRows(theirs, HISTORY_ROWS);
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(rows);
    expect(rows.map((r) => r.split('|')[0])).toEqual(['t', 'c', 'y0', 'y1', 'y2']);

    const parsed = await parseChangelog({ rootDir: root, changelog: 'master.xml' });
    expect(parsed.warnings.map((w) => `${w.file}:${w.line} ${w.code}`)).toEqual([
      'master.xml:6 W_REMOVE_PROPERTY_IGNORED',
    ]);
    // update-sql prints exactly our statements.
    const out = await liquibaseOk(root, sqlDb, 'master.xml', 'update-sql');
    const theirSql = out.split('\n').filter((l) => /^ALTER TABLE public\.y?pos /.test(l));
    const ourSql = parsed.changeSets.filter((c) => ['c', 'y1', 'y2'].includes(c.id)).flatMap((c) => c.statements);
    expect(ourSql.map((s) => `${s};`)).toEqual(theirSql);
    expect(theirSql).toEqual([
      'ALTER TABLE public.pos ADD x INTEGER;',
      'ALTER TABLE public.pos ADD y TEXT;',
      'ALTER TABLE public.ypos ADD z INTEGER;',
      'ALTER TABLE public.ypos ADD w INTEGER;',
      'ALTER TABLE public.ypos ADD v TEXT;',
      'ALTER TABLE public.ypos ADD u INTEGER;',
    ]);
    // The checksum Liquibase records is that of the change written without the attribute.
    const plainOut = await liquibaseOk(root, sqlDb, 'plain.xml', 'update-sql');
    const md5 = (text: string, id: string): string =>
      new RegExp(`VALUES \\('${id}', 'a', '[^']*', NOW\\(\\), \\d+, '(9:[0-9a-f]+)'`).exec(text)![1]!;
    expect(md5(out, 'c')).toBe(md5(plainOut, 'c'));
    expect(parsed.changeSets.find((c) => c.id === 'c')!.checksum).toBe(md5(plainOut, 'c'));
  }, 300_000);

  it('what it does not reach, and an unknown remove: Liquibase fails, Slipway refuses at file:line with the field', async () => {
    const db = dbs[2]!;
    for (const [f, { measured, slipway }] of Object.entries(FAILS)) {
      const r = await runLiquibase(root, db.url, [`--search-path=${root}`, `--changelog-file=${f}`, 'update-sql']);
      expect(r.ok, f).toBe(false);
      expect(r.out, f).toContain(measured);
      await expect(parseChangelog({ rootDir: root, changelog: f }), f).rejects.toMatchObject({
        code: 'E_CHANGELOG',
        ...slipway,
      });
    }
  }, 300_000);

  it('ignored by Liquibase: an unknown remove with no addColumn after it, a removal out of the XSD order', async () => {
    const db = dbs[2]!;
    const noadd = await runLiquibase(root, db.url, [
      `--search-path=${root}`,
      '--changelog-file=noadd.xml',
      'update-sql',
    ]);
    expect(noadd.ok).toBe(true);
    const parsedNoadd = await parseChangelog({ rootDir: root, changelog: 'noadd.xml' });
    expect(parsedNoadd.warnings.map((w) => `${w.file}:${w.line} ${w.code}`)).toEqual([
      'noadd.xml:3 W_REMOVE_PROPERTY_IGNORED',
    ]);

    const strict = await runLiquibase(root, db.url, [
      `--search-path=${root}`,
      '--changelog-file=order.xml',
      'update-sql',
    ]);
    expect(strict.ok).toBe(false);
    expect(strict.out).toMatch(/Invalid content was found starting with element '[^']*removeChangeSetProperty/);
    const lax = await liquibaseOk(root, db, 'order.xml', '--validate-xml-changelog-files=false', 'update-sql');
    const parsed = await parseChangelog({ rootDir: root, changelog: 'order.xml' });
    expect(parsed.warnings.map((w) => `${w.file}:${w.line} ${w.code}`)).toEqual(['order.xml:4 W_LIQUIBASE_REJECTS']);
    expect(lax).toContain('ALTER TABLE public.pos ADD c INTEGER;');
    expect(parsed.changeSets[1]!.statements).toEqual(['ALTER TABLE public.pos ADD c INTEGER']);
  }, 300_000);
});
