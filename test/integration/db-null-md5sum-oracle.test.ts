// History rows whose MD5SUM is NULL (Liquibase's clear-checksums, or its upgrade of pre-9 checksums), compared with
// real Liquibase 4.28 over a second update of the same two databases.
import { describe, expect, it } from 'vitest';
import { onBoth, psqlRows, updateBoth, useOracleCase } from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

const changelog = `<databaseChangeLog ${LIQUIBASE_NS}>
<changeSet id="t" author="a"><sql>create table log (x int)</sql></changeSet>
<changeSet id="plain" author="a"><sql>insert into log values (1)</sql></changeSet>
<changeSet id="on-change" author="a" runOnChange="true"><sql>insert into log values (2)</sql></changeSet>
<changeSet id="always" author="a" runAlways="true"><sql>insert into log values (3)</sql></changeSet>
</databaseChangeLog>
`;

describe('history rows with a NULL MD5SUM', () => {
  const c = useOracleCase('null_md5sum', { 'master.xml': changelog });
  const log = "SELECT string_agg(x::text, ',' ORDER BY ctid) FROM log";
  const update = (): Promise<void> => updateBoth(c, 'master.xml', log);

  it('are filled in, and run again only where Liquibase runs them again', async () => {
    await update();
    onBoth(c, 'UPDATE databasechangelog SET md5sum = NULL');
    await update();
    expect(psqlRows(c.theirs, 'SELECT count(*) FROM databasechangelog WHERE md5sum IS NULL')).toEqual(['0']);
  }, 600_000);
});
