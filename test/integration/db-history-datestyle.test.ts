// The history's DATEEXECUTED is read as ISO text whatever the server's DateStyle, and readHistory returns the rows in
// execution order (DATEEXECUTED, then ORDEREXECUTED, as Liquibase 4.28 reads them): the one order rollback, deploy
// undo and `db status` use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory } from '../../src/db/delta.js';
import { DEFAULT_HISTORY_TABLES } from '../../src/db/history-tables.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';

describe('history dates under a non-ISO DateStyle', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('slipway_datestyle');
    await queryRows(db.url, `ALTER DATABASE "${db.name}" SET DateStyle = 'SQL, DMY'`);
    await queryRows(
      db.url,
      `CREATE TABLE databasechangelog (ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL, FILENAME VARCHAR(255) NOT NULL, DATEEXECUTED TIMESTAMP NOT NULL, ORDEREXECUTED INTEGER NOT NULL, EXECTYPE VARCHAR(10) NOT NULL, MD5SUM VARCHAR(35), DESCRIPTION VARCHAR(255), COMMENTS VARCHAR(255), TAG VARCHAR(255), LIQUIBASE VARCHAR(20), CONTEXTS VARCHAR(255), LABELS VARCHAR(255), DEPLOYMENT_ID VARCHAR(10));
       INSERT INTO databasechangelog (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, EXECTYPE) VALUES
         ('same-second', 'a', 'm.xml', '2026-01-01 00:00:00.25', 4, 'EXECUTED'),
         ('new', 'a', 'm.xml', '2026-01-01 00:00:00.25', 2, 'EXECUTED'),
         ('whole', 'a', 'm.xml', '2026-01-01 00:00:00', 9, 'EXECUTED'),
         ('old', 'a', 'm.xml', '2025-12-31 23:00:00', 7, 'EXECUTED'),
         ('later', 'a', 'm.xml', '2026-01-01 00:00:00.5', 1, 'EXECUTED');`,
    );
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('reads ISO dates and returns the rows oldest first by DATEEXECUTED, then ORDEREXECUTED', async () => {
    // the server's own text is day-first: sorting that text would put 2026 before 2025
    expect(
      (await queryRows(db.url, "SELECT dateexecuted::text AS d FROM databasechangelog WHERE id = 'old'"))[0]!.d,
    ).toBe('31/12/2025 23:00:00');
    const rows = await readHistory(db.url, DEFAULT_HISTORY_TABLES);
    // ORDEREXECUTED alone (7, 9, 2, 4, 1) would give another order: a date decides first, ORDEREXECUTED breaks ties
    expect(rows.map((r) => [r.id, r.dateexecuted, r.orderexecuted])).toEqual([
      ['old', '2025-12-31 23:00:00.000000', 7],
      ['whole', '2026-01-01 00:00:00.000000', 9],
      ['new', '2026-01-01 00:00:00.250000', 2],
      ['same-second', '2026-01-01 00:00:00.250000', 4],
      ['later', '2026-01-01 00:00:00.500000', 1],
    ]);
  });
});
