import { SlipwayError } from '../errors.js';
import type { Changelog } from './model.js';
import { jdbcText } from './jdbc-text.js';
import { needsTerminator } from './psql-lexer.js';
import { lockCheck } from './render-bookkeeping.js';
import {
  DEFAULT_HISTORY_TABLES,
  historyTable,
  historyTables,
  type HistoryTableNames,
  type HistoryTables,
} from './history-tables.js';
import { toIndexEntry, type ChangeSetIndexEntry } from './index-entry.js';
import { changeSetKey, commentText, quoteLiteral, quotePsqlArg } from './sql-text.js';

export type { ChangeSetIndexEntry } from './index-entry.js';

type Key = { id: string; author: string; filename: string };

const sameKey = (a: Key, b: Key) => a.id === b.id && a.author === b.author && a.filename === b.filename;

/** A changeset without rollback SQL as an error lists it: its key, and the reason when the package recorded one. */
function noRollbackText(e: ChangeSetIndexEntry): string {
  return e.noRollback ? `${changeSetKey(e)} (${e.noRollback})` : changeSetKey(e);
}

/**
 * The changesets among `keys` that have no rollback SQL in `index` (absent from it, or recorded without one), each as
 * its key with the reason when the package recorded one: `db/a.xml::4::me (<dropColumn> has no automatic rollback)`.
 */
export function withoutRollback(index: readonly ChangeSetIndexEntry[] | null, keys: readonly Key[]): string[] {
  const out: string[] = [];
  for (const k of keys) {
    const e = index?.find((x) => sameKey(x, k));
    if (!e) out.push(`${changeSetKey(k)} (not in the release's database/changesets.json)`);
    else if (e.rollback === null) out.push(noRollbackText(e));
  }
  return out;
}

/** E_ROLLBACK for changesets that would be rolled back but have no rollback SQL (`details`: noRollbackText). */
function noRollbackError(missing: string[]): SlipwayError {
  return new SlipwayError(
    'E_ROLLBACK',
    `${missing.length} changeset(s) in range have no rollback; nothing was written`,
    {
      details: missing,
      hint: 'add a --rollback line (or <rollback> block; empty rollback if nothing to undo) to each listed changeset',
    },
  );
}

/**
 * Rollback SQL for `keys`, newest first (by changelog position), in one transaction; each block runs only when the
 * changeset is recorded and deletes its history row (in `tables`, the package's configured Liquibase table names).
 * Throws E_ROLLBACK listing every key without rollback.
 */
export function planRollbackSql(
  index: ChangeSetIndexEntry[],
  keys: Key[],
  tables: HistoryTables = DEFAULT_HISTORY_TABLES,
): string {
  const picked: Picked[] = [];
  const unknown: string[] = [];
  for (const k of keys) {
    const pos = index.findIndex((e) => sameKey(e, k));
    if (pos === -1) unknown.push(changeSetKey(k));
    else picked.push({ pos, entry: index[pos]! });
  }
  if (unknown.length) {
    throw new SlipwayError('E_ROLLBACK', `${unknown.length} changeset(s) to roll back are not in the changelog`, {
      details: unknown,
    });
  }
  const missing = picked.filter((p) => p.entry.rollback === null).map((p) => noRollbackText(p.entry));
  if (missing.length) throw noRollbackError(missing);
  return renderBlocks(picked, tables);
}

type Picked = { pos: number; entry: ChangeSetIndexEntry };

const keyWhere = (e: Key, alias = '') =>
  `${alias}ID = ${quoteLiteral(e.id)} AND ${alias}AUTHOR = ${quoteLiteral(e.author)} AND ${alias}FILENAME = ${quoteLiteral(e.filename)}`;

/** `(VALUES (id, author, filename, key), …) AS k (id, author, filename, key)` of `entries`. */
const keyValues = (entries: readonly ChangeSetIndexEntry[]) =>
  `(VALUES ${entries.map((e) => `(${[e.id, e.author, e.filename, changeSetKey(e)].map(quoteLiteral).join(', ')})`).join(', ')}) AS k (id, author, filename, key)`;

/** Which recorded changesets a rollback script undoes, decided when it runs (Liquibase's count and tag filters). */
type Range = { count: number } | { tag: string };

/**
 * The history row (of `alias`) is in the range: for a count, at or after the boundary row read into
 * slipway_since_date/_order; for a tag, after the tag's oldest row, or that row itself when it only tags
 * (slipway_since_incl); a later row of a tagDatabase changeset with the same tag is after it anyway.
 */
const inRange = (range: Range, alias = '') => {
  const row = `(${alias}DATEEXECUTED, ${alias}ORDEREXECUTED)`;
  const since = `(:'slipway_since_date', :slipway_since_order)`;
  return 'count' in range
    ? `${row} >= ${since}`
    : `(${row} > ${since} OR (:'slipway_since_incl' AND ${row} = ${since}))`;
};

/**
 * The statements that read the range's boundary row into psql variables before anything is undone. A count: the
 * `count`-th newest history row of the picked changesets (by DATEEXECUTED, ORDEREXECUTED, as Liquibase's
 * rollback-count orders them; a changeset skipped by a precondition's onFail/onError CONTINUE has no row and is not
 * counted). A tag: the OLDEST row whose TAG equals it ignoring case (`rollback --tag`'s default --tag-version OLDEST,
 * with includeMatchingTagInRollbackOldest true: later rows with the same tag are undone too) — of any changeset, also
 * one the changelog does not have, as AfterTagChangeSetFilter reads the whole history — and whether its DESCRIPTION
 * is tagDatabase; the script fails as Liquibase does when no row has the tag.
 */
function boundary(range: Range, picked: Picked[], history: string): string[] {
  if ('count' in range) {
    return [
      `SELECT coalesce(x.d, '-infinity') AS slipway_since_date, coalesce(x.o, 0) AS slipway_since_order FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT h.DATEEXECUTED AS d, h.ORDEREXECUTED AS o FROM ${history} AS h JOIN ${keyValues(picked.map((p) => p.entry))} ON h.ID = k.id AND h.AUTHOR = k.author AND h.FILENAME = k.filename ORDER BY h.DATEEXECUTED DESC, h.ORDEREXECUTED DESC LIMIT 1 OFFSET ${range.count - 1}) AS x ON true \\gset`,
    ];
  }
  const tagRow = `FROM ${history} AS h WHERE lower(h.TAG) = lower(current_setting('slipway.tag'))`;
  return [
    `SELECT set_config('slipway.tag', ${quoteLiteral(range.tag)}, true) AS slipway_tag \\gset`,
    `DO $slipway$ BEGIN IF NOT EXISTS (SELECT 1 ${tagRow}) THEN RAISE EXCEPTION 'Could not find tag ''%'' in the database', current_setting('slipway.tag') USING HINT = 'slipway: nothing was rolled back'; END IF; END $slipway$;`,
    `SELECT h.DATEEXECUTED AS slipway_since_date, h.ORDEREXECUTED AS slipway_since_order, trim(coalesce(h.DESCRIPTION, '')) = 'tagDatabase' AS slipway_since_incl ${tagRow} ORDER BY h.DATEEXECUTED, h.ORDEREXECUTED LIMIT 1 \\gset`,
  ];
}

/**
 * The script: `picked` newest first (by changelog position), in one transaction. With `range`, a block runs only when
 * its changeset's history row is in the range, read once before anything is undone; without, when it is recorded.
 * Picked changesets without rollback SQL get no block: if one of them would run, the script fails first.
 */
function renderBlocks(picked: Picked[], tables: HistoryTables, range?: Range): string {
  picked = [...picked].sort((a, b) => b.pos - a.pos);
  const withRollback = picked.filter((p) => p.entry.rollback !== null);
  const without = picked.filter((p) => p.entry.rollback === null).map((p) => p.entry);
  const history = historyTable(tables);
  const out = [
    range === undefined
      ? `-- Slipway rollback: ${picked.length} changeset(s), newest first, in one transaction`
      : 'count' in range
        ? `-- Slipway rollback: the newest ${range.count} recorded of ${picked.length} changeset(s) (as Liquibase's rollback-count), newest first, in one transaction`
        : `-- Slipway rollback: those of ${picked.length} changeset(s) recorded after the oldest row tagged ${commentText(range.tag)} (as Liquibase's rollback --tag), newest first, in one transaction`,
    '\\set ON_ERROR_STOP on',
    'BEGIN;',
    lockCheck(tables),
  ];
  if (range !== undefined) out.push(...boundary(range, picked, history));
  if (without.length) {
    out.push(
      `SELECT set_config('slipway.no_rollback', coalesce(string_agg(k.key, ', ' ORDER BY h.ORDEREXECUTED DESC), ''), true) AS slipway_no_rollback FROM ${history} AS h JOIN ${keyValues(without)} ON h.ID = k.id AND h.AUTHOR = k.author AND h.FILENAME = k.filename${range === undefined ? '' : ` WHERE ${inRange(range, 'h.')}`} \\gset`,
      "DO $slipway$ BEGIN IF current_setting('slipway.no_rollback') <> '' THEN RAISE EXCEPTION 'slipway: recorded changeset(s) to roll back have no rollback; nothing was rolled back: %', current_setting('slipway.no_rollback') USING HINT = 'add a --rollback line (or <rollback> block; empty rollback if nothing to undo) to each listed changeset'; END IF; END $slipway$;",
    );
  }
  for (const { entry } of withRollback) {
    const where = keyWhere(entry);
    out.push(
      '',
      `-- rollback ${changeSetKey(entry).replace(/[\r\n]+/g, ' ')}`,
      `SELECT count(*) > 0 AS slipway_applied FROM ${history} WHERE ${where}${range === undefined ? '' : ` AND ${inRange(range)}`} \\gset`,
      '\\if :slipway_applied',
      ...entry.rollback!.map(jdbcText).map((s) => (needsTerminator(s) ? `${s}\n;` : s)),
      `DELETE FROM ${history} WHERE ${where};`,
      `\\echo 'slipway: ROLLED BACK' ${quotePsqlArg(changeSetKey(entry))}`,
      '\\endif',
    );
  }
  out.push('', 'COMMIT;');
  return out.join('\n') + '\n';
}

/** The history table names (HistoryTableNames) are database.changelogTable… (Liquibase's defaults when absent). */
export interface RenderRollbackOptions extends HistoryTableNames {
  count?: number;
  toTag?: string;
}

/**
 * Rollback SQL from the changelog alone, decided when it runs against the database's history, as Liquibase 4.28 does
 * (its filters read databasechangelog newest first; rows of changesets the changelog lacks, or that the caller's
 * contexts/labels left out of `changelog`, are passed over): `count` rolls back the newest `count` recorded changesets
 * of the changelog (by DATEEXECUTED, ORDEREXECUTED, so a changeset a precondition's onFail/onError CONTINUE skipped,
 * never recorded, is not counted); `toTag` every recorded changeset after the oldest row with that tag (ignoring
 * case; a tag given twice goes back to the first, as Liquibase's default --tag-version OLDEST), and that row's
 * changeset too when it only tags (AfterTagChangeSetFilter); no row with the tag fails the script. A recorded changeset without rollback SQL among
 * them fails the whole script before anything is undone; throws E_ROLLBACK up front when no candidate has rollback
 * SQL at all.
 */
export function renderRollbackSql(changelog: Changelog, opts: RenderRollbackOptions): string {
  let range: Range;
  if (opts.toTag !== undefined) {
    range = { tag: opts.toTag };
  } else if (opts.count !== undefined) {
    if (!Number.isInteger(opts.count) || opts.count < 1)
      throw new SlipwayError('E_USAGE', `--count must be a positive integer, got ${opts.count}`);
    range = { count: opts.count };
  } else {
    throw new SlipwayError('E_USAGE', 'rollback needs --count N or --to-tag T');
  }
  const candidates = changelog.changeSets.map(toIndexEntry);
  if (candidates.length && candidates.every((e) => e.rollback === null)) {
    const listed = 'count' in range ? candidates.slice(-range.count) : candidates;
    throw noRollbackError(listed.map(noRollbackText));
  }
  return renderBlocks(
    candidates.map((entry, pos) => ({ pos, entry })),
    historyTables(opts),
    range,
  );
}
