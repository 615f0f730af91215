/**
 * `slipway db release-locks`: Liquibase's `release-locks`. A Liquibase killed during `update` leaves its lock row
 * committed (`LOCKED = TRUE`) and every later update waits 5 minutes and fails. Liquibase 4.28's StandardLockService
 * releases it with `UPDATE <lock table> SET LOCKED = FALSE, LOCKGRANTED = NULL, LOCKEDBY = NULL WHERE ID = 1`; this
 * runs the same statement on every row (a lock table holds one) and reports each row that was locked.
 */
import { maskUrl } from '../errors.js';
import { DEFAULT_HISTORY_TABLES, lockTable, type HistoryTables } from './history-tables.js';
import { quoteLiteral } from './sql-text.js';
import { openSession } from './session.js';

export interface ReleaseLocksOptions {
  databaseUrl: string;
  tables?: HistoryTables;
}

/** A lock row that was set and is now released. */
export interface ReleasedLock {
  id: number;
  lockedBy: string | null;
  lockGranted: string | null;
}

export interface ReleaseLocksResult {
  /** `<schema>.<lock table>` that was read. */
  table: string;
  /** False when the lock table does not exist (nothing to release; Liquibase would create it, Slipway does not). */
  tableExists: boolean;
  /** The rows that were locked, as they were before the release. */
  released: ReleasedLock[];
}

/** Clears every set lock row of the lock table; reports what it changed (nothing when no row was locked). */
export async function releaseLocks(opts: ReleaseLocksOptions): Promise<ReleaseLocksResult> {
  const tables = opts.tables ?? DEFAULT_HISTORY_TABLES;
  const table = lockTable(tables);
  const s = await openSession(opts.databaseUrl);
  try {
    const exists = await s.query(
      `SELECT 1 AS x FROM pg_catalog.pg_tables WHERE schemaname = ${quoteLiteral(tables.schema)} AND tablename = ${quoteLiteral(tables.lock)}`,
    );
    if (exists.rows.length === 0) return { table, tableExists: false, released: [] };
    // One statement: the rows it releases are exactly the rows it reports (RETURNING sees the old values via a CTE).
    const r = await s.query(
      `WITH before AS (SELECT id, lockedby, lockgranted FROM ${table} WHERE locked FOR UPDATE),
       upd AS (UPDATE ${table} t SET locked = FALSE, lockgranted = NULL, lockedby = NULL FROM before b WHERE t.id = b.id RETURNING t.id)
       SELECT b.id, b.lockedby, b.lockgranted::text AS lockgranted FROM before b JOIN upd USING (id) ORDER BY b.id`,
    );
    return {
      table,
      tableExists: true,
      released: r.rows.map((row) => ({
        id: Number(row.id),
        lockedBy: row.lockedby ?? null,
        lockGranted: row.lockgranted ?? null,
      })),
    };
  } finally {
    await s.close();
  }
}

/** The human summary `db release-locks` prints. */
export function describeReleaseLocks(r: ReleaseLocksResult, databaseUrl: string): string {
  const where = `${r.table} on ${maskUrl(databaseUrl)}`;
  if (!r.tableExists) return `no lock table ${where}: nothing to release\n`;
  if (r.released.length === 0) return `${where}: no lock was held; nothing changed\n`;
  return (
    r.released
      .map(
        (l) => `released lock id ${l.id} held by ${l.lockedBy ?? '(unknown)'} since ${l.lockGranted ?? '(unknown)'}\n`,
      )
      .join('') + `${where}: ${r.released.length} lock row(s) released\n`
  );
}
