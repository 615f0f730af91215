// The history's DATEEXECUTED is read as ISO text whatever the server's DateStyle, so the execution order rollback
// undoes by (DATEEXECUTED, then ORDEREXECUTED, as Liquibase 4.28) and what `db status` prints do not depend on it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readHistory } from '../../src/db/delta.js';
import { DEFAULT_HISTORY_TABLES } from '../../src/db/history-tables.js';
import { executionOrder } from '../../src/db/rollback.js';
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
         ('old', 'a', 'm.xml', '2025-12-31 23:00:00', 1, 'EXECUTED'),
         ('new', 'a', 'm.xml', '2026-01-01 00:00:00.25', 2, 'EXECUTED'),
         ('same-second', 'a', 'm.xml', '2026-01-01 00:00:00.25', 3, 'EXECUTED');`,
    );
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
  });

  it('reads ISO dates and orders rows by execution', async () => {
    // the server's own text for the first row is day-first: sorting that text would put 2026 before 2025
    expect(String((await queryRows(db.url, 'SELECT dateexecuted::text AS d FROM databasechangelog'))[0]!.d)).toBe(
      '31/12/2025 23:00:00',
    );
    const rows = await readHistory(db.url, DEFAULT_HISTORY_TABLES);
    expect(rows.map((r) => r.dateexecuted)).toEqual([
      '2025-12-31 23:00:00.000000',
      '2026-01-01 00:00:00.250000',
      '2026-01-01 00:00:00.250000',
    ]);
    expect(executionOrder([...rows].reverse()).map((k) => k.id)).toEqual(['old', 'new', 'same-second']);
  });
});
