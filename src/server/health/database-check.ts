import { maskSecrets, maskUrl } from '../../errors.js';
import { openSession } from '../../db/session.js';
import { historyTable, type HistoryTables } from '../../db/history-tables.js';

export interface DatabaseMeasurement {
  ok: boolean;
  /** Connect + `SELECT 1` round trip, measured. */
  responseTimeMs: number;
  serverVersion: string | null;
  /** Rows in the history table (0 when it does not exist yet, null when the check failed). */
  migrationsCount: number | null;
  /** FILENAME of the last executed changeset (by ORDEREXECUTED), as Liquibase records it. */
  lastMigration: string | null;
  lastMigrationId: string | null;
  error: string | null;
}

/** A failed measurement that never reached the database (e.g. the history tables could not be told). */
export function failedMeasurement(error: string): DatabaseMeasurement {
  return {
    ok: false,
    responseTimeMs: 0,
    serverVersion: null,
    migrationsCount: null,
    lastMigration: null,
    lastMigrationId: null,
    error,
  };
}

/**
 * Measures the database: one connection, a timed round trip and the rows of the history table `tables` names. Never throws and never
 * takes longer than `timeoutMs` (connect and query timeouts, plus an outer race for a server that accepts but never
 * answers). Error text never contains the password.
 */
export async function measureDatabase(
  url: string,
  timeoutMs: number,
  tables: HistoryTables,
): Promise<DatabaseMeasurement> {
  const table = historyTable(tables);
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  // The one PostgreSQL/PGlite gateway: the same URLs (pglite: included) and masking as every other database use.
  const opening = openSession(url, { connectTimeoutMs: timeoutMs, queryTimeoutMs: timeoutMs });
  const work = (async (): Promise<DatabaseMeasurement> => {
    const session = await opening;
    const v = await session.query("SELECT current_setting('server_version') AS v");
    const responseTimeMs = round(performance.now() - started);
    const t = await session.query(`SELECT to_regclass('${table}')::text AS t`);
    let migrationsCount = 0;
    let lastMigration: string | null = null;
    let lastMigrationId: string | null = null;
    if (t.rows[0]?.t) {
      const c = await session.query(
        `SELECT (SELECT count(*) FROM ${table}) AS n, l.filename, l.id FROM (SELECT 1) one LEFT JOIN LATERAL (SELECT filename, id FROM ${table} ORDER BY orderexecuted DESC LIMIT 1) l ON true`,
      );
      migrationsCount = Number(c.rows[0]?.n ?? 0);
      lastMigration = c.rows[0]?.filename ?? null;
      lastMigrationId = c.rows[0]?.id ?? null;
    }
    return {
      ok: true,
      responseTimeMs,
      serverVersion: v.rows[0]?.v ?? null,
      migrationsCount,
      lastMigration,
      lastMigrationId,
      error: null,
    };
  })();
  try {
    return await Promise.race([work, timeout]);
  } catch (e) {
    work.catch(() => {});
    const message = maskSecrets(
      String((e as Error)?.message ?? e)
        .split(url)
        .join(maskUrl(url)),
    );
    return {
      ok: false,
      responseTimeMs: round(performance.now() - started),
      serverVersion: null,
      migrationsCount: null,
      lastMigration: null,
      lastMigrationId: null,
      error: message,
    };
  } finally {
    clearTimeout(timer);
    opening.then((s) => s.destroy()).catch(() => {});
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;
