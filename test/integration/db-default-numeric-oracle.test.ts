import { describe, expect, it } from 'vitest';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// defaultValueNumeric as ColumnConfig reads it: java.text.NumberFormat (Locale.US) parses a leading number, and what
// it parses stays a number (its text as written), else the value becomes defaultValueComputed. DecimalFormat's NaN
// symbol "NaN" and infinity symbol "∞", grouping commas before the digits and any BMP decimal digit ("٣") make a
// number: an unknown type (FLOAT8) and a varchar quote it, a function is written bare. The serialised field
// (defaultValueNumeric or defaultValueComputed) is part of the checksum. Found on dockstore/dockstore
// (migrations.1.19.0.xml, `defaultValueNumeric="NaN"` on FLOAT8 columns): Slipway wrote `DEFAULT NaN`, which PostgreSQL
// refuses ("cannot use column reference in DEFAULT expression"), where Liquibase writes `DEFAULT 'NaN'`.
const col = (name: string, type: string, value: string): string =>
  `<column name="${name}" type="${type}" defaultValueNumeric="${value}"/>`;

const FILES = {
  'master.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
<changeSet id="table" author="a">
  <createTable tableName="t">
    <column name="id" type="int"/>
    ${col('f', 'FLOAT8', 'NaN')}
    ${col('g', 'FLOAT8', '(NaN)')}
    ${col('h', 'varchar(10)', 'NaNx')}
    ${col('s1', 'varchar(10)', '∞')}
    ${col('s2', 'varchar(10)', '-∞x')}
    ${col('s3', 'varchar(10)', ',5')}
    ${col('s4', 'varchar(10)', '-,.5')}
    ${col('s5', 'varchar(10)', '٣')}
    ${col('s6', 'varchar(10)', '+1')}
    ${col('s7', 'varchar(10)', '12')}
  </createTable>
</changeSet>
<changeSet id="add" author="a">
  <addColumn tableName="t">${col('k', 'FLOAT8', 'NaN')}</addColumn>
  <insert tableName="t"><column name="id" valueNumeric="1"/></insert>
</changeSet>
</databaseChangeLog>
`,
};

describe('defaultValueNumeric parsed as java.text.NumberFormat does, against Liquibase 4.28', () => {
  const c = useOracleCase('default_numeric', FILES);

  it('NaN, ∞, grouping commas and non-ASCII digits are numbers: same schema, defaults, rows and checksums', async () => {
    await liquibaseOk(c.root, c.theirs, 'master.xml', 'update');
    const sql = await applyOurPackage(c.root, 'master.xml', c.ours);
    expect(sql).toContain(`f FLOAT8 DEFAULT 'NaN'`);
    expect(sql).toContain(`s6 VARCHAR(10) DEFAULT +1`);
    expectSameSchemaAndHistory(c);
    const row = 'SELECT f, g, h, s1, s2, s3, s4, s5, s6, s7, k FROM t';
    expect(psqlRows(c.ours, row)).toEqual(psqlRows(c.theirs, row));
    expect(psqlRows(c.theirs, row)).toEqual(['NaN|NaN|NaNx|∞|-∞x|,5|-,.5|٣|1|12|NaN']);
  }, 300_000);
});
