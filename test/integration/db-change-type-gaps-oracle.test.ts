import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { buildDatabasePackage } from '../../src/db/package.js';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { SlipwayError } from '../../src/errors.js';
import type { TestDatabase } from '../helpers/pg.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

// The attributes and change types docs/change-type-coverage.md left uncovered, each against real Liquibase 4.28 on
// PostgreSQL: defaultValueSequenceCurrent, valueClobFile/valueBlobFile inside addColumn, and <stop>.
const HEAD = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd">
`;
const xml = (body: string): string => `${HEAD}${body}\n</databaseChangeLog>\n`;

/** A first changeset making table `t` with one row (each changelog its own, as they run on the same databases). */
const create = (t: string): string => `<changeSet id="s1" author="a">
    <createSequence sequenceName="q_seq"/>
    <createTable tableName="${t}"><column name="id" type="int"/></createTable>
    <insert tableName="${t}"><column name="id" valueNumeric="1"/></insert>
  </changeSet>`;

// addColumn's value is set by an UPDATE of every row; Liquibase 4.28 prints (and runs) the file's *name* for
// valueClobFile/valueBlobFile there, not its content (unlike insert/update: db-insert-lob-oracle).
const LOB = xml(`${create('q1')}
  <changeSet id="s2" author="a">
    <addColumn tableName="q1">
      <column name="t" type="text" valueClobFile="clob.txt" encoding="UTF-8"/>
      <column name="b" type="bytea" valueBlobFile="blob.bin"/>
    </addColumn>
  </changeSet>`);

const STOP = (t: string, attrs: string): string =>
  xml(`${create(`${t}1`)}
  <changeSet id="s2" author="a"${attrs}>
    <createTable tableName="${t}2"><column name="id" type="int"/></createTable>
    <stop>halt here</stop>
  </changeSet>
  <changeSet id="s3" author="a">
    <createTable tableName="${t}3"><column name="id" type="int"/></createTable>
  </changeSet>`);

const SEQ_CURRENT = {
  'createTable.xml': xml(`<changeSet id="c" author="a" context="never">
    <createTable tableName="q9"><column name="id" type="int" defaultValueSequenceCurrent="q_seq"/></createTable>
  </changeSet>`),
  'addColumn.xml': xml(`${create('q1')}
  <changeSet id="c" author="a">
    <addColumn tableName="q1"><column name="c" type="int" defaultValueSequenceCurrent="q_seq"/></addColumn>
  </changeSet>`),
  'createTable.yaml': `databaseChangeLog:
  - changeSet:
      id: c
      author: a
      changes:
        - createTable:
            tableName: q9
            columns:
              - column:
                  name: id
                  type: int
                  defaultValueSequenceCurrent: q_seq
`,
};

const TABLES =
  "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'databasechangelog%'";
const HISTORY =
  "SELECT concat_ws('|', id, md5sum, exectype, description) FROM databasechangelog ORDER BY orderexecuted";

/** Slipway's package of `changelog` run by psql (ON_ERROR_STOP) on `db`: psql's exit status and stderr. */
async function runOurs(
  root: string,
  changelog: string,
  db: TestDatabase,
): Promise<{ status: number | null; err: string }> {
  const pkg = await buildDatabasePackage({
    rootDir: root,
    changelog,
    application: 'o',
    version: '1',
    sourceDateEpoch: 0,
  });
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-', db.url], {
    input: pkg.sql,
    encoding: 'utf8',
  });
  return { status: r.status, err: r.stderr };
}

describe('change-type gaps against Liquibase 4.28', () => {
  const c = useOracleCase('gaps', {
    'lob.xml': LOB,
    'clob.txt': 'clob text',
    'blob.bin': Buffer.from([0, 1, 2]),
    'stop.xml': STOP('p', ''),
    'stop-continue.xml': STOP('r', ' failOnError="false"'),
    ...SEQ_CURRENT,
  });

  it('addColumn valueClobFile/valueBlobFile: the same update-sql, history, schema and rows (the file name)', async () => {
    const sql = await liquibaseOk(c.root, c.theirs, 'lob.xml', 'update-sql');
    const theirs = /-- Changeset lob\.xml::s2::a\n([\s\S]*?)\nINSERT INTO public\.databasechangelog /.exec(sql)![1]!;
    const ours = (await parseChangelog({ rootDir: c.root, changelog: 'lob.xml' })).changeSets[1]!.statements;
    const theirStatements = theirs.split('\n').filter((l) => l !== '' && !l.startsWith('SET SEARCH_PATH TO '));
    expect(ours.map((s) => `${s};`)).toEqual(theirStatements);
    await liquibaseOk(c.root, c.theirs, 'lob.xml', 'update');
    await applyOurPackage(c.root, 'lob.xml', c.ours);
    expectSameSchemaAndHistory(c);
    const rows = 'SELECT id, t, encode(b, $$escape$$) FROM q1';
    expect(psqlRows(c.ours, rows)).toEqual(psqlRows(c.theirs, rows));
    expect(psqlRows(c.theirs, rows)).toEqual(['1|clob.txt|blob.bin']);
  }, 300_000);

  it('<stop>: the update fails with its message, the changeset is rolled back and not recorded, later ones do not run', async () => {
    const r = await runLiquibase(c.root, c.theirs.url, [
      `--search-path=${c.root}`,
      '--changelog-file=stop.xml',
      'update',
    ]);
    expect(r.ok).toBe(false);
    expect(r.out).toContain('Migration failed for changeset stop.xml::s2::a');
    expect(r.out).toContain('StopChangeException: halt here');
    const ours = await runOurs(c.root, 'stop.xml', c.ours);
    expect(ours.status).not.toBe(0);
    expect(ours.err).toMatch(/ERROR: {2}halt here/);
    // lob.xml ran first on both: its history and q1, then stop.xml's s1 (another file), not s2 or s3.
    expect(psqlRows(c.ours, HISTORY)).toEqual(psqlRows(c.theirs, HISTORY));
    expect(psqlRows(c.theirs, HISTORY).map((l) => l.split('|')[0])).toEqual(['s1', 's2', 's1']);
    expect(psqlRows(c.ours, TABLES)).toEqual(psqlRows(c.theirs, TABLES));
    expect(psqlRows(c.theirs, TABLES)).toEqual(['p1,q1']);
    const locked = 'SELECT locked FROM databasechangeloglock';
    expect(psqlRows(c.ours, locked)).toEqual(psqlRows(c.theirs, locked));
    // update-sql fails at the stop too (Slipway's db package writes the package: it stops when it runs).
    const sql = await runLiquibase(c.root, c.theirs.url, [
      `--search-path=${c.root}`,
      '--changelog-file=stop.xml',
      'update-sql',
    ]);
    expect(sql.ok).toBe(false);
    expect(sql.out).toContain('StopChangeException: halt here');
    // The checksum of the changeset never recorded.
    const sum = await liquibaseOk(
      c.root,
      c.theirs,
      'stop.xml',
      'calculate-checksum',
      '--changeset-identifier=stop.xml::s2::a',
    );
    const ourSum = (await parseChangelog({ rootDir: c.root, changelog: 'stop.xml' })).changeSets[1]!.checksum;
    expect(sum).toContain(ourSum);
  }, 300_000);

  it('<stop> with failOnError="false": the changeset is rolled back, not recorded, and the update goes on', async () => {
    await liquibaseOk(c.root, c.theirs, 'stop-continue.xml', 'update');
    const ours = await runOurs(c.root, 'stop-continue.xml', c.ours);
    expect(ours.status).toBe(0);
    expectSameSchemaAndHistory(c);
    expect(psqlRows(c.theirs, TABLES)).toEqual(['p1,q1,r1,r3']);
  }, 300_000);

  it.each(Object.keys(SEQ_CURRENT))(
    'defaultValueSequenceCurrent (%s): Liquibase stops parsing ("Unexpected node"), selected or not, so does Slipway',
    async (changelog) => {
      const r = await runLiquibase(c.root, c.theirs.url, [
        `--search-path=${c.root}`,
        `--changelog-file=${changelog}`,
        '--contexts=other',
        'update-sql',
      ]);
      expect(r.ok).toBe(false);
      expect(r.out).toContain('Unexpected node: defaultValueSequenceCurrent');
      const e = await parseChangelog({ rootDir: c.root, changelog }).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(SlipwayError);
      expect(e).toMatchObject({ code: 'E_CHANGELOG', file: changelog, field: 'defaultValueSequenceCurrent' });
      expect((e as Error).message).toContain('Unexpected node: defaultValueSequenceCurrent');
    },
    300_000,
  );
});
