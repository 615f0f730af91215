import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  HISTORY_ROWS,
  liquibaseOk,
  psqlRows,
  schemaDump,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

// YAML shapes real changelogs use that SnakeYAML and Liquibase 4.28's ParsedNode accept (found on public YAML
// changelogs, rebuilt here by hand): a key written twice (the last value wins), two changes in one list item,
// `changes:` and `rollback:` as a mapping, anchors and aliases (`*column`), merge keys, a text-valued entry that is
// no change type (skipped), `- tagDatabase:` with its `tag:` beside it instead of under it (a tagDatabase without a
// tag), `createProcedure` with `procedureBody` (Liquibase's other name for procedureText), and the `${database.…}` properties Liquibase defines before reading a changelog.
const SHAPES = `x-defs:
  cols:
    - column: &idcol
        name: id
        type: int
        constraints: {primaryKey: true, nullable: false}
  base: &base
    type: text
    remarks: from the merge key
databaseChangeLog:
  - changeSet:
      id: dup
      author: a
      id: dup-last
      changes:
        - sql:
          sql: create table t_dup (id int)
  - changeSet:
      id: tag-beside
      author: a
      changes:
        - tagDatabase:
          tag: never-set
        - sql: create table t_tag (id int)
  - changeSet:
      id: two-in-one
      author: a
      changes:
        - sql: {sql: create table t_two_a (id int)}
          createTable:
            tableName: t_two_b
            columns:
              - column: *idcol
              - column:
                  <<: *base
                  name: label
        - note: a text entry that is no change type
  - changeSet:
      id: mapping-changes
      author: a
      changes:
        sql: create table t_map (id int)
      rollback:
        sql: drop table t_map
  - changeSet:
      id: builtins
      author: a
      changes:
        - sql:
            sql: create table \${database.defaultSchemaName}.t_props as select '\${database.typeName}'::text as t, '\${database.databaseChangeLogTableName}'::text as h, '\${database.currentDateTimeFunction}'::text as f, '\${database.defaultSchemaNamePrefix}'::text as p
  - changeSet:
      id: proc-body
      author: a
      changes:
        - createProcedure:
            dbms: postgresql
            procedureBody: |-
              CREATE OR REPLACE FUNCTION f_shape(i int) RETURNS int AS
              $$
              BEGIN
                RETURN i + 1;
              END
              $$ LANGUAGE plpgsql;
  - changeSet:
      id: tagged
      author: a
      changes:
        - tagDatabase: {tag: v1}
`;

describe('YAML shapes and built-in properties against Liquibase 4.28', () => {
  let root: string;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    root = await makeTree({ 'shapes.yaml': SHAPES });
    dbs.push(...(await Promise.all(['theirs', 'ours'].map((n) => createTestDatabase(`yamlshapes_${n}`)))));
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
    if (root) await removeTree(root);
  });

  it('Slipway records and builds what Liquibase does', async () => {
    const [theirs, ours] = dbs as [TestDatabase, TestDatabase];
    await liquibaseOk(root, theirs, 'shapes.yaml', 'update');
    await applyOurPackage(root, 'shapes.yaml', ours);
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    expect(schemaDump(ours)).toEqual(schemaDump(theirs));
    expect(psqlRows(ours, 'SELECT t, h, f, p FROM t_props')).toEqual(['postgresql|databasechangelog|NOW()|.public']);
    // Liquibase's own check of Slipway's database: every changeset ran, every checksum matches.
    const status = await runLiquibase(root, ours.url, [
      '--search-path=' + root,
      '--changelog-file=shapes.yaml',
      'status',
    ]);
    expect(status.out).toContain('is up to date');
    expect(psqlRows(ours, 'SELECT f_shape(1)')).toEqual(['2']);
  }, 300_000);

  it('warns about what Liquibase skips', async () => {
    const parsed = await parseChangelog({ rootDir: root, changelog: 'shapes.yaml' });
    const messages = parsed.warnings.map((w) => `${w.code} ${w.line}`);
    // `- tagDatabase:` without a tag, the `tag:` beside it, the text entry `note:`.
    expect(messages).toEqual(['W_IGNORED_CHANGE 22', 'W_IGNORED_CHANGE 23', 'W_IGNORED_CHANGE 37']);
  });

  it('a text entry that is a mapping is still an unknown change type, as for Liquibase', async () => {
    const bad = await makeTree({
      'bad.yaml':
        'databaseChangeLog:\n  - changeSet:\n      id: 1\n      author: a\n      changes:\n        - note: {a: b}\n',
    });
    try {
      await expect(parseChangelog({ rootDir: bad, changelog: 'bad.yaml' })).rejects.toThrow(/note/);
    } finally {
      await removeTree(bad);
    }
  });
});

// Aliases as list entries (a scalar one under validCheckSum was refused: "must be a mapping"; so was the list of
// `validCheckSums:`, which Liquibase reads as validCheckSum, found in its own integration-test changelogs),
// SnakeYAML's limit of 50 aliases to mappings or lists per document, and `- comment:` among the changes, which
// Liquibase drops (the changeSet's comment is its own `comment:` key; Slipway used to take the entry as the comment),
// and a modifySql visitor's own `dbms:` (Slipway used to apply a mysql-only append on PostgreSQL).
const ALIASES = `x-defs:
  sum: &anysum ANY
  col: &namecol
    column: {name: name, type: text}
databaseChangeLog:
  - changeSet:
      id: alias-list
      author: a
      validCheckSum: [*anysum]
      comment: own comment
      changes:
        - comment: not the changeset comment
        - createTable:
            tableName: t_alias
            columns: [*namecol, {column: {name: id, type: int}}]
  - changeSet:
      id: comment-in-changes
      author: a
      changes:
        - comment: dropped
        - sql: create table t_comment (id int)
  - changeSet:
      id: visitor-dbms
      author: a
      changes:
        - createTable:
            tableName: t_visit
            columns: [{column: {name: id, type: int}}]
      modifySql:
        - append: {dbms: mysql, value: ' engine innodb'}
        - append: {value: ' /* every database */'}
        - replace: {dbms: postgresql, replace: t_visit, with: t_visited}
  - changeSet:
      id: plural-valid-checksums
      author: a
      validCheckSums:
        - 9:0123456789abcdef0123456789abcdef
        - *anysum
      changes:
        - sql: create table t_plural (id int)
`;

/** A changelog with `n` aliases to one mapping: n - 1 in a list Liquibase never reads, one in a column. */
function manyAliases(n: number): string {
  const unused = Array.from({ length: n - 1 }, () => '*col').join(', ');
  return `x-col: &col {name: id, type: int}
x-unused: [${unused}]
databaseChangeLog:
  - changeSet:
      id: many
      author: a
      changes:
        - createTable:
            tableName: t_many
            columns:
              - column: *col
`;
}

describe('YAML aliases in lists, the alias limit and comment entries against Liquibase 4.28', () => {
  let root: string;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    root = await makeTree({ 'aliases.yaml': ALIASES, 'many50.yaml': manyAliases(50), 'many51.yaml': manyAliases(51) });
    dbs.push(...(await Promise.all(['theirs', 'ours'].map((n) => createTestDatabase(`yamlalias_${n}`)))));
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
    if (root) await removeTree(root);
  });

  it('an alias as a list entry is followed and `- comment:` among the changes is dropped, as Liquibase does', async () => {
    const [theirs, ours] = dbs as [TestDatabase, TestDatabase];
    await liquibaseOk(root, theirs, 'aliases.yaml', 'update');
    await applyOurPackage(root, 'aliases.yaml', ours);
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    expect(schemaDump(ours)).toEqual(schemaDump(theirs));
    // The facts the comparison rests on: the changeSet's own comment is kept, the entry's never recorded.
    expect(psqlRows(theirs, 'SELECT id, comments FROM databasechangelog ORDER BY orderexecuted')).toEqual([
      'alias-list|own comment',
      'comment-in-changes|',
      'visitor-dbms|',
      'plural-valid-checksums|',
    ]);
    // A modifySql visitor's own dbms: the mysql append is left out, the postgresql replace applied.
    expect(schemaDump(theirs)).toContain('CREATE TABLE public.t_visited');
    const parsed = await parseChangelog({ rootDir: root, changelog: 'aliases.yaml' });
    // `validCheckSums:` is read as `validCheckSum:` (ChangeSet.handleChildNode; was "must be a mapping").
    expect(parsed.changeSets.find((c) => c.id === 'plural-valid-checksums')?.validCheckSums).toEqual([
      '9:0123456789abcdef0123456789abcdef',
      'ANY',
    ]);
    expect(parsed.warnings.map((w) => `${w.code} ${w.line}`)).toEqual(['W_IGNORED_CHANGE 12', 'W_IGNORED_CHANGE 20']);
  }, 300_000);

  it('50 aliases to collections load, the 51st is refused by both, naming file and line', async () => {
    const [theirs, ours] = dbs as [TestDatabase, TestDatabase];
    const r51 = await runLiquibase(root, theirs.url, [
      '--search-path=' + root,
      '--changelog-file=many51.yaml',
      'update',
    ]);
    expect(r51.ok).toBe(false);
    expect(r51.out).toContain('Number of aliases for non-scalar nodes exceeds the specified max=50');
    await expect(parseChangelog({ rootDir: root, changelog: 'many51.yaml' })).rejects.toMatchObject({
      code: 'E_CHANGELOG',
      file: 'many51.yaml',
      line: 11,
      message: 'More than 50 YAML aliases to mappings or lists (this is alias 51)',
    });
    await liquibaseOk(root, theirs, 'many50.yaml', 'update');
    await applyOurPackage(root, 'many50.yaml', ours);
    expect(psqlRows(ours, "SELECT id, md5sum FROM databasechangelog WHERE id = 'many'")).toEqual(
      psqlRows(theirs, "SELECT id, md5sum FROM databasechangelog WHERE id = 'many'"),
    );
  }, 300_000);
});

// Plain scalars as SnakeYAML (YAML 1.1) resolves them and Liquibase prints them: booleans yes/on/off, octal 017,
// underscores, sexagesimal, longs past 2^53, Java's Double.toString for floats. YAML and JSON (read by the same
// parser in both tools); the values land in a text column and in the changeset checksum.
const PLAIN_VALUES = [
  '1.0',
  '0xFFFFFFFFFFFFFFF',
  '12345678901234567890',
  '9007199254740993',
  '1e3',
  '1.5E+3',
  '1e7',
  '0.0001',
  '123456789.5',
  '-0.0',
  '.inf',
  '017',
  '0o17',
  '08',
  '1_000',
  '0b101',
  '190:20:30',
  '+12',
  'yes',
  'Off',
];
function plainValues(json: boolean): string {
  const inserts = PLAIN_VALUES.map(
    (v, i) =>
      `{"insert": {"tableName": "t_plain", "columns": [{"column": {"name": "k", "value": ${i}}}, {"column": {"name": "v", "value": ${v}}}]}}`,
  );
  const n = `{"column": {"name": "n", "valueNumeric": 0xFFFFFFFFFFFFFFF}}`;
  const changes = [
    `{"createTable": {"tableName": "t_plain", "columns": [{"column": {"name": "k", "type": "int"}}, {"column": {"name": "v", "type": "text"}}, {"column": {"name": "n", "type": "bigint"}}]}}`,
    ...inserts,
    `{"insert": {"tableName": "t_plain", "columns": [{"column": {"name": "k", "value": 99}}, ${n}]}}`,
  ];
  if (json)
    return `{"databaseChangeLog": [{"changeSet": {"id": 017, "author": "t", "changes": [\n${changes.join(',\n')}\n]}}]}\n`;
  return `databaseChangeLog:\n  - changeSet:\n      id: 1.10\n      author: t\n      changes:\n${changes.map((c) => `        - ${c.slice(1, -1)}`).join('\n')}\n`;
}

describe('plain YAML/JSON scalars read as SnakeYAML and Liquibase 4.28 read them', () => {
  let root: string;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    root = await makeTree({ 'plain.yaml': plainValues(false), 'plain.json': plainValues(true) });
    const names = ['yaml_theirs', 'yaml_ours', 'json_theirs', 'json_ours'];
    dbs.push(...(await Promise.all(names.map((n) => createTestDatabase(`plain_${n}`)))));
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
    if (root) await removeTree(root);
  });

  for (const [i, file] of ['plain.yaml', 'plain.json'].entries())
    it(`${file}: the same values and checksum as Liquibase`, async () => {
      const [theirs, ours] = dbs.slice(2 * i, 2 * i + 2) as [TestDatabase, TestDatabase];
      const rows = 'SELECT k, v, n FROM t_plain ORDER BY k';
      await liquibaseOk(root, theirs, file, 'update');
      await applyOurPackage(root, file, ours);
      expect(psqlRows(ours, rows)).toEqual(psqlRows(theirs, rows));
      expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
      // The facts the comparison rests on (measured with Liquibase 4.28).
      const v = Object.fromEntries(psqlRows(theirs, rows).map((r) => r.split('|')));
      expect([v['0'], v['1'], v['4'], v['6'], v['7'], v['11'], v['12'], v['18']]).toEqual([
        '1.0',
        '1152921504606846975',
        '1000.0',
        '1.0E7',
        '1.0E-4',
        '15',
        '0o17',
        'true',
      ]);
      expect(psqlRows(theirs, 'SELECT id FROM databasechangelog')).toEqual([file.endsWith('json') ? '15' : '1.1']);
    }, 300_000);
});

// Several comments in a YAML/JSON changeSet: ChangeSet.load joins every `comment` child of the changeSet's ParsedNode
// with "\n", and only a changeSet written as a list of mappings has several (`changeSet: [ - id: …, - comment: a,
// - comment: b ]`; Slipway refused that shape: "Unknown change type <changes>"). `comment: [a, b]` is one value, a
// list, recorded as Java prints it: "[a, b]" (Slipway joined it as two comments). A key written twice: the last wins.
describe('several comments in a YAML or JSON changeSet, against Liquibase 4.28', () => {
  const c = useOracleCase('yamlcomments', {
    'master.yaml': 'databaseChangeLog:\n  - include: {file: a.yaml}\n  - include: {file: b.json}\n',
    'a.yaml': `databaseChangeLog:
  - changeSet:
      id: list
      author: a
      comment: [first, second]
      changes:
        - createTable: {tableName: c1, columns: [{column: {name: id, type: int}}]}
  - changeSet:
      id: blocklist
      author: a
      comment:
        - one
        - two
        - 3
      changes:
        - createTable: {tableName: c2, columns: [{column: {name: id, type: int}}]}
  - changeSet:
      id: dup
      author: a
      comment: first
      comment: second
      changes:
        - createTable: {tableName: c3, columns: [{column: {name: id, type: int}}]}
  - changeSet:
      - id: maps
      - author: a
      - comment: c-one
      - comment: c-two
      - changes:
          - createTable: {tableName: c4, columns: [{column: {name: id, type: int}}]}
`,
    'b.json': `{"databaseChangeLog": [
 {"changeSet": {"id": "jlist", "author": "a", "comment": ["first", "second"], "changes": [{"createTable": {"tableName": "j1", "columns": [{"column": {"name": "id", "type": "int"}}]}}]}},
 {"changeSet": {"id": "jdup", "author": "a", "comment": "first", "comment": "second", "changes": [{"createTable": {"tableName": "j2", "columns": [{"column": {"name": "id", "type": "int"}}]}}]}},
 {"changeSet": [{"id": "jmaps"}, {"author": "a"}, {"comment": "one"}, {"comment": "two"}, {"changes": [{"createTable": {"tableName": "j3", "columns": [{"column": {"name": "id", "type": "int"}}]}}]}]}
]}
`,
  });

  it('records the comments Liquibase records', async () => {
    await liquibaseOk(c.root, c.theirs, 'master.yaml', 'update');
    await applyOurPackage(c.root, 'master.yaml', c.ours);
    expectSameSchemaAndHistory(c);
    const comments = "SELECT id || ':' || comments FROM databasechangelog ORDER BY orderexecuted";
    expect(psqlRows(c.theirs, comments).join('|')).toBe(
      'list:[first, second]|blocklist:[one, two, 3]|dup:second|maps:c-one|c-two|jlist:[first, second]|jdup:second|jmaps:one|two',
    );
  }, 300_000);
});

// Plain YAML timestamps: Liquibase's CustomConstructYamlTimestamp makes `2020-01-01` a java.util.Date at UTC midnight,
// printed in the JVM's time zone (toString as a value, "yyyy-MM-dd HH:mm:ss" as a valueDate), and a date-time without
// offset its "yyyy-MM-dd HH:mm:ss" text (Z ignored). Slipway kept the source text: other values, other checksums.
// Run in New York, where the date moves to the day before: both read TZ (the JVM and Intl).
describe('plain YAML timestamps, against Liquibase 4.28 in America/New_York', () => {
  const c = useOracleCase('yamldates', {
    'dates.yaml': `databaseChangeLog:
  - changeSet:
      id: t
      author: a
      changes:
        - createTable:
            tableName: d
            columns:
              - column: {name: k, type: varchar(20)}
              - column: {name: txt, type: text}
              - column: {name: dt, type: date}
              - column: {name: ts, type: timestamp}
              - column: {name: tsz, type: timestamptz}
              - column: {name: def, type: date, defaultValueDate: 2021-02-03}
              - column: {name: defts, type: timestamp, defaultValueDate: 2021-02-03 04:05:06}
              - column: {name: deftxt, type: text, defaultValue: 2021-02-03}
  - changeSet:
      id: i1
      author: a
      changes:
        - insert:
            tableName: d
            columns:
              - column: {name: k, value: value-date}
              - column: {name: txt, value: 2020-01-01}
              - column: {name: dt, valueDate: 2020-01-01}
              - column: {name: ts, valueDate: 2020-01-01 10:00:00}
              - column: {name: tsz, valueDate: 2020-01-01T10:00:00Z}
`,
  });

  it('the same values, defaults and checksums', async () => {
    const before = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      await liquibaseOk(c.root, c.theirs, 'dates.yaml', 'update');
      await applyOurPackage(c.root, 'dates.yaml', c.ours);
    } finally {
      if (before === undefined) delete process.env.TZ;
      else process.env.TZ = before;
    }
    expectSameSchemaAndHistory(c);
    // tsz is left out: pgjdbc sets the session's TimeZone to the JVM's, psql keeps the server's.
    const rows = "SELECT concat_ws('|', k, txt, dt, ts, def, defts, deftxt) FROM d";
    expect(psqlRows(c.theirs, rows)).toEqual([
      'value-date|Tue Dec 31 19:00:00 EST 2019|2019-12-31|2020-01-01 10:00:00|2021-02-02|2021-02-03 04:05:06|Tue Feb 02 19:00:00 EST 2021',
    ]);
    expect(psqlRows(c.ours, rows)).toEqual(psqlRows(c.theirs, rows));
  }, 300_000);
});

// A text-valued entry of the root (`"comment": "…"` beside an `include` in one JSON item, as LoucterSo/online-library
// writes its master changelog, or on its own in YAML): Liquibase 4.28 runs the changelog and ignores the entry; one
// whose value is a mapping stops it ("Unexpected node found under databaseChangeLog: comment"), and Slipway too.
describe('a text entry of databaseChangeLog against Liquibase 4.28', () => {
  const c = useOracleCase('yamlrootcomment', {
    'master.json': `{
  "databaseChangeLog": [
    {
      "comment": "Initial table creations",
      "include": { "file": "tables.yaml", "relativeToChangelogFile": "true" }
    },
    { "changeSet": { "id": "data", "author": "a", "changes": [ { "sql": { "sql": "insert into t_root values (1)" } } ] } }
  ]
}
`,
    'tables.yaml': `databaseChangeLog:
  - comment: tables of the first release
  - changeSet:
      id: tables
      author: a
      changes:
        - createTable:
            tableName: t_root
            columns:
              - column: {name: id, type: int}
`,
    'mapping.yaml': `databaseChangeLog:
  - comment:
      text: a mapping
  - changeSet:
      id: never
      author: a
      changes:
        - sql: create table t_never (id int)
`,
  });

  it('runs the rest, records what Liquibase records and warns', async () => {
    await liquibaseOk(c.root, c.theirs, 'master.json', 'update');
    await applyOurPackage(c.root, 'master.json', c.ours);
    expectSameSchemaAndHistory(c);
    expect(psqlRows(c.ours, 'SELECT id FROM t_root')).toEqual(['1']);
    const parsed = await parseChangelog({ rootDir: c.root, changelog: 'master.json' });
    expect(parsed.warnings.map((w) => `${w.code} ${w.file}:${w.line}`)).toEqual([
      'W_IGNORED_ATTRIBUTE master.json:4',
      'W_IGNORED_ATTRIBUTE tables.yaml:2',
    ]);
  }, 300_000);

  it('a mapping there is refused by both', async () => {
    const theirs = await runLiquibase(c.root, c.theirs.url, [
      '--search-path=' + c.root,
      '--changelog-file=mapping.yaml',
      'validate',
    ]);
    expect(theirs.ok).toBe(false);
    expect(theirs.out).toContain('Unexpected node found under databaseChangeLog: comment');
    await expect(parseChangelog({ rootDir: c.root, changelog: 'mapping.yaml' })).rejects.toThrow(/comment/);
  }, 300_000);
});
