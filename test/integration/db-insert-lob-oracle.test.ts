import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

// <insert>/<update> columns with valueBlobFile / valueClobFile: Liquibase 4.28 runs them as prepared statements that
// bind the file's content (found beside the changelog): a CLOB file's text; a BLOB file's bytes into bytea as they
// are and into any other column (oid) as a new large object. Slipway used to insert the file's name (psql: invalid
// input syntax for type oid). Found in liquibase/liquibase's integration-test testBlob.changelog.xml.
const BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => (i * 37) % 256));

const MASTER = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd">
  <changeSet id="t" author="a">
    <createTable tableName="lobs"><column name="id" type="int"/><column name="b" type="bytea"/><column name="o" type="oid"/><column name="c" type="text"/></createTable>
  </changeSet>
  <changeSet id="i" author="a">
    <insert tableName="lobs"><column name="id" valueNumeric="1"/><column name="b" valueBlobFile="files/b.bin"/><column name="o" valueBlobFile="files/b.bin"/><column name="c" valueClobFile="files/c.txt"/></insert>
    <insert tableName="lobs"><column name="id" valueNumeric="2"/></insert>
    <update tableName="lobs"><column name="c" valueClobFile="files/c.txt"/><column name="b" valueBlobFile="files/b.bin"/><where>id = 2</where></update>
  </changeSet>
</databaseChangeLog>
`;

describe('insert/update valueBlobFile and valueClobFile against Liquibase 4.28', () => {
  const c = useOracleCase('inslob', { 'db/m.xml': MASTER, 'db/files/c.txt': 'héllo clob', 'db/files/b.bin': BYTES });

  it('binds the files content, as Liquibase does: same rows, schema and history', async () => {
    const { theirs, ours } = c;
    await liquibaseOk(c.root, theirs, 'db/m.xml', 'update');
    await applyOurPackage(c.root, 'db/m.xml', ours);
    expectSameSchemaAndHistory(c);
    const rows = 'SELECT id, md5(b), CASE WHEN o IS NULL THEN NULL ELSE md5(lo_get(o)) END, c FROM lobs ORDER BY id';
    expect(psqlRows(ours, rows)).toEqual(psqlRows(theirs, rows));
    // The facts the comparison rests on: the bytes, in both columns, and the text.
    const md5 = createHash('md5').update(BYTES).digest('hex');
    expect(psqlRows(theirs, rows)).toEqual([`1|${md5}|${md5}|héllo clob`, `2|${md5}||héllo clob`]);
  }, 300_000);

  it('a BLOB file into a column the changelog does not declare is a large object, with a warning', async () => {
    const other = await makeTree({
      'db/m.xml': MASTER.replace(/<changeSet id="t"[\s\S]*?<\/changeSet>/, ''),
      'db/files/c.txt': 'x',
      'db/files/b.bin': BYTES,
    });
    try {
      const parsed = await parseChangelog({ rootDir: other, changelog: 'db/m.xml' });
      expect(parsed.warnings.map((w) => w.code)).toContain('W_LOAD_DATA_BLOB');
      expect(parsed.changeSets[0]!.statements.join('\n')).toContain('lo_from_bytea(0, ');
    } finally {
      await removeTree(other);
    }
  });
});
