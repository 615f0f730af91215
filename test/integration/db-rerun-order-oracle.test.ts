// ORDEREXECUTED of a runAlways/runOnChange changeset that runs again while its row is spelled another way
// (`classpath:db/…`, as Liquibase 3.x and Spring Boot wrote FILENAME): Liquibase 4.28 finds the row by the normalised
// path, runs the changeset again, and MarkChangeSetRanGenerator's RERAN UPDATE, bound to the changeset's own path,
// updates no row — but the ORDEREXECUTED it bound (getNextSequenceValue) is used up all the same, so the next row
// written comes one number later. Compared with real Liquibase, ORDEREXECUTED included.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { changelogXml } from '../helpers/changelog-xml.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  onBoth,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

const MAIN = 'db/main.xml';

const changelog = (extra: string): string =>
  changelogXml(
    [
      '<changeSet id="t" author="a"><createTable tableName="log"><column name="x" type="text"/></createTable></changeSet>',
      `<changeSet id="always" author="a" runAlways="true"><sql>insert into log values ('always')</sql></changeSet>`,
      `<changeSet id="onchange" author="a" runOnChange="true"><sql>insert into log values ('onchange ${extra ? 2 : 1}')</sql></changeSet>`,
      extra,
    ].join('\n'),
  );

describe('a RERAN update that finds no row under its own path still uses up an ORDEREXECUTED', () => {
  const c = useOracleCase('rerunord', { [MAIN]: changelog('') });

  it('the next row written has the ORDEREXECUTED Liquibase gives it', async () => {
    await liquibaseOk(c.root, c.theirs, MAIN, 'update');
    await liquibaseOk(c.root, c.ours, MAIN, 'update');
    onBoth(c, `UPDATE databasechangelog SET filename = 'classpath:${MAIN}' WHERE id IN ('always', 'onchange')`);
    await writeFile(
      path.join(c.root, MAIN),
      changelog(`<changeSet id="n1" author="a"><sql>insert into log values ('n1')</sql></changeSet>`),
    );
    await liquibaseOk(c.root, c.theirs, MAIN, 'update');
    await applyOurPackage(c.root, MAIN, c.ours);
    expectSameSchemaAndHistory(c);
    // Rows 1-3 of the first update; the reruns updated nothing (their rows keep 2 and 3) but took 4 and 5.
    expect(psqlRows(c.theirs, "SELECT orderexecuted FROM databasechangelog WHERE id = 'n1'")).toEqual(['6']);
    const log = "SELECT string_agg(x, ',' ORDER BY ctid) FROM log";
    expect(psqlRows(c.ours, log)).toEqual(psqlRows(c.theirs, log));
  }, 300_000);
});
