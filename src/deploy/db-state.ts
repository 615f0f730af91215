/**
 * What the database holds, read from databasechangelog (the one source of truth for applied changesets), and which
 * changesets those rows are. A row is a changeset's as Liquibase 4.28's update finds it — recordedRowKey against
 * changeSetRowKey (delta.ts), the same rule the SQL package follows — so rows an older Liquibase or Spring Boot wrote
 * as `classpath:db/x.xml`, `/db/x.xml` or `db\x.xml` are the changesets of `db/x.xml` here too.
 */
import { changeSetRowKey, readHistory, recordedRowKey } from '../db/delta.js';
import { historyTable, type HistoryTables } from '../db/history-tables.js';
import { changeSetKey } from '../db/sql-text.js';
import { maskSecrets, maskUrl, SlipwayError } from '../errors.js';
import type { ChangeSetIndexEntry, ChangeSetKey } from './contracts.js';

export { changeSetKey };

/**
 * The history rows' keys (as recorded), oldest first by execution (readHistory's order: DATEEXECUTED, then
 * ORDEREXECUTED); none when the table does not exist yet. `tables` are the ones the release's package writes
 * (readHistoryTables in db-rollback.ts).
 */
export async function readAppliedChangeSets(databaseUrl: string, tables: HistoryTables): Promise<ChangeSetKey[]> {
  const rows = await readHistory(databaseUrl, tables, { connectTimeoutMs: 5000 });
  return rows.map(({ id, author, filename }) => ({ id, author, filename }));
}

/** readAppliedChangeSets, failing with E_DB_CONNECT naming the table and the (masked) URL. */
export async function readAppliedOrFail(databaseUrl: string, tables: HistoryTables): Promise<ChangeSetKey[]> {
  try {
    return await readAppliedChangeSets(databaseUrl, tables);
  } catch (e) {
    const url = maskUrl(databaseUrl);
    // readHistory wraps a failed query in E_DB (its cause says why); a connection that fails is the session's own
    // E_DB_CONNECT ("cannot connect to URL: …"), which already names the URL: say it once.
    const inner = e instanceof SlipwayError && e.code === 'E_DB' && e.cause instanceof Error ? e.cause : (e as Error);
    const why = maskSecrets(inner.message).replace(`cannot connect to ${url}: `, 'cannot connect: ');
    throw new SlipwayError('E_DB_CONNECT', `cannot read ${historyTable(tables)} of ${url}: ${why}`, { cause: e });
  }
}

const recordedKeys = (applied: readonly ChangeSetKey[]) => new Set(applied.map(recordedRowKey));

/** Index entries the database does not record yet: what a migration is about to run as new (pure). */
export function pendingChangeSets(index: ChangeSetIndexEntry[], applied: ChangeSetKey[]): ChangeSetKey[] {
  const have = recordedKeys(applied);
  return index
    .filter((e) => !have.has(changeSetRowKey(e)))
    .map(({ id, author, filename }) => ({ id, author, filename }));
}

/** The changesets among `keys` that `applied` records, in `keys` order (pure). */
export function recordedAmong(keys: ChangeSetKey[], applied: ChangeSetKey[]): ChangeSetKey[] {
  const have = recordedKeys(applied);
  return keys.filter((k) => have.has(changeSetRowKey(k)));
}

/** The rows of `applied` that are none of the changesets `keys`, in `applied` order (pure). */
export function rowsNotAmong(applied: readonly ChangeSetKey[], keys: readonly ChangeSetKey[]): ChangeSetKey[] {
  const known = new Set(keys.map(changeSetRowKey));
  return applied.filter((k) => !known.has(recordedRowKey(k)));
}

/** Rows recorded in the database that are no changeset of `index`, newest first, as recorded (pure). */
export function extraChangeSets(applied: ChangeSetKey[], index: ChangeSetIndexEntry[] | null): ChangeSetKey[] {
  return rowsNotAmong(applied, index ?? []).reverse();
}

/**
 * Recorded rows as the changesets of `index` they are (the entry's own key, so its rollback SQL is found), a row
 * that is none of them as recorded (pure).
 */
export function asIndexKeys(
  rows: readonly ChangeSetKey[],
  index: readonly ChangeSetIndexEntry[] | null,
): ChangeSetKey[] {
  const byKey = new Map((index ?? []).map((e) => [changeSetRowKey(e), e]));
  return rows.map((r) => {
    const e = byKey.get(recordedRowKey(r));
    return e ? { id: e.id, author: e.author, filename: e.filename } : r;
  });
}
