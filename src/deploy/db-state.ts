/** What the database holds, read from databasechangelog (the one source of truth for applied changesets). */
import { historyTable, type HistoryTables } from '../db/history-tables.js';
import { openSession } from '../db/session.js';
import { changeSetKey } from '../db/sql-text.js';
import { maskSecrets, maskUrl, SlipwayError } from '../errors.js';
import type { ChangeSetIndexEntry, ChangeSetKey } from './contracts.js';

export { changeSetKey };

/**
 * Changesets recorded in the history table, oldest first as Liquibase orders them (DATEEXECUTED, then ORDEREXECUTED:
 * StandardChangeLogHistoryService.getRanChangeSets), or null when the table does not exist yet. `tables` are
 * the ones the release's package writes (readHistoryTables in db-rollback.ts).
 */
export async function readAppliedChangeSets(
  databaseUrl: string,
  tables: HistoryTables,
): Promise<ChangeSetKey[] | null> {
  const table = historyTable(tables);
  const s = await openSession(databaseUrl, { connectTimeoutMs: 5000 });
  try {
    const t = await s.query(`SELECT to_regclass('${table}')::text AS r`);
    if (!t.rows[0]?.r) return null;
    const r = await s.query(`SELECT id, author, filename FROM ${table} ORDER BY dateexecuted, orderexecuted`);
    return r.rows.map((x) => ({ id: x.id ?? '', author: x.author ?? '', filename: x.filename ?? '' }));
  } finally {
    await s.close().catch(() => undefined);
  }
}

/** readAppliedChangeSets, failing with E_DB_CONNECT naming the table and the (masked) URL. */
export async function readAppliedOrFail(databaseUrl: string, tables: HistoryTables): Promise<ChangeSetKey[]> {
  try {
    return (await readAppliedChangeSets(databaseUrl, tables)) ?? [];
  } catch (e) {
    const url = maskUrl(databaseUrl);
    // The session's own error already names the URL ("cannot connect to URL: …"): say it once.
    const why = maskSecrets((e as Error).message).replace(`cannot connect to ${url}: `, 'cannot connect: ');
    throw new SlipwayError('E_DB_CONNECT', `cannot read ${historyTable(tables)} of ${url}: ${why}`, { cause: e });
  }
}

/** Index entries the database does not record yet: what a migration is about to run as new (pure). */
export function pendingChangeSets(index: ChangeSetIndexEntry[], applied: ChangeSetKey[]): ChangeSetKey[] {
  const have = new Set(applied.map(changeSetKey));
  return index.filter((e) => !have.has(changeSetKey(e))).map(({ id, author, filename }) => ({ id, author, filename }));
}

/** The members of `keys` that `applied` records, in `keys` order (pure). */
export function recordedAmong(keys: ChangeSetKey[], applied: ChangeSetKey[]): ChangeSetKey[] {
  const have = new Set(applied.map(changeSetKey));
  return keys.filter((k) => have.has(changeSetKey(k)));
}

/** Changesets recorded in the database that `index` does not contain, newest first (pure). */
export function extraChangeSets(applied: ChangeSetKey[], index: ChangeSetIndexEntry[] | null): ChangeSetKey[] {
  const known = new Set((index ?? []).map(changeSetKey));
  return applied.filter((k) => !known.has(changeSetKey(k))).reverse();
}
