import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { parseChangelog } from '../../src/db/changelog/index.js';
import type { ChangeSet } from '../../src/db/model.js';
import { limitSize } from '../../src/db/render-bookkeeping.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  ourRollback,
  psqlRows,
  useOracleFixture,
} from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_BIN } from '../helpers/liquibase-cli.js';

// Real Liquibase 4.28 (Java 17) is the oracle for change types. JVM starts cost seconds, so each run covers a whole
// family fixture: `update-sql` (SQL text per changeset), `update` (checksums, descriptions, schema),
// `rollback-count-sql` + `rollback-count` (rollback SQL and the schema after it), and one `update` per YAML/JSON form.
const ROOT = path.resolve('test/fixtures/db/change-types');

/** Real Liquibase on `db` with the fixture as its search path; its output (throws with it when Liquibase fails). */
const liquibase = (db: TestDatabase, changelog: string, ...args: string[]): Promise<string> =>
  liquibaseOk(ROOT, db, changelog, ...args);

const HISTORY =
  "SELECT concat_ws('|', id, author, filename, md5sum, description) FROM databasechangelog ORDER BY orderexecuted";

function ourRow(cs: ChangeSet): string {
  return [cs.id, cs.author, cs.filename, cs.checksum, limitSize(cs.description, 250)].join('|');
}

/** update-sql / rollback-sql output cut into the statements each changeset runs (bookkeeping lines removed). */
function sqlByChangeSet(out: string, marker: RegExp): Map<string, string> {
  const blocks = new Map<string, string>();
  let key: string | null = null;
  let lines: string[] = [];
  const flush = (): void => {
    if (key !== null) blocks.set(key, lines.join('\n').trim());
  };
  for (const line of out.split('\n')) {
    const m = marker.exec(line);
    if (m) {
      flush();
      key = m[1]!;
      lines = [];
      continue;
    }
    if (key === null) continue;
    if (/^(INSERT INTO|DELETE FROM|UPDATE) public\.databasechangelog(lock)? /.test(line)) {
      flush();
      key = null;
      continue;
    }
    // Liquibase separates statements with a blank line; ours are compared without blank lines too.
    if (line.startsWith('SET SEARCH_PATH TO') || line.startsWith('-- ') || line.trim() === '') continue;
    lines.push(line);
  }
  flush();
  return blocks;
}

const asScript = (statements: string[]): string =>
  statements
    .map((s) => `${s};`)
    .join('\n')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .join('\n');

describe('Liquibase change types against Liquibase 4.28 (XML family fixture)', () => {
  const c = useOracleFixture('ct', ROOT);
  let changeSets: ChangeSet[];

  beforeAll(async () => {
    changeSets = (await parseChangelog({ rootDir: ROOT, changelog: 'xml/master.xml' })).changeSets;
  });

  // update-sql runs on `theirs` before its update (the next test): it reads the database, and writes no changeset.
  it('update-sql prints exactly our statements for every changeset', async () => {
    const theirSql = sqlByChangeSet(await liquibase(c.theirs, 'xml/master.xml', 'update-sql'), /^-- Changeset (\S+)$/);
    expect([...theirSql.keys()]).toEqual(changeSets.map((c) => `${c.filename}::${c.id}::${c.author}`));
    for (const cs of changeSets) {
      // Deliberate difference (docs/liquibase-change-types.md): dropAllForeignKeyConstraints looks the keys up when
      // the package runs (a DO block), where Liquibase reads them while generating SQL (none exist before update).
      // Its effect is compared by the schema test below.
      const statements = cs.statements.filter((s) => !s.startsWith('DO $$ DECLARE r record;'));
      // createTable with two inline foreign keys: Liquibase orders them by identity hash (differs per run).
      if (cs.id === 'd1')
        statements.splice(
          statements.findIndex((s) => s.startsWith('CREATE TABLE public.fk_holder')),
          1,
        );
      const theirs = theirSql.get(`${cs.filename}::${cs.id}::${cs.author}`)!;
      expect(asScript(statements), `${cs.id}`).toBe(
        cs.id === 'd1' ? theirs.replace(/^CREATE TABLE public\.fk_holder .*\n/m, '') : theirs,
      );
    }
    // …but the same clauses.
    const clauses = (sql: string): string[] => sql.replace(/\);?$/, '').split(', CONSTRAINT ').sort();
    const ourHolder = changeSets.find((c) => c.id === 'd1')!.statements.find((s) => s.includes('fk_holder ('))!;
    const theirHolder = /^CREATE TABLE public\.fk_holder .*$/m.exec(theirSql.get('xml/master.xml::d1::slipway')!)![0];
    expect(clauses(ourHolder)).toEqual(clauses(theirHolder));
  }, 240_000);

  it('update records our checksums and descriptions, and builds the schema our package builds under psql', async () => {
    const { theirs, ours } = c;
    await liquibase(theirs, 'xml/master.xml', 'update');
    expect(psqlRows(theirs, HISTORY)).toEqual(changeSets.map(ourRow));

    await applyOurPackage(ROOT, 'xml/master.xml', ours);
    expectSameSchemaAndHistory(c);
    expect(psqlRows(ours, 'SELECT name, age, score, nickname FROM person ORDER BY name')).toEqual(
      psqlRows(theirs, 'SELECT name, age, score, nickname FROM person ORDER BY name'),
    );
    // addLookupTable copies the distinct values; mergeColumns joins two columns (an empty joinString: nothing between).
    for (const q of [
      'SELECT name FROM paint_color ORDER BY 1',
      'SELECT shade_name FROM other.shades ORDER BY 1',
      'SELECT id, color, shade, full_name FROM paint ORDER BY id',
      'SELECT ab FROM pair',
    ])
      expect(psqlRows(ours, q), q).toEqual(psqlRows(theirs, q));
    expect(psqlRows(theirs, 'SELECT full_name FROM paint ORDER BY id')).toEqual(['Ada, King', 'Bo, Lin', 'Cy, May']);
    expect(psqlRows(theirs, 'SELECT ab FROM pair')).toEqual(['xy']);
  }, 240_000);

  it('rollback: the inferred and <rollback> SQL of the last 5 changesets matches rollback-count-sql, and the schema after it', async () => {
    const count = 5;
    const theirSql = sqlByChangeSet(
      await liquibase(c.theirs, 'xml/master.xml', 'rollback-count-sql', `--count=${count}`),
      /^-- Rolling Back ChangeSet: (\S+)$/,
    );
    const last = changeSets.slice(-count).reverse();
    expect([...theirSql.keys()]).toEqual(last.map((c) => `${c.filename}::${c.id}::${c.author}`));
    for (const cs of last) {
      expect(asScript(cs.rollback ?? ['<none>']), cs.id).toBe(theirSql.get(`${cs.filename}::${cs.id}::${cs.author}`));
    }

    await liquibase(c.theirs, 'xml/master.xml', 'rollback-count', `--count=${count}`);
    expect((await ourRollback(c, 'xml/master.xml', count)).replace(/psql:.*NOTICE:.*\n/g, '')).toBe('');
    expectSameSchemaAndHistory(c);
  }, 240_000);
});

describe('loadData and loadUpdateData against Liquibase 4.28', () => {
  const c = useOracleFixture('ct_load', ROOT);
  let changeSets: ChangeSet[];
  const key = (c: ChangeSet): string => `${c.filename}::${c.id}::${c.author}`;

  beforeAll(async () => {
    changeSets = (await parseChangelog({ rootDir: ROOT, changelog: 'load/master.xml' })).changeSets;
  });

  it('update-sql (tables already created, as during update) prints our INSERTs and upsert blocks', async () => {
    // With the tables in place Liquibase reads the type of each CSV column without `type` from the database, as it
    // does during `update`; Slipway takes it from the changelog's createTable (an empty varchar cell becomes '').
    // On `theirs`, whose update (next test) goes on from there: update-sql writes no changeset.
    await liquibase(c.theirs, 'load/master.xml', 'update-count', '--count=1');
    const theirSql = sqlByChangeSet(await liquibase(c.theirs, 'load/master.xml', 'update-sql'), /^-- Changeset (\S+)$/);
    const loads = changeSets.slice(1);
    expect([...theirSql.keys()]).toEqual(loads.map(key));
    for (const cs of loads) expect(asScript(cs.statements), cs.id).toBe(theirSql.get(key(cs)));
  }, 240_000);

  it('update records our checksums, and writes the rows our package writes', async () => {
    const { theirs, ours } = c;
    expect(psqlRows(theirs, HISTORY)).toEqual(changeSets.slice(0, 1).map(ourRow));
    await liquibase(theirs, 'load/master.xml', 'update');
    expect(psqlRows(theirs, HISTORY)).toEqual(changeSets.map(ourRow));
    await applyOurPackage(ROOT, 'load/master.xml', ours);
    expectSameSchemaAndHistory(c);
    for (const q of [
      "SELECT concat_ws('|', id, coalesce(name, '<null>'), active, born, score, coalesce(note, '<null>'), created) FROM people ORDER BY id",
      "SELECT concat_ws('|', code, coalesce(label, '<null>'), weight) FROM codes ORDER BY code",
      "SELECT concat_ws('|', k, v) FROM kv ORDER BY k",
      "SELECT concat_ws('|', n, val, seen) FROM mapped ORDER BY n",
    ]) {
      expect(psqlRows(ours, q), q).toEqual(psqlRows(theirs, q));
    }
    expect(psqlRows(ours, "SELECT label = '' FROM codes WHERE code = 'C'")).toEqual(['t']);
  }, 240_000);
});

describe('YAML and JSON forms of change types against Liquibase 4.28', () => {
  let xml: ChangeSet[];
  let dbs: TestDatabase[] = [];
  beforeAll(async () => {
    xml = (await parseChangelog({ rootDir: ROOT, changelog: 'xml/master.xml' })).changeSets;
    dbs = await Promise.all([createTestDatabase('ct_yaml'), createTestDatabase('ct_json')]);
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
  });

  it.each([
    ['yaml/master.yaml', 0],
    ['json/master.json', 1],
  ])(
    '%s: Liquibase records our checksums, equal to the XML form',
    async (changelog, i) => {
      const ours = (await parseChangelog({ rootDir: ROOT, changelog })).changeSets;
      expect(ours.filter((c) => /^t\d$/.test(c.id)).map((c) => [c.id, c.checksum, c.description])).toEqual(
        xml.filter((c) => /^t\d$/.test(c.id)).map((c) => [c.id, c.checksum, c.description]),
      );
      if (changelog.endsWith('.yaml'))
        expect(ours.find((c) => c.id === 'y-sql-list')?.statements).toEqual([
          "update person set age = age + 1 where name = 'Bob'",
          "update person set age = age + 1 where name = 'Alice'",
        ]);
      if (changelog.endsWith('.yaml'))
        expect(ours.find((c) => c.id === 'y-null-value')?.statements).toEqual([
          "UPDATE public.person SET nick = NULL WHERE name = 'nobody'",
        ]);
      await liquibase(dbs[i]!, changelog, 'update');
      expect(psqlRows(dbs[i]!, HISTORY)).toEqual(ours.map(ourRow));
    },
    240_000,
  );
});

describe('customChange with database.customChanges against Liquibase 4.28 running the real class', () => {
  const c = useOracleFixture('ct_custom', ROOT);
  let tmp: string;
  beforeAll(async () => {
    tmp = await makeTree({});
  });
  afterAll(async () => {
    if (tmp) await removeTree(tmp);
  });

  it('the SQL file runs in place of the class, and the history row has the checksum Liquibase records', async () => {
    const classes = path.join(tmp, 'classes');
    const javac = spawnSync(
      'javac',
      [
        '-cp',
        path.join(path.dirname(LIQUIBASE_BIN), 'internal/lib/liquibase-core.jar'),
        '-d',
        classes,
        path.join(ROOT, 'custom/java/com/example/Fix.java'),
      ],
      { encoding: 'utf8' },
    );
    expect(javac.status, javac.stderr).toBe(0);
    await liquibase(c.theirs, 'custom/master.xml', `--classpath=${classes}`, 'update');

    const sql = await applyOurPackage(ROOT, 'custom/master.xml', c.ours, {
      customChanges: { 'com.example.Fix': path.join(ROOT, 'custom/fix.sql') },
    });
    expect(sql).toContain("CREATE TABLE fixed (id int, note text DEFAULT 'hello')");
    expectSameSchemaAndHistory(c);
    expect(psqlRows(c.theirs, HISTORY)).toEqual([
      'custom|a|custom/master.xml|9:04d3f6c4970b801833c5146e83de6af0|customChange',
    ]);
  }, 240_000);
});

// Every attribute of the 4.28 XSD's change types that the family fixtures above leave out (the inventory is
// docs/change-type-coverage.md): attrs/master.xml, with its YAML and JSON spellings of two changesets.
describe('the remaining XSD attributes of every change type against Liquibase 4.28 (attrs fixture)', () => {
  const c = useOracleFixture('ct_attrs', ROOT);
  let changeSets: ChangeSet[];
  const key = (c: ChangeSet): string => `${c.filename}::${c.id}::${c.author}`;

  beforeAll(async () => {
    changeSets = (await parseChangelog({ rootDir: ROOT, changelog: 'attrs/master.xml' })).changeSets;
  });

  it('update-sql prints exactly our statements', async () => {
    const theirSql = sqlByChangeSet(
      await liquibase(c.theirs, 'attrs/master.xml', 'update-sql'),
      /^-- Changeset (\S+)$/,
    );
    expect([...theirSql.keys()]).toEqual(changeSets.map(key));
    // Not compared as text (their effect is, by the next test): a6 and a8 write LOB files and CSV rows through
    // prepared statements, which update-sql only announces; a7's sqlFile splits at its endDelimiter when it runs.
    // a10's dropAllForeignKeyConstraints is the deliberate difference of the XML fixture (a DO block).
    for (const cs of changeSets.filter((c) => !['a6', 'a7', 'a8'].includes(c.id)))
      expect(asScript(cs.statements.filter((s) => !s.startsWith('DO $$ DECLARE r record;'))), cs.id).toBe(
        theirSql.get(key(cs)),
      );
  }, 240_000);

  it('update records our checksums, and builds the schema and rows our package builds', async () => {
    await liquibase(c.theirs, 'attrs/master.xml', 'update');
    expect(psqlRows(c.theirs, HISTORY)).toEqual(changeSets.map(ourRow));
    await applyOurPackage(ROOT, 'attrs/master.xml', c.ours);
    expectSameSchemaAndHistory(c);
    for (const q of [
      "SELECT concat_ws('|', id, n, note2, encode(b, 'hex'), d, code, ok) FROM a_child ORDER BY id",
      "SELECT concat_ws('|', id, name, score, born, ok, tag) FROM a_load ORDER BY id",
      "SELECT concat_ws('|', k, v, n, t) FROM a_load2 ORDER BY k",
      "SELECT concat_ws('|', id, v1, v2, v3, v4, v5, v6, v7, v9, v10, c13) FROM att.a_more2 ORDER BY id",
      'SELECT v2 FROM att.a_more_v2 ORDER BY 1',
    ])
      expect(psqlRows(c.ours, q), q).toEqual(psqlRows(c.theirs, q));
    expect(psqlRows(c.theirs, 'SELECT count(*) FROM a_child')).toEqual(['9']);
  }, 240_000);

  it('rollback of the last changeset: rollback-count-sql text and the schema after rollback-count', async () => {
    const theirSql = sqlByChangeSet(
      await liquibase(c.theirs, 'attrs/master.xml', 'rollback-count-sql', '--count=1'),
      /^-- Rolling Back ChangeSet: (\S+)$/,
    );
    const last = changeSets.at(-1)!;
    expect(asScript(last.rollback ?? ['<none>'])).toBe(theirSql.get(key(last)));
    await liquibase(c.theirs, 'attrs/master.xml', 'rollback-count', '--count=1');
    expect((await ourRollback(c, 'attrs/master.xml', 1)).replace(/psql:.*NOTICE:.*\n/g, '')).toBe('');
    expectSameSchemaAndHistory(c);
  }, 240_000);

  it.each(['attrs/master.yaml', 'attrs/master.json'])(
    '%s: the YAML/JSON spellings have the XML checksums, and Liquibase records them',
    async (changelog) => {
      const ours = (await parseChangelog({ rootDir: ROOT, changelog })).changeSets;
      const sums = (list: ChangeSet[]): string[][] =>
        list.filter((c) => c.id === 'a3' || c.id === 'r1').map((c) => [c.id, c.checksum, c.description]);
      expect(sums(ours)).toEqual(sums(changeSets));
      const db = await createTestDatabase('ct_attrs_yj');
      try {
        await liquibase(db, changelog, 'update');
        expect(psqlRows(db, HISTORY)).toEqual(ours.map(ourRow));
      } finally {
        await db.drop();
      }
    },
    240_000,
  );
});
