import { describe, expect, it } from 'vitest';
import { buildDatabasePackage } from '../../src/db/package.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';
import { changelogXml } from '../helpers/changelog-xml.js';

// NULLs in prepared loadData rows (usePreparedStatements="true", or a row with a BLOB/CLOB value), as Liquibase 4.28
// binds them: the word NULL is bound typed by the column's load type (NUMERIC numeric, BOOLEAN boolean, DATE date, CLOB
// varchar, int integer...), an empty cell of a DATE column too; other NULLs go untyped. A typed NULL fails into a
// column its type has no assignment cast to ('column "v" is of type boolean but expression is of type numeric').
// Slipway wrote a bare NULL, which every column took. Each case is one failOnError="false" changeset, so both runs
// go on past the failing ones and leave them out of the history.
const LOAD_TYPES = ['NUMERIC', 'BOOLEAN', 'DATE', 'DATETIME', 'TIME', 'STRING', 'UUID', 'CLOB', 'COMPUTED', 'OTHER'];
const MORE_TYPES = ['foo', 'int', 'bigint', 'xml', 'varchar(5)', 'text', 'real', 'char'];
const cases: string[] = [];
const changeSets: string[] = [];
const loadCase = (name: string, columnType: string, csv: string, columnConfig: string): void => {
  cases.push(name);
  changeSets.push(`  <changeSet id="${name}" author="a">
    <createTable tableName="${name}"><column name="k" type="varchar(10)"/><column name="v" type="${columnType}"/></createTable>
  </changeSet>
  <changeSet id="${name}-load" author="a" failOnError="false">
    <loadData tableName="${name}" file="data/${csv}.csv" relativeToChangelogFile="true" usePreparedStatements="true">${columnConfig}</loadData>
  </changeSet>`);
};
[...LOAD_TYPES, ...MORE_TYPES].forEach((type, i) => {
  for (const column of ['boolean', 'date'])
    for (const csv of ['empty', 'word'])
      loadCase(`t${i}_${column}_${csv}`, column, csv, `<column name="v" type="${type}"/>`);
});
// No column config: the load type comes from the column (time loads as DATE, so its NULL is a typed date).
loadCase('live_time_word', 'time', 'word', '');
loadCase('live_time_empty', 'time', 'empty', '');
// Defaults of empty cells: a value, or the word NULL in defaultValue (then untyped).
loadCase('default_numeric', 'integer', 'empty', '<column name="v" type="NUMERIC" defaultValueNumeric="5"/>');
loadCase('default_boolean', 'boolean', 'empty', '<column name="v" type="BOOLEAN" defaultValueBoolean="true"/>');
loadCase('default_date', 'date', 'empty', '<column name="v" type="DATE" defaultValueDate="2020-01-02"/>');
loadCase('default_null_date', 'boolean', 'empty', '<column name="v" type="DATE" defaultValue="NULL"/>');

const CONTENT = cases
  .map((t) => `SELECT '${t}|' || count(*) || '|' || coalesce(max(v::text), '') FROM ${t}`)
  .join(' UNION ALL ');

// An empty CLOB cell makes its row prepared too (LoadDataChange.setValueClobFile(null)), so with a CLOB file in
// another row, the rows left unprepared (the word NULL) are the ones PostgreSQL's Liquibase does not load.
const clobRows = changelogXml(`  <changeSet id="1" author="a">
    <createTable tableName="docs"><column name="id" type="int"/><column name="doc" type="clob"/></createTable>
    <loadData tableName="docs" file="data/docs.csv" relativeToChangelogFile="true">
      <column name="id" type="numeric"/><column name="doc" type="clob"/>
    </loadData>
  </changeSet>`);
const emptyBlob = changelogXml(`  <changeSet id="1" author="a">
    <createTable tableName="pics"><column name="id" type="int"/><column name="pic" type="blob"/></createTable>
    <loadData tableName="pics" file="data/pics.csv" relativeToChangelogFile="true">
      <column name="id" type="numeric"/><column name="pic" type="blob"/>
    </loadData>
  </changeSet>`);

describe('typed NULLs in prepared loadData rows, against Liquibase 4.28', () => {
  const FILES = {
    'db/master.xml': changelogXml(changeSets.join('\n')),
    'db/clob.xml': clobRows,
    'db/blob.xml': emptyBlob,
    'db/data/empty.csv': 'k,v\nk,\n',
    'db/data/word.csv': 'k,v\nk,null\n',
    'db/data/docs.csv': 'id,doc\n1,files/c.txt\n2,\n3,NULL\n',
    'db/data/pics.csv': 'id,pic\n1,\n',
    'db/files/c.txt': 'text of a file\n',
  };
  const matrix = useOracleCase('typednull', FILES);
  const clob = useOracleCase('typednull_clob', FILES);

  it('a NULL cell of each load type loads, or fails, into boolean and date columns as in Liquibase', async () => {
    await liquibaseOk(matrix.root, matrix.theirs, 'db/master.xml', 'update');
    await applyOurPackage(matrix.root, 'db/master.xml', matrix.ours, {}, { acceptErrors: true });
    const theirs = psqlRows(matrix.theirs, CONTENT);
    // The measured facts, in short: which cases Liquibase did not load.
    expect(
      theirs
        .filter((r) => r.includes('|0|'))
        .map((r) => r.split('|')[0])
        .sort(),
    ).toEqual(
      [
        't0_boolean_word',
        't0_date_word',
        't1_date_word',
        't2_boolean_empty',
        't2_boolean_word',
        't5_boolean_empty',
        't5_date_empty',
        't7_boolean_word',
        't7_date_word',
        't11_boolean_word',
        't11_date_word',
        't12_boolean_word',
        't12_date_word',
        't13_boolean_word',
        't13_date_word',
        't14_boolean_word',
        't14_date_word',
        't15_boolean_word',
        't15_date_word',
        't16_boolean_word',
        't16_date_word',
        't17_boolean_word',
        't17_date_word',
        'live_time_word',
        'live_time_empty',
      ].sort(),
    );
    expect(theirs).toContain('default_numeric|1|5');
    expect(psqlRows(matrix.ours, CONTENT)).toEqual(theirs);
    expectSameSchemaAndHistory(matrix);
  }, 600_000);

  it('an empty CLOB cell makes its row prepared; the word NULL leaves it out', async () => {
    await liquibaseOk(clob.root, clob.theirs, 'db/clob.xml', 'update');
    await applyOurPackage(clob.root, 'db/clob.xml', clob.ours);
    const rows = "SELECT concat_ws('|', id, trim(doc, E'\\n')) FROM docs ORDER BY id";
    expect(psqlRows(clob.theirs, rows)).toEqual(['1|text of a file', '2']);
    expect(psqlRows(clob.ours, rows)).toEqual(psqlRows(clob.theirs, rows));
    expectSameSchemaAndHistory(clob);
  }, 300_000);

  it('an empty BLOB cell without a defaultValue stops both', async () => {
    const lb = await runLiquibase(clob.root, clob.theirs.url, [
      `--search-path=${clob.root}`,
      '--changelog-file=db/blob.xml',
      'update',
    ]);
    expect(lb.ok).toBe(false);
    await expect(
      buildDatabasePackage({
        rootDir: clob.root,
        changelog: 'db/blob.xml',
        application: 'a',
        version: '1',
        sourceDateEpoch: 0,
      }),
    ).rejects.toThrow('pics.csv:2: column pic: a BLOB cell is empty and its column has no defaultValue');
  }, 300_000);
});
