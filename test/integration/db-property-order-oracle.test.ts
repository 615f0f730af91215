import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { applyOurPackage, HISTORY_ROWS, liquibaseOk, psqlRows, schemaDump } from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// When a property defined later in a changelog is visible (Liquibase 4.28): YamlChangeLogParser defines every
// `property` of a YAML/JSON file, as written, before it expands or loads anything, so changesets before the
// definition see it; an included file's properties arrive only when that file is loaded; XML is read in document
// order (its XSD even refuses a <property> after a changeSet or include, hence --validate-xml-changelog-files=false).

const table = (name: string, ...props: string[]): string =>
  `create table ${name} (${props.map((p, i) => `c${i} text default '\${${p}}'`).join(', ')})`;
const yamlSql = (id: string, sql: string): string =>
  `  - changeSet:\n      id: ${id}\n      author: a\n      changes:\n        - sql: {sql: "${sql}"}\n`;

const MASTER_YAML =
  'databaseChangeLog:\n' +
  yamlSql('y1', table('y1', 'late', 'childprop', 'xmllate', 'cf', 'cc')) +
  '  - property: {name: late, value: yaml_late}\n' +
  '  - include: {file: child.yaml}\n' +
  '  - include: {file: order.xml}\n' +
  yamlSql('y2', table('y2', 'late', 'childprop', 'xmllate', 'chained')) +
  '  - property: {name: chained, value: "${late2}"}\n' +
  '  - property: {name: late2, value: l2}\n' +
  // The first pass reads `context`, not `contextFilter`: cf is defined without a context (measured with --contexts).
  '  - property: {name: cf, value: filtered, contextFilter: nope}\n' +
  '  - property: {name: cc, value: ctxd, context: nope}\n';

const CHILD_YAML =
  'databaseChangeLog:\n' +
  yamlSql('c1', table('c1', 'late', 'childprop', 'xmllate')) +
  '  - property: {name: childprop, value: child_late}\n';

const ORDER_XML = `<databaseChangeLog ${LIQUIBASE_NS}>
  <changeSet id="x1" author="a"><sql>${table('x1', 'xmllate', 'late2')}</sql></changeSet>
  <property name="xmllate" value="xml_late"/>
  <changeSet id="x2" author="a"><sql>${table('x2', 'xmllate')}</sql></changeSet>
</databaseChangeLog>
`;

const MASTER_JSON = JSON.stringify({
  databaseChangeLog: [
    { changeSet: { id: 'j1', author: 'a', changes: [{ sql: { sql: table('j1', 'jlate') } }] } },
    { property: { name: 'jlate', value: 'json_late' } },
  ],
});

describe('property definition order against Liquibase 4.28', () => {
  let root: string;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    root = await makeTree({
      'master.yaml': MASTER_YAML,
      'child.yaml': CHILD_YAML,
      'order.xml': ORDER_XML,
      'master.json': MASTER_JSON,
    });
    dbs.push(
      ...(await Promise.all(
        ['yaml_theirs', 'yaml_ours', 'json_theirs', 'json_ours', 'ctx'].map((n) =>
          createTestDatabase(`proporder_${n}`),
        ),
      )),
    );
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
    if (root) await removeTree(root);
  });

  it('YAML and JSON: a later property of the same file is visible; included files and XML in document order', async () => {
    const [yTheirs, yOurs, jTheirs, jOurs] = dbs as [TestDatabase, TestDatabase, TestDatabase, TestDatabase];
    await liquibaseOk(root, yTheirs, 'master.yaml', '--validate-xml-changelog-files=false', 'update');
    await applyOurPackage(root, 'master.yaml', yOurs);
    await liquibaseOk(root, jTheirs, 'master.json', 'update');
    await applyOurPackage(root, 'master.json', jOurs);
    for (const [theirs, ours] of [
      [yTheirs, yOurs],
      [jTheirs, jOurs],
    ] as const) {
      expect(schemaDump(ours)).toBe(schemaDump(theirs));
      expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    }
    // The facts the comparison rests on (measured on Liquibase's side).
    const dump = schemaDump(yTheirs);
    const defaults = (t: string): string[] =>
      [...new RegExp(`CREATE TABLE public\\.${t} \\(([^;]*)\\);`).exec(dump)![1]!.matchAll(/DEFAULT '([^']*)'/g)].map(
        (m) => m[1]!,
      );
    expect(defaults('y1')).toEqual(['yaml_late', '${childprop}', '${xmllate}', 'filtered', 'ctxd']);
    expect(defaults('c1')).toEqual(['yaml_late', 'child_late', '${xmllate}']);
    expect(defaults('x1')).toEqual(['${xmllate}', 'l2']);
    expect(defaults('x2')).toEqual(['xml_late']);
    expect(defaults('y2')).toEqual(['yaml_late', 'child_late', 'xml_late', 'l2']);
    expect(schemaDump(jTheirs)).toContain("DEFAULT 'json_late'");
    // Validated as Liquibase validates by default, order.xml fails: Slipway warns at its line and reads it.
    const strictXml = await runLiquibase(root, yTheirs.url, [
      `--search-path=${root}`,
      '--changelog-file=master.yaml',
      'validate',
    ]);
    expect(strictXml.ok).toBe(false);
    expect(strictXml.out).toMatch(/Invalid content was found starting with element '[^']*property/);
    const parsed = await parseChangelog({ rootDir: root, changelog: 'master.yaml' });
    expect(parsed.warnings.map((w) => `${w.file}:${w.line} ${w.code}`)).toEqual(['order.xml:3 W_LIQUIBASE_REJECTS']);
  }, 300_000);

  it('with --contexts: the first pass ignores contextFilter, context still limits', async () => {
    const out = await liquibaseOk(
      root,
      dbs[4]!,
      'master.yaml',
      '--validate-xml-changelog-files=false',
      '--contexts=other',
      'update-sql',
    );
    const theirs = /^create table y1 .*$/m.exec(out)![0];
    expect(theirs).toContain("'filtered'");
    expect(theirs).toContain("'${cc}'");
    const parsed = await parseChangelog({ rootDir: root, changelog: 'master.yaml', contexts: ['other'] });
    expect(`${parsed.changeSets[0]!.statements[0]!};`).toBe(theirs);
  }, 300_000);

  it('${…} in a YAML property file path: Liquibase fails on it as written, Slipway warns at file:line', async () => {
    const dir = await makeTree({
      'p.yaml':
        'databaseChangeLog:\n  - property: {name: d, value: sub}\n  - property: {file: "${d}/p.properties", errorIfMissing: false}\n' +
        yamlSql('p1', table('p1', 'fromfile')),
      'sub/p.properties': 'fromfile=ff\n',
    });
    try {
      const r = await runLiquibase(dir, dbs[4]!.url, [`--search-path=${dir}`, '--changelog-file=p.yaml', 'validate']);
      expect(r.ok).toBe(false);
      expect(r.out).toContain('Illegal character in opaque part');
      const parsed = await parseChangelog({ rootDir: dir, changelog: 'p.yaml' });
      expect(parsed.warnings.map((w) => `${w.file}:${w.line} ${w.code}`)).toEqual(['p.yaml:3 W_LIQUIBASE_REJECTS']);
      expect(parsed.changeSets[0]!.statements).toEqual([table('p1', 'fromfile').replace('${fromfile}', 'ff')]);
      await expect(parseChangelog({ rootDir: dir, changelog: 'p.yaml', strict: true })).rejects.toMatchObject({
        code: 'E_CHANGELOG',
      });
    } finally {
      await removeTree(dir);
    }
  }, 300_000);
});
