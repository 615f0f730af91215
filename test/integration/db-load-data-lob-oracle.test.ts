import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDatabasePackage } from '../../src/db/package.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  HISTORY_ROWS,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';
import { changelogXml } from '../helpers/changelog-xml.js';

// loadData BLOB and CLOB columns, as Liquibase 4.28 binds them in prepared statements: a CLOB cell names a file (its
// text is the value), a BLOB cell is Base64 or names a file, found beside the changelog — not beside the CSV. Into an
// oid column (Liquibase's type for `blob`) the bytes become a new large object; into bytea, the bytes. Rows whose
// BLOB/CLOB cells are all NULL are not loaded at all once another row needs a prepared statement (PostgreSQL runs
// only the prepared ones). Generated applications load pictures this way (`../fake-data/blob/x.png`).
const master = changelogXml(`  <changeSet id="1" author="a">
    <createTable tableName="pics">
      <column name="id" type="int"/><column name="pic" type="blob"/><column name="raw" type="bytea"/>
      <column name="doc" type="clob"/>
    </createTable>
    <createTable tableName="maybe"><column name="id" type="int"/><column name="pic" type="blob"/></createTable>
  </changeSet>
  <changeSet id="2" author="a">
    <loadData tableName="pics" file="data/pics.csv" relativeToChangelogFile="true" separator=";">
      <column name="id" type="numeric"/><column name="pic" type="blob"/><column name="raw" type="blob"/>
      <column name="doc" type="clob"/>
    </loadData>
    <loadData tableName="maybe" file="data/maybe.csv" relativeToChangelogFile="true">
      <column name="id" type="numeric"/><column name="pic" type="blob"/>
    </loadData>
  </changeSet>`);
const refused = changelogXml(`  <changeSet id="1" author="a">
    <createTable tableName="maybe"><column name="id" type="int"/><column name="pic" type="blob"/></createTable>
    <loadData tableName="maybe" file="data/maybe.csv" relativeToChangelogFile="true" usePreparedStatements="false">
      <column name="id" type="numeric"/><column name="pic" type="blob"/>
    </loadData>
  </changeSet>`);
// loadUpdateData has no prepared statements (LoadUpdateDataChange.hasPreparedStatementsImplemented is false): its
// BLOB and CLOB cells are written as the text they are, file names included.
const upsert = changelogXml(`  <changeSet id="1" author="a">
    <createTable tableName="up"><column name="id" type="int"/><column name="pic" type="bytea"/><column name="doc" type="clob"/></createTable>
    <loadUpdateData tableName="up" file="data/pics.csv" relativeToChangelogFile="true" primaryKey="id" separator=";">
      <column name="id" type="numeric"/><column name="pic" type="blob"/><column name="doc" type="clob"/>
      <column name="raw" type="skip"/>
    </loadUpdateData>
  </changeSet>`);
const CONTENT =
  "SELECT concat_ws('|', id, md5(lo_get(pic)), md5(raw), doc) FROM pics UNION ALL SELECT concat_ws('|', 'maybe', id, md5(lo_get(pic))) FROM maybe";

describe('loadData BLOB and CLOB values, against Liquibase 4.28', () => {
  let root: string;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    root = await makeTree({
      'db/master.xml': master,
      'db/refused.xml': refused,
      'db/upsert.xml': upsert,
      // File names are relative to db/ (the changelog), not db/data/ (the CSV).
      'db/data/pics.csv': 'id;pic;raw;doc\n1;files/a.bin;files/a.bin;files/c.txt\n2;aGVsbG8=;files/a.bin;NULL\n',
      'db/data/maybe.csv': 'id,pic\n1,files/a.bin\n2,NULL\n',
      'db/files/a.bin': 'bytes\u0000\u00ff of a file\n',
      'db/files/c.txt': 'text of a file, é\n',
    });
    dbs.push(
      ...(await Promise.all(
        ['theirs', 'ours', 'refused', 'up_theirs', 'up_ours'].map((n) => createTestDatabase(`lobload_${n}`)),
      )),
    );
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
    if (root) await removeTree(root);
  });

  it('load what Liquibase loads: large objects, bytea, file text, and not the rows without a LOB value', async () => {
    const [theirs, ours] = dbs as [TestDatabase, TestDatabase];
    await liquibaseOk(root, theirs, 'db/master.xml', 'update');
    await applyOurPackage(root, 'db/master.xml', ours);
    const content = psqlRows(theirs, CONTENT).sort();
    expect(content).toEqual([
      `1|${md5Of('bytes\u0000\u00ff of a file\n')}|${md5Of('bytes\u0000\u00ff of a file\n')}|text of a file, é`,
      `2|${md5Of('hello')}|${md5Of('bytes\u0000\u00ff of a file\n')}`,
      `maybe|1|${md5Of('bytes\u0000\u00ff of a file\n')}`,
    ]);
    expect(psqlRows(ours, CONTENT).sort()).toEqual(content);
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    const pkg = await buildDatabasePackage({
      rootDir: root,
      changelog: 'db/master.xml',
      application: 'a',
      version: '1',
      sourceDateEpoch: 0,
    });
    expect(pkg.warnings.map((w) => [w.code, w.line])).toEqual([['W_LIQUIBASE_SKIPS_ROWS', 15]]);
  }, 300_000);

  it('usePreparedStatements="false" with a BLOB value stops both', async () => {
    const r = await runLiquibase(root, dbs[2]!.url, [
      `--search-path=${root}`,
      '--changelog-file=db/refused.xml',
      'update',
    ]);
    expect(r.ok).toBe(false);
    expect(r.out).toContain('loadData is requesting usePreparedStatements=false but prepared statements are required');
    await expect(
      buildDatabasePackage({
        rootDir: root,
        changelog: 'db/refused.xml',
        application: 'a',
        version: '1',
        sourceDateEpoch: 0,
      }),
    ).rejects.toThrow('<loadData> usePreparedStatements="false" but its BLOB/CLOB values need prepared statements');
  }, 300_000);

  it('loadUpdateData writes BLOB and CLOB cells as text, as Liquibase does', async () => {
    const [theirs, ours] = [dbs[3]!, dbs[4]!];
    await liquibaseOk(root, theirs, 'db/upsert.xml', 'update');
    await applyOurPackage(root, 'db/upsert.xml', ours);
    const rows = "SELECT concat_ws('|', id, encode(pic, 'escape'), doc) FROM up ORDER BY id";
    expect(psqlRows(theirs, rows)).toEqual(['1|files/a.bin|files/c.txt', '2|aGVsbG8=']);
    expect(psqlRows(ours, rows)).toEqual(psqlRows(theirs, rows));
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
  }, 300_000);
});

// A NULL cell of a type="blob" column in a prepared row is bound typed oid (setNull(Types.BLOB) through pgjdbc): it
// loads into an oid column and fails into bytea ('column "raw" is of type bytea but expression is of type oid',
// measured with Liquibase 4.28), with usePreparedStatements="true" and in a row another BLOB value makes prepared.
// Slipway wrote a bare NULL, which bytea took: it accepted what Liquibase rejects.
const nullBlob = (table: string, prepared: string): string =>
  changelogXml(`  <changeSet id="1" author="a">
    <createTable tableName="${table}"><column name="id" type="int"/><column name="pic" type="blob"/><column name="raw" type="bytea"/></createTable>
  </changeSet>
  <changeSet id="2" author="a">
    <loadData tableName="${table}" file="data/nulls.csv" relativeToChangelogFile="true"${prepared}>
      <column name="id" type="numeric"/><column name="pic" type="blob"/><column name="raw" type="blob"/>
    </loadData>
  </changeSet>`);

describe('a NULL BLOB cell in a prepared loadData row, against Liquibase 4.28', () => {
  const FILES = {
    'db/oid.xml': changelogXml(`  <changeSet id="1" author="a">
    <createTable tableName="o"><column name="id" type="int"/><column name="pic" type="blob"/></createTable>
    <loadData tableName="o" file="data/nulls.csv" relativeToChangelogFile="true" usePreparedStatements="true">
      <column name="id" type="numeric"/><column name="pic" type="blob"/><column name="raw" type="skip"/>
    </loadData>
  </changeSet>`),
    'db/prepared.xml': nullBlob('p', ' usePreparedStatements="true"'),
    'db/mixed.xml': nullBlob('m', ''),
    'db/data/nulls.csv': 'id,pic,raw\n1,files/a.bin,files/a.bin\n2,NULL,NULL\n3,files/a.bin,NULL\n',
    'db/files/a.bin': 'bytes\u0000\u00ff of a file\n',
  };
  const oid = useOracleCase('nullblob_oid', FILES);
  const prepared = useOracleCase('nullblob_prep', FILES);
  const mixed = useOracleCase('nullblob_mixed', FILES);

  it('loads into an oid column in both', async () => {
    await liquibaseOk(oid.root, oid.theirs, 'db/oid.xml', 'update');
    await applyOurPackage(oid.root, 'db/oid.xml', oid.ours);
    const rows = "SELECT concat_ws('|', id, md5(lo_get(pic))) FROM o ORDER BY id";
    expect(psqlRows(oid.theirs, rows)).toEqual([
      `1|${md5Of('bytes\u0000\u00ff of a file\n')}`,
      '2',
      `3|${md5Of('bytes\u0000\u00ff of a file\n')}`,
    ]);
    expect(psqlRows(oid.ours, rows)).toEqual(psqlRows(oid.theirs, rows));
    expectSameSchemaAndHistory(oid);
  }, 300_000);

  it.each([
    ['usePreparedStatements="true"', 'db/prepared.xml', () => prepared],
    ['a row another BLOB value makes prepared', 'db/mixed.xml', () => mixed],
  ] as const)(
    'fails into bytea in both: %s',
    async (_, changelog, get) => {
      const c = get();
      const lb = await runLiquibase(c.root, c.theirs.url, [
        `--search-path=${c.root}`,
        `--changelog-file=${changelog}`,
        'update',
      ]);
      expect(lb.ok).toBe(false);
      expect(lb.out).toContain('column "raw" is of type bytea but expression is of type oid');
      const pkg = await buildDatabasePackage({
        rootDir: c.root,
        changelog,
        application: 'a',
        version: '1',
        sourceDateEpoch: 0,
      });
      expect(pkg.warnings.map((w) => w.code)).toContain('W_LIQUIBASE_REJECTS');
      const file = path.join(c.root, `.package-${c.ours.name}.sql`);
      await writeFile(file, pkg.sql);
      const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, c.ours.url], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toContain('column "raw" is of type bytea but expression is of type oid');
      expectSameSchemaAndHistory(c);
    },
    300_000,
  );
});

function md5Of(text: string): string {
  return createHash('md5').update(Buffer.from(text, 'utf8')).digest('hex');
}
