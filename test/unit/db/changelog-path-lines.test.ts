// A path error (a file that is not there, a path that leaves the root, an include cycle) names the line of the
// path's value and its field (`file`, `path`), not the element's first line: in YAML/JSON the value may sit lines
// below its key, in XML an element may span lines (saxes gives the line each attribute ends on).
import { afterEach, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../../src/db/changelog/index.js';
import { SlipwayError } from '../../../src/errors.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeTree));
});

async function failure(files: Record<string, string>, changelog: string): Promise<SlipwayError> {
  const root = await makeTree({ 'db/a.sql': 'SELECT 1;\n', 'db/d.csv': 'id\n1\n', ...files });
  dirs.push(root);
  const err = await parseChangelog({ rootDir: root, changelog }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SlipwayError);
  return err as SlipwayError;
}

/** A YAML changelog of one changeSet (ann:1) whose changes, from line 6, are `changes`. */
const yamlChanges = (changes: string): string =>
  `databaseChangeLog:\n  - changeSet:\n      id: 1\n      author: ann\n      changes:\n${changes}`;

/** An XML changelog of one changeSet (ann:1, line 2) whose changes start on line 3. */
const xmlChanges = (changes: string): string =>
  `<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n  <changeSet id="1" author="ann">\n${changes}  </changeSet>\n</databaseChangeLog>\n`;

// [what, changelog name, its text, other files, line, field, message]
const cases: [string, string, string, Record<string, string>, number, string, RegExp][] = [
  [
    'YAML include file not found, the value below its key',
    'db/master.yaml',
    `databaseChangeLog:\n  - include:\n      relativeToChangelogFile: false\n      file:\n        db/none.yaml\n`,
    {},
    5,
    'file',
    /Included file not found: db\/none\.yaml/,
  ],
  [
    'YAML include that leaves the root',
    'db/master.yaml',
    `databaseChangeLog:\n  - include:\n      relativeToChangelogFile: true\n      file: ../../x.yaml\n`,
    {},
    4,
    'file',
    /Path "\.\.\/\.\.\/x\.yaml" leaves the project root/,
  ],
  [
    'YAML include cycle',
    'db/master.yaml',
    `databaseChangeLog:\n  - include:\n      relativeToChangelogFile: true\n      file: b.yaml\n`,
    { 'db/b.yaml': `databaseChangeLog:\n  - include:\n      file:\n        db/master.yaml\n` },
    4,
    'file',
    /Include cycle: db\/master\.yaml -> db\/b\.yaml -> db\/master\.yaml/,
  ],
  [
    'YAML includeAll directory not found',
    'db/master.yaml',
    `databaseChangeLog:\n  - includeAll:\n      errorIfMissingOrEmpty: true\n      path: db/none/\n`,
    {},
    4,
    'path',
    /includeAll directory not found: db\/none/,
  ],
  [
    'JSON include of an unsupported type, the value on its own line',
    'db/master.json',
    `{"databaseChangeLog": [\n  {"include": {\n    "file":\n      "db/a.txt"}}]}\n`,
    { 'db/a.txt': 'x\n' },
    4,
    'file',
    /Unsupported changelog type: db\/a\.txt/,
  ],
  [
    'YAML sqlFile that leaves the root',
    'db/master.yaml',
    yamlChanges(`        - sqlFile:\n            splitStatements: true\n            path: ../../a.sql\n`),
    {},
    8,
    'path',
    /Path "\.\.\/\.\.\/a\.sql" leaves the project root/,
  ],
  [
    'YAML property file that leaves the root',
    'db/master.yaml',
    `databaseChangeLog:\n  - property:\n      errorIfMissing: true\n      file: ../../p.properties\n`,
    {},
    4,
    'file',
    /Path "\.\.\/\.\.\/p\.properties" leaves the project root/,
  ],
  [
    "YAML loadData's file not found",
    'db/master.yaml',
    yamlChanges(`        - loadData:\n            tableName: t\n            file: db/none.csv\n`),
    {},
    8,
    'file',
    /File not found: db\/none\.csv \(from <loadData>\)/,
  ],
  [
    "JSON createProcedure's path that leaves the root",
    'db/master.json',
    `{"databaseChangeLog": [{"changeSet": {"id": "1", "author": "ann", "changes": [\n  {"createProcedure": {"procedureName": "f",\n    "path": "../../f.sql"}}]}}]}\n`,
    {},
    3,
    'path',
    /Path "\.\.\/\.\.\/f\.sql" leaves the project root/,
  ],
  [
    "YAML createView's path not found",
    'db/master.yaml',
    yamlChanges(`        - createView:\n            viewName: v\n            path: db/none.sql\n`),
    {},
    8,
    'path',
    /File not found: db\/none\.sql \(from <createView>\)/,
  ],
  [
    'XML include file not found, the attribute on a later line of its element',
    'db/master.xml',
    `<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n  <include relativeToChangelogFile="false"\n      file="db/none.xml"/>\n</databaseChangeLog>\n`,
    {},
    3,
    'file',
    /Included file not found: db\/none\.xml/,
  ],
  [
    'XML sqlFile path on a later line of its element',
    'db/master.xml',
    xmlChanges(`    <sqlFile splitStatements="true"\n        path="../../a.sql"/>\n`),
    {},
    4,
    'path',
    /Path "\.\.\/\.\.\/a\.sql" leaves the project root/,
  ],
  [
    'XML loadData file on one line with its element',
    'db/master.xml',
    xmlChanges(`    <loadData tableName="t" file="db/none.csv"/>\n`),
    {},
    3,
    'file',
    /File not found: db\/none\.csv \(from <loadData>\)/,
  ],
];

describe('path errors name the line of the path value and its field', () => {
  it.each(cases)('%s', async (what, name, changelog, files, line, field, message) => {
    const err = await failure({ [name]: changelog, ...files }, name);
    expect(err.code).toBe('E_CHANGELOG');
    expect(err.message).toMatch(message);
    // A cycle is reported where it closes: the include in db/b.yaml.
    expect([err.file, err.line, err.field]).toEqual([what.includes('cycle') ? 'db/b.yaml' : name, line, field]);
  });
});

describe("other errors and warnings about one attribute name that attribute's line", () => {
  // [what, changelog name, its text, other files, line, field, message]
  const errors: [string, string, string, Record<string, string>, number, string, RegExp][] = [
    [
      'XML: an unknown attribute on a later line of its start tag',
      'db/master.xml',
      `<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n  <changeSet id="1" author="ann"\n      bogus="x">\n    <sql>select 1</sql>\n  </changeSet>\n</databaseChangeLog>\n`,
      {},
      3,
      'bogus',
      /Unknown attribute "bogus" on <changeSet>/,
    ],
    [
      "YAML: a column's defaultValueSequenceCurrent",
      'db/master.yaml',
      yamlChanges(
        `        - createTable:\n            tableName: t\n            columns:\n              - column:\n                  name: id\n                  type: int\n                  defaultValueSequenceCurrent: s\n`,
      ),
      {},
      12,
      'defaultValueSequenceCurrent',
      /Unexpected node: defaultValueSequenceCurrent/,
    ],
    [
      'YAML: a rollback that reuses a changeset that does not exist',
      'db/master.yaml',
      `${yamlChanges('        - sql: select 1\n')}      rollback:\n        changeSetAuthor: ann\n        changeSetId:\n          nope\n`,
      {},
      10,
      'changeSetId',
      /reuses changeset db\/master\.yaml::nope::ann, which does not exist/,
    ],
    [
      "YAML: loadData's CSV that cannot be read, at the file's value",
      'db/master.yaml',
      yamlChanges(`        - loadData:\n            tableName: t\n            file:\n              db/bad.csv\n`),
      { 'db/bad.csv': 'id\n"1\n' },
      9,
      'file',
      /db\/bad\.csv:2: a quoted field is not closed/,
    ],
  ];
  it.each(errors)('%s', async (_what, name, changelog, files, line, field, message) => {
    const err = await failure({ [name]: changelog, ...files }, name);
    expect(err.code).toBe('E_CHANGELOG');
    expect(err.message).toMatch(message);
    expect([err.file, err.line, err.field]).toEqual([name, line, field]);
  });

  it('YAML: W_PROPERTY_UNKNOWN_AT_BUILD at the line of the expression, W_LIQUIBASE_REJECTS at a property file value', async () => {
    const root = await makeTree({
      'db/p.properties': 'a=1\n',
      'db/master.yaml': `databaseChangeLog:
  - property:
      name: d
      value: db
  - property:
      file:
        \${d}/p.properties
  - changeSet:
      id: 1
      author: ann
      changes:
        - sql:
            sql: |
              select 1;
              select '\${database.databaseMajorVersion}';
`,
    });
    dirs.push(root);
    const r = await parseChangelog({ rootDir: root, changelog: 'db/master.yaml' });
    expect(r.warnings.map((w) => `${w.code} ${w.file}:${w.line}`)).toEqual([
      'W_LIQUIBASE_REJECTS db/master.yaml:7',
      'W_PROPERTY_UNKNOWN_AT_BUILD db/master.yaml:15',
    ]);
  });
});
