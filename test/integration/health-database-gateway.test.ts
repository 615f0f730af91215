// The server's database health check goes through the one gateway (src/db/session.ts), so every URL the rest of
// Slipway accepts works here too (issue 12: it had its own pg.Client and could not measure a `pglite:` database).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureDatabase } from '../../src/server/health/database-check.js';
import { DEFAULT_HISTORY_TABLES } from '../../src/db/history-tables.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase('slipway_health_gw');
});
afterAll(async () => {
  await db?.drop();
});

describe('measureDatabase', () => {
  it('measures a PGlite database (memory:), as every other command accepts', { timeout: 120_000 }, async () => {
    const m = await measureDatabase('memory:', 60_000, DEFAULT_HISTORY_TABLES);
    expect(m).toMatchObject({ ok: true, migrationsCount: 0, lastMigration: null, error: null });
    expect(m.serverVersion).toMatch(/^\d+/);
  });

  it('measures PostgreSQL and masks the password when it cannot connect', async () => {
    expect(await measureDatabase(db.url, 10_000, DEFAULT_HISTORY_TABLES)).toMatchObject({
      ok: true,
      migrationsCount: 0,
      error: null,
    });
    const bad = await measureDatabase('postgres://postgres:hunter2@127.0.0.1:1/x', 5_000, DEFAULT_HISTORY_TABLES);
    expect(bad.ok).toBe(false);
    expect(bad.error).not.toContain('hunter2');
  });
});
