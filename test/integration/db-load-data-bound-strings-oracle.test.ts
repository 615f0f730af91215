import { describe, expect, it } from 'vitest';
import { changelogXml } from '../helpers/changelog-xml.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

// Non-NULL loadData cells as Liquibase 4.28 binds them in a prepared row (usePreparedStatements="true", or a row with
// a BLOB/CLOB value): ExecutablePreparedStatementBase.applyColumnParameter calls setString for a STRING, CLOB or
// untyped cell (a column the changelog declares jsonb, uuid, int… without a loadData type loads as its own load type,
// STRING for jsonb), which pgjdbc sends typed varchar: it fails into an integer, boolean, date, uuid or jsonb column
// ('column "v" is of type integer but expression is of type character varying'). A UUID cell is setObject(UUID), so
// it reaches a text column in canonical lower case. Unprepared rows are SQL text, where the same values load.
// Each case is one failOnError="false" changeset, so both runs go past the failing ones and leave them out of the
// history.
const cases: string[] = [];
const changeSets: string[] = [];
const loadCase = (name: string, columnType: string, csv: string, columnConfig: string, prepared: boolean): void => {
  cases.push(name);
  changeSets.push(`  <changeSet id="${name}" author="a">
    <createTable tableName="${name}"><column name="k" type="varchar(10)"/><column name="v" type="${columnType}"/></createTable>
  </changeSet>
  <changeSet id="${name}-load" author="a" failOnError="false">
    <loadData tableName="${name}" file="data/${csv}.csv" relativeToChangelogFile="true"${prepared ? ' usePreparedStatements="true"' : ''}>${columnConfig}</loadData>
  </changeSet>`);
};

const CSV: Record<string, string> = {
  int: '42',
  zeros: '007',
  bool: 'true',
  date: '2024-01-02',
  uuid: '0E3C2D5A-6B8F-4A43-9F3C-2A5D7C1B9E01',
  json: '"{""a"": 1}"',
  empty: '',
  qempty: '""',
  nullword: 'NULL',
};
// Column type × CSV value, loaded with type="STRING" and with no loadData type (the declared column's load type).
const PAIRS: [string, string][] = [
  ['integer', 'int'],
  ['integer', 'zeros'],
  ['boolean', 'bool'],
  ['date', 'date'],
  ['uuid', 'uuid'],
  ['jsonb', 'json'],
  ['text', 'zeros'],
  ['varchar(40)', 'uuid'],
  ['text', 'empty'],
  ['text', 'qempty'],
  ['integer', 'empty'],
  ['jsonb', 'empty'],
  ['text', 'nullword'],
];
for (const prepared of [true, false]) {
  const p = prepared ? 'p' : 'u';
  PAIRS.forEach(([column, csv], i) => {
    loadCase(`${p}${i}_str`, column, csv, '<column name="v" type="STRING"/>', prepared);
    // A text column loads as CLOB, its cell naming a file: Slipway refuses the missing file when it builds.
    if (!(column === 'text' && csv === 'zeros')) loadCase(`${p}${i}_none`, column, csv, '', prepared);
  });
  loadCase(`${p}_uuid_text`, 'text', 'uuid', '<column name="v" type="UUID"/>', prepared);
  loadCase(`${p}_uuid_uuid`, 'uuid', 'uuid', '<column name="v" type="UUID"/>', prepared);
  loadCase(`${p}_other_json`, 'jsonb', 'json', '<column name="v" type="OTHER"/>', prepared);
  loadCase(`${p}_numeric_text`, 'text', 'zeros', '<column name="v" type="NUMERIC"/>', prepared);
}

const CONTENT = cases
  .map((t) => `SELECT '${t}|' || count(*) || '|' || coalesce(max(v::text), '<null>') FROM ${t}`)
  .join(' UNION ALL ');

describe('strings bound in prepared loadData rows, against Liquibase 4.28', () => {
  const c = useOracleCase('boundstr', {
    'db/master.xml': changelogXml(changeSets.join('\n')),
    ...Object.fromEntries(Object.entries(CSV).map(([name, v]) => [`db/data/${name}.csv`, `k,v\nk,${v}\n`])),
  });

  it('loads, or fails, each cell as Liquibase does', async () => {
    await liquibaseOk(c.root, c.theirs, 'db/master.xml', 'update');
    await applyOurPackage(c.root, 'db/master.xml', c.ours, {}, { acceptErrors: true });
    const theirs = psqlRows(c.theirs, CONTENT);
    // The measured facts, in short: which cases Liquibase did not load.
    expect(
      theirs
        .filter((r) => r.includes('|0|'))
        .map((r) => r.split('|')[0])
        .sort(),
    ).toEqual(
      [
        ...['p0_str', 'p1_str', 'p2_str', 'p3_str', 'p4_str', 'p5_str', 'p10_str', 'p11_str'],
        ...['p5_none', 'p11_none', 'u10_str', 'u11_str', 'u11_none'],
      ].sort(),
    );
    expect(theirs).toEqual(expect.arrayContaining(['p_uuid_text|1|0e3c2d5a-6b8f-4a43-9f3c-2a5d7c1b9e01']));
    expect(psqlRows(c.ours, CONTENT)).toEqual(theirs);
    expectSameSchemaAndHistory(c);
  }, 600_000);
});
