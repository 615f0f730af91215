import pg from 'pg';
import { randomBytes } from 'node:crypto';
import { waitFor } from './wait.js';

/** The real PostgreSQL every integration test uses (CI starts it; trust auth). */
export const PG_ADMIN_URL = process.env.SLIPWAY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A scratch database's name: `prefix` and a random suffix, behind SLIPWAY_TEST_DB_PREFIX when it is set — several
 * agents share one server, and each must be able to tell (and drop) its own databases by name.
 */
export function scratchDatabaseName(prefix: string): string {
  const owner = process.env.SLIPWAY_TEST_DB_PREFIX;
  return `${owner ? `${owner}_` : ''}${prefix}_${randomBytes(5).toString('hex')}`.toLowerCase();
}

export interface TestDatabase {
  name: string;
  url: string;
  drop: () => Promise<void>;
}

/** Creates a uniquely named scratch database, so test files can run in parallel on one server. */
export async function createTestDatabase(prefix = 'slipway_test'): Promise<TestDatabase> {
  const name = scratchDatabaseName(prefix);
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      try {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

/** Runs one query on `url` with a fresh connection and returns its rows. */
export async function queryRows(url: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql)).rows as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}

/** Waits until another session waits for the advisory lock `key` that `holder` holds (`what` names it in a timeout). */
export async function waitForAdvisoryWaiter(holder: pg.Client, key: number, what: string): Promise<void> {
  await waitFor(
    what,
    async () =>
      (
        await holder.query(
          "SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND objid = $1 AND NOT granted AND pid <> pg_backend_pid()",
          [key],
        )
      ).rowCount === 1,
    { timeoutMs: 60_000 },
  );
}
