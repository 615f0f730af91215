// `slipway db package` on YAML and JSON changelogs whose SQL is a block or multi-line scalar: the `-- at file:line`
// of each statement (a createProcedure body too), W_LIQUIBASE_SPLITS and an unterminated quote name the line the text
// is written on, not the line of the `sql:` key above it; an error or warning about an attribute's value names the
// value's line, not the element's first line (value-lines.ts). XML names the element's line for the text, and an
// attribute's own line when the start tag spans lines.
import { afterAll, describe, expect, it } from 'vitest';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runMain } from '../helpers/cli-main.js';

const CONFIG = (changelog: string): string =>
  `name: lines\nversion: 1.0.0\ndatabase:\n  changelog: ${changelog}\n  verify: false\n`;

const YAML = `databaseChangeLog:
  - changeSet:
      id: 1
      author: ann
      changes:
        - sql:
            sql: |
              CREATE TABLE a (id int);

              DO $$ BEGIN
                IF true THEN PERFORM 1; END IF;
              END $$;
              CREATE TABLE b (id int);
  - changeSet:
      id: 2
      author: ann
      changes:
        - sql:
            sql: >
              CREATE TABLE c (id int);
              CREATE TABLE d (id int);

              CREATE TABLE e (id int);
        - sql: "CREATE TABLE f (id int);
            CREATE TABLE g (id int);"
      rollback: |
        DROP TABLE g;
`;

const JSON_CHANGELOG = `{"databaseChangeLog": [
  {"changeSet": {"id": "1", "author": "ann", "changes": [
    {"sql": {"sql":
      "CREATE TABLE j (id int);\\nCREATE TABLE k (id int);"}}]}}]}
`;

/** Each statement of the package with the line its `-- at` comment names. */
function locations(stdout: string, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^-- at ${file.replace('.', '\\.')}:(\\d+)\\n(CREATE (?:TABLE|FUNCTION) \\w+|DO)`, 'gm');
  for (const m of stdout.matchAll(re)) out[m[2]!] = Number(m[1]);
  return out;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

async function dbPackage(files: Record<string, string>) {
  const dir = await makeTree(files, 'slipway-yaml-lines-');
  dirs.push(dir);
  return runMain(['db', 'package'], { cwd: dir, env: { SOURCE_DATE_EPOCH: '1700000000' } });
}

describe('db package: lines inside YAML/JSON values', () => {
  it('places each statement, and the split warning, at the line it is written on', async () => {
    const run = await dbPackage({ 'slipway.config.yaml': CONFIG('db/changelog.yaml'), 'db/changelog.yaml': YAML });
    expect(run.code, run.stderr).toBe(0);
    expect(locations(run.stdout, 'db/changelog.yaml')).toEqual({
      'CREATE TABLE a': 8,
      DO: 10,
      'CREATE TABLE b': 13,
      'CREATE TABLE c': 20,
      'CREATE TABLE d': 21,
      'CREATE TABLE e': 23,
      'CREATE TABLE f': 24,
      'CREATE TABLE g': 25,
    });
    // The first ";" inside the dollar-quoted body, on the IF line.
    expect(run.stderr).toContain('warning W_LIQUIBASE_SPLITS: db/changelog.yaml:11: ');
  });

  it('JSON: the statements of a string with \\n escapes are at the line the string starts on', async () => {
    const run = await dbPackage({
      'slipway.config.yaml': CONFIG('db/changelog.json'),
      'db/changelog.json': JSON_CHANGELOG,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(locations(run.stdout, 'db/changelog.json')).toEqual({ 'CREATE TABLE j': 4, 'CREATE TABLE k': 4 });
  });

  it('an unterminated dollar quote inside a block is reported at its line', async () => {
    const yaml = YAML.replace('              END $$;\n', '              END;\n');
    const run = await dbPackage({ 'slipway.config.yaml': CONFIG('db/changelog.yaml'), 'db/changelog.yaml': yaml });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Unterminated dollar quote \$\$ in changeset ann:1/);
    expect(run.stderr).toContain('db/changelog.yaml:10');
  });
});

/** A YAML changelog of one changeSet (ann:1, lines 2-4) whose other keys, from line 5, are `rest`. */
const changeSet = (rest: string): string =>
  `databaseChangeLog:\n  - changeSet:\n      id: 1\n      author: ann\n${rest}`;

const SQL_FILE = 'CREATE TABLE s (id int);\n';
const CSV = 'id,c\n1,\n';

/** Runs `db package` on `changelog` (db/changelog.yaml unless `name` says otherwise) beside db/a.sql and db/d.csv. */
async function packageOf(changelog: string, name = 'db/changelog.yaml') {
  return dbPackage({ 'slipway.config.yaml': CONFIG(name), [name]: changelog, 'db/a.sql': SQL_FILE, 'db/d.csv': CSV });
}

/** `file:line` followed by what a message or a warning puts after it (not a longer line number). */
const at = (file: string, line: number): RegExp => new RegExp(`${file.replace('.', '\\.')}:${line}: `);

describe('db package: a createProcedure body in YAML/JSON is at the line its text is on', () => {
  it('literal, folded and quoted YAML values', async () => {
    const run = await packageOf(
      changeSet(`      changes:
        - createProcedure:
            procedureName: f1
            procedureBody: |
              CREATE FUNCTION f1() RETURNS int LANGUAGE sql AS 'select 1'
        - createProcedure:
            procedureName: f2
            procedureBody: >
              CREATE FUNCTION f2() RETURNS int
              LANGUAGE sql AS 'select 2'
        - createProcedure:
            procedureName: f3
            procedureText:
              "CREATE FUNCTION f3() RETURNS int
              LANGUAGE sql AS 'select 3'"
`),
    );
    expect(run.code, run.stderr).toBe(0);
    expect(locations(run.stdout, 'db/changelog.yaml')).toEqual({
      'CREATE FUNCTION f1': 9,
      'CREATE FUNCTION f2': 13,
      'CREATE FUNCTION f3': 18,
    });
  });

  it('JSON: at the line of the string', async () => {
    const json = `{"databaseChangeLog": [
  {"changeSet": {"id": "1", "author": "ann", "changes": [
    {"createProcedure": {"procedureName": "f4",
      "procedureBody": "CREATE FUNCTION f4() RETURNS int\\nLANGUAGE sql AS 'select 4'"}}]}}]}
`;
    const run = await packageOf(json, 'db/changelog.json');
    expect(run.code, run.stderr).toBe(0);
    expect(locations(run.stdout, 'db/changelog.json')).toEqual({ 'CREATE FUNCTION f4': 4 });
  });

  it('XML: at the element, where its text starts', async () => {
    const xml = `<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">
  <changeSet id="1" author="ann">
    <createProcedure procedureName="f5">CREATE FUNCTION f5() RETURNS int
      LANGUAGE sql AS 'select 5'</createProcedure>
  </changeSet>
</databaseChangeLog>
`;
    const run = await packageOf(xml, 'db/changelog.xml');
    expect(run.code, run.stderr).toBe(0);
    expect(locations(run.stdout, 'db/changelog.xml')).toEqual({ 'CREATE FUNCTION f5': 3 });
  });
});

describe("db package: an error about an attribute's value names the value's line", () => {
  const cases: [string, string, number, RegExp][] = [
    ['a boolean', `      runOnChange: maybe\n      changes:\n        - sql: select 1\n`, 5, /runOnChange="maybe"/],
    [
      'a quoted boolean on the line after its key',
      `      runInTransaction:\n        "nope"\n      changes:\n        - sql: select 1\n`,
      6,
      /runInTransaction="nope"/,
    ],
    [
      'a boolean of a change (a property-expanded copy of it)',
      `      changes:\n        - sql:\n            sql: select 1\n            stripComments: perhaps\n`,
      8,
      /stripComments="perhaps"/,
    ],
    ['runOrder', `      runOrder: LAST\n      changes:\n        - sql: select 1\n`, 5, /Unknown runOrder: "LAST"/],
    [
      'objectQuotingStrategy',
      `      objectQuotingStrategy: QUOTE_SOME\n      changes:\n        - sql: select 1\n`,
      5,
      /objectQuotingStrategy="QUOTE_SOME"/,
    ],
    [
      "a precondition's onError",
      `      preConditions:
        - onFail: MARK_RAN
        - onError: EXPLODE
        - sqlCheck:
            expectedResult: 0
            sql: select 0
      changes:
        - sql: select 1
`,
      7,
      /Unknown precondition action "EXPLODE"/,
    ],
    [
      'an endDelimiter that is no regular expression (not the line of the SQL)',
      `      changes:
        - sql:
            splitStatements: true
            endDelimiter: "a("
            sql: select 1
`,
      8,
      /endDelimiter "a\(" of changeset ann:1 is not a valid regular expression/,
    ],
    [
      "a regExpReplace's pattern",
      `      changes:
        - sql: select 1
      modifySql:
        - regExpReplace:
            replace: "a("
            with: b
`,
      9,
      /<regExpReplace replace="a\(" with="b">/,
    ],
    [
      "a regExpReplace's replacement",
      `      changes:
        - sql: select a
      modifySql:
        - regExpReplace:
            replace: a
            with: $9
`,
      10,
      /<regExpReplace replace="a" with="\$9">/,
    ],
    [
      "createProcedure's replaceIfExists",
      `      changes:
        - createProcedure:
            procedureName: f
            replaceIfExists: true
            procedureBody: select 1
`,
      8,
      /replaceIfExists is not allowed on PostgreSQL/,
    ],
    [
      "a sqlFile's path",
      `      changes:\n        - sqlFile:\n            splitStatements: true\n            path: db/none.sql\n`,
      8,
      /sqlFile not found: db\/none\.sql/,
    ],
    [
      "a sqlFile's encoding",
      `      changes:\n        - sqlFile:\n            path: db/a.sql\n            encoding: klingon\n`,
      8,
      /encoding="klingon">: unknown charset/,
    ],
    [
      "a createView's encoding",
      `      changes:\n        - createView:\n            viewName: v\n            path: db/a.sql\n            encoding: klingon\n`,
      9,
      /encoding="klingon">: unknown charset/,
    ],
    [
      "loadData's usePreparedStatements",
      `      changes:
        - loadData:
            tableName: t
            file: db/d.csv
            usePreparedStatements: false
            columns:
              - column: {name: c, type: CLOB}
`,
      9,
      /usePreparedStatements="false" but its BLOB\/CLOB values need prepared statements/,
    ],
  ];
  it.each(cases)('%s', async (_what, rest, line, message) => {
    const run = await packageOf(changeSet(rest));
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).toMatch(at('db/changelog.yaml', line));
  });

  it("a property file's path", async () => {
    const run = await packageOf(
      `databaseChangeLog:\n  - property:\n      errorIfMissing: true\n      file: db/missing.properties\n${changeSet('      changes:\n        - sql: select 1\n').replace('databaseChangeLog:\n', '')}`,
    );
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Property file not found: db\/missing\.properties/);
    expect(run.stderr).toMatch(at('db/changelog.yaml', 4));
  });

  it("removeChangeSetProperty's remove", async () => {
    const run = await packageOf(`databaseChangeLog:
  - removeChangeSetProperty:
      change: addColumn
      dbms: postgresql
      remove: nonsense
  - changeSet:
      id: 1
      author: ann
      changes:
        - addColumn:
            tableName: t
            columns:
              - column: {name: c, type: int}
`);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/removeChangeSetProperty remove="nonsense"/);
    expect(run.stderr).toMatch(at('db/changelog.yaml', 5));
  });

  it('JSON: a value on its own line', async () => {
    const json = `{"databaseChangeLog": [
  {"changeSet": {"id": "1", "author": "ann",
    "failOnError":
      "maybe",
    "changes": [{"sql": {"sql": "select 1"}}]}}]}
`;
    const run = await packageOf(json, 'db/changelog.json');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/failOnError="maybe"/);
    expect(run.stderr).toMatch(at('db/changelog.json', 4));
  });

  it('XML: at the line of the attribute', async () => {
    const xml = `<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">
  <changeSet id="1" author="ann"
      runOnChange="maybe">
    <sql>select 1</sql>
  </changeSet>
</databaseChangeLog>
`;
    const run = await packageOf(xml, 'db/changelog.xml');
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/runOnChange="maybe"/);
    // The attribute's own line in a start tag over several lines (xml-tree.ts attrLines).
    expect(run.stderr).toMatch(at('db/changelog.xml', 3));
  });
});

describe("db package: a warning about an attribute's value names the value's line", () => {
  it("a rollback's endDelimiter that is no regular expression, in a rollback sql and sqlFile", async () => {
    const run = await packageOf(
      changeSet(`      changes:
        - sql: select 1
      rollback:
        - sql:
            sql: select 2
            endDelimiter: "b("
        - sqlFile:
            path: db/a.sql
            endDelimiter: "c("
`),
    );
    expect(run.code, run.stderr).toBe(0);
    const warnings = run.stderr.split('\n').filter((l) => l.includes('W_LIQUIBASE_REJECTS'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(at('db/changelog.yaml', 10));
    expect(warnings[1]).toMatch(at('db/changelog.yaml', 13));
  });

  it('an unknown attribute', async () => {
    const run = await packageOf(
      changeSet(`      foo: x\n      changes:\n        - sql:\n            sql: select 1\n            bar: y\n`),
    );
    expect(run.code, run.stderr).toBe(0);
    const warnings = run.stderr.split('\n').filter((l) => l.includes('W_IGNORED_ATTRIBUTE'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(at('db/changelog.yaml', 5));
    expect(warnings[1]).toMatch(at('db/changelog.yaml', 9));
  });
});
