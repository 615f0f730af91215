// A runAlways / runOnChange changeset whose onFail="MARK_RAN" precondition fails on a later update, compared with
// real Liquibase 4.28 over several updates of the same two databases. Measured (Liquibase 4.28, `update` run 1–4):
// MarkChangeSetRanGenerator INSERTs a MARK_RAN row each time (never an UPDATE: only RERAN updates), so the history
// keeps the earlier rows and gains one per failing run; a later passing run's RERAN UPDATE rewrites every row of
// the changeset (one ORDEREXECUTED for all). A runOnChange changeset edited while its precondition fails gets a
// MARK_RAN row with the new MD5SUM beside its old row, and is not run again. Slipway used to insert the MARK_RAN row
// only when the changeset had none.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { onBoth, psqlRows, updateBoth, useOracleCase } from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

const changelog = (onChangeValue: number): string => `<databaseChangeLog ${LIQUIBASE_NS}>
<changeSet id="t" author="a"><sql>create table flag (x int); create table log (x int)</sql></changeSet>
<changeSet id="always" author="a" runAlways="true">
  <preConditions onFail="MARK_RAN"><sqlCheck expectedResult="0">select count(*) from flag</sqlCheck></preConditions>
  <sql>insert into log values (1)</sql>
</changeSet>
<changeSet id="always-inverse" author="a" runAlways="true">
  <preConditions onFail="MARK_RAN"><sqlCheck expectedResult="1">select count(*) from flag</sqlCheck></preConditions>
  <sql>insert into log values (2)</sql>
</changeSet>
<changeSet id="on-change" author="a" runOnChange="true">
  <preConditions onFail="MARK_RAN"><sqlCheck expectedResult="0">select count(*) from flag</sqlCheck></preConditions>
  <sql>insert into log values (${onChangeValue})</sql>
</changeSet>
<changeSet id="last" author="a" runAlways="true"><sql>insert into log values (4)</sql></changeSet>
</databaseChangeLog>
`;

describe('runAlways / runOnChange with a precondition that fails on a later run (onFail MARK_RAN)', () => {
  const c = useOracleCase('rerun_mark_ran', { 'master.xml': changelog(3) });
  const log = "SELECT string_agg(x::text, ',' ORDER BY ctid) FROM log";
  const update = (): Promise<void> => updateBoth(c, 'master.xml', log);
  const both = (sql: string): void => onBoth(c, sql);

  it('inserts one more MARK_RAN row per failing run, and RERAN updates them all', async () => {
    await update(); // always EXECUTED, always-inverse MARK_RAN
    both('INSERT INTO flag VALUES (1)');
    await update(); // always MARK_RAN (second row), always-inverse RERAN
    await update(); // always MARK_RAN (third row)
    const always = "SELECT count(*) FROM databasechangelog WHERE id = 'always' AND exectype = 'MARK_RAN'";
    expect(psqlRows(c.ours, always)).toEqual(['2']);
    both('DELETE FROM flag');
    await update(); // always RERAN on all three rows, always-inverse MARK_RAN beside its RERAN row
    both('INSERT INTO flag VALUES (1)');
    await writeFile(path.join(c.root, 'master.xml'), changelog(33));
    await update(); // on-change: MARK_RAN with its new MD5SUM beside the old row
    await update(); // on-change: not run again
  }, 600_000);
});
