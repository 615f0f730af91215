import { SlipwayError, maskUrl } from '../errors.js';
import type { ChangeSet } from './model.js';
import { DEFAULT_HISTORY_TABLES, historyTable, type HistoryTables } from './history-tables.js';
import { changeSetPathKey, normalizeChangeLogPath, recordedPathKey } from './changelog/paths.js';

/**
 * Changesets after the one that tags `tag` (exclusive), like a database tagged there would still need. The tag's case
 * counts, as for Liquibase 4.28's update-to-tag on the changelog's tagDatabase changes (String.equals).
 */
export function selectSinceTag(changeSets: ChangeSet[], tag: string): ChangeSet[] {
  const at = changeSets.findIndex((cs) => cs.tag === tag);
  if (at === -1) {
    const tags = changeSets.filter((cs) => cs.tag !== null).map((cs) => cs.tag);
    throw new SlipwayError('E_CHANGELOG', `tag "${tag}" is not in the changelog`, {
      hint: tags.length ? `known tags: ${tags.join(', ')}` : 'the changelog has no <tagDatabase> changesets',
    });
  }
  return changeSets.slice(at + 1);
}

/** Changesets after `since` (exclusive): `id`, `id::author` or `file::id::author`. */
export function selectSince(changeSets: ChangeSet[], since: string): ChangeSet[] {
  const parts = since.split('::');
  const match = (cs: ChangeSet) =>
    parts.length === 1
      ? cs.id === since
      : parts.length === 2
        ? cs.id === parts[0] && cs.author === parts[1]
        : cs.filename === parts[0] && cs.id === parts.slice(1, -1).join('::') && cs.author === parts[parts.length - 1];
  const hits = changeSets.flatMap((cs, i) => (match(cs) ? [i] : []));
  if (hits.length === 0)
    throw new SlipwayError('E_CHANGELOG', `changeset "${since}" is not in the changelog`, {
      hint: 'use id, id::author or file::id::author',
    });
  if (hits.length > 1) {
    throw new SlipwayError('E_CHANGELOG', `"${since}" matches ${hits.length} changesets`, {
      details: hits.map((i) => `${changeSets[i]!.filename}::${changeSets[i]!.id}::${changeSets[i]!.author}`),
      hint: 'name it as file::id::author',
    });
  }
  return changeSets.slice(hits[0]! + 1);
}

export interface RecordedRow {
  id: string;
  author: string;
  filename: string;
  md5sum: string | null;
  dateexecuted: string | null;
  orderexecuted: number | null;
  exectype: string | null;
  tag?: string | null;
}

/**
 * Rows of databasechangelog (empty when the table does not exist yet), oldest first by execution: DATEEXECUTED, then
 * ORDEREXECUTED, the order Liquibase 4.28 reads them in (StandardChangeLogHistoryService.getRanChangeSets), keeps the
 * last of a key by (recordedByKey) and undoes them against — the one place that order is decided (rollback, deploy
 * undo, status). DATEEXECUTED is ISO text with microseconds whatever the server's DateStyle (`db status` prints it).
 */
export async function readHistory(
  databaseUrl: string,
  tables: HistoryTables = DEFAULT_HISTORY_TABLES,
  opts: { connectTimeoutMs?: number } = {},
): Promise<RecordedRow[]> {
  const table = historyTable(tables);
  // Loaded here: a package without --database-url (the usual one) opens no session, so loads no driver code.
  const { openSession } = await import('./session.js');
  const s = await openSession(databaseUrl, opts);
  try {
    const exists = await s.query(`SELECT to_regclass('${table}') IS NOT NULL AS e`);
    if (exists.rows[0]?.e !== 't' && exists.rows[0]?.e !== 'true') return [];
    const r = await s.query(
      `SELECT id, author, filename, md5sum, to_char(dateexecuted, 'YYYY-MM-DD HH24:MI:SS.US') AS dateexecuted, orderexecuted::text AS orderexecuted, exectype, tag FROM ${table} ORDER BY dateexecuted, orderexecuted`,
    );
    return r.rows.map((row) => ({
      id: row.id ?? '',
      author: row.author ?? '',
      filename: row.filename ?? '',
      md5sum: row.md5sum ?? null,
      dateexecuted: row.dateexecuted ?? null,
      orderexecuted: row.orderexecuted === null || row.orderexecuted === undefined ? null : Number(row.orderexecuted),
      exectype: row.exectype ?? null,
      tag: row.tag ?? null,
    }));
  } catch (cause) {
    throw new SlipwayError(
      'E_DB',
      `cannot read ${tables.changelog} from ${maskUrl(databaseUrl)}: ${(cause as Error).message}`,
      { cause },
    );
  } finally {
    await s.close().catch(() => undefined);
  }
}

type Keyed = { id: string; author: string; filename: string };

/**
 * The key Liquibase 4.28 finds a recorded row by (ShouldRunChangeSetFilter): `recordedPathKey(FILENAME)::ID::AUTHOR`,
 * so a row recorded as `classpath:db/x.xml`, `/db/x.xml` or `db\x.xml` is the changeset `db/x.xml`'s (changeSetRowKey).
 */
export function recordedRowKey(r: Keyed): string {
  return `${recordedPathKey(r.filename)}::${r.id}::${r.author}`;
}

/** A changeset's side of recordedRowKey (ChangeSet.toNormalizedString): its path normalised once. */
export function changeSetRowKey(cs: Keyed): string {
  return `${normalizeChangeLogPath(cs.filename)}::${cs.id}::${cs.author}`;
}

/**
 * The key a rollback finds a recorded row's changeset by (Liquibase 4.28's DatabaseChangeLog.getChangeSets(RanChangeSet)):
 * recordedRowKey with its path compared ignoring case; the changeset's side is changeSetRollbackKey.
 */
export function recordedRollbackKey(r: Keyed): string {
  return `${recordedPathKey(r.filename).toLowerCase()}::${r.id}::${r.author}`;
}

/** A changeset's side of recordedRollbackKey: its path normalised once, lower-cased (changeSetPathKey). */
export function changeSetRollbackKey(cs: Keyed): string {
  return `${changeSetPathKey(cs.filename)}::${cs.id}::${cs.author}`;
}

/** The rows by recordedRowKey; of rows with the same key, the last (rows come oldest first), as Liquibase keeps. */
export function recordedByKey(rows: readonly RecordedRow[]): Map<string, RecordedRow> {
  return new Map(rows.map((r) => [recordedRowKey(r), r]));
}

/** Changesets the database lacks, plus runAlways ones and runOnChange ones whose checksum changed. */
export function selectMissing(changeSets: ChangeSet[], rows: RecordedRow[]): ChangeSet[] {
  const recorded = recordedByKey(rows);
  return changeSets.filter((cs) => {
    const row = recorded.get(changeSetRowKey(cs));
    if (!row || cs.runAlways) return true;
    return cs.runOnChange && row.md5sum !== cs.checksum && !cs.validCheckSums.includes(row.md5sum ?? '');
  });
}
