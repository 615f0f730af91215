import { SlipwayError } from '../errors.js';
import type { Changelog } from './model.js';
import { changeSetPathKey } from './changelog/paths.js';
import { changeSetRollbackKey, recordedRollbackKey } from './delta.js';
import { jdbcText } from './jdbc-text.js';
import { needsTerminator } from './psql-lexer.js';
import {
  ADVISORY_LOCK_KEY,
  CHANGELOG_PATH,
  CHANGELOG_PATH_FUNCTION,
  lockCheck,
  recordedFilenameSql,
} from './render-bookkeeping.js';
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
 * Rollback SQL for `keys` in one transaction, newest first by `executed` (the history's keys, oldest first by
 * DATEEXECUTED, ORDEREXECUTED, read when the SQL is written), else by changelog position; each block runs only when the
 * changeset is recorded and deletes its history row (in `tables`, the package's configured Liquibase table names).
 * The script fails before undoing anything when the history it runs against ran them in another order (orderCheck).
 * Throws E_ROLLBACK listing every key without rollback.
 */
export function planRollbackSql(
  index: ChangeSetIndexEntry[],
  keys: Key[],
  tables: HistoryTables = DEFAULT_HISTORY_TABLES,
  executed?: readonly Key[],
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
  return renderBlocks(picked, tables, undefined, executed);
}

type Picked = { pos: number; entry: ChangeSetIndexEntry };

// A history row is the changeset's as Liquibase 4.28's rollback finds it (DatabaseChangeLog.getChangeSets of the
// RanChangeSet): also under a FILENAME spelled `classpath:db/x.xml`, `/db/x.xml` or `db\x.xml`, ignoring case.
const keyWhere = (e: Key, alias = '') =>
  `${alias}ID = ${quoteLiteral(e.id)} AND ${alias}AUTHOR = ${quoteLiteral(e.author)} AND ${recordedFilenameSql(`${alias}FILENAME`, quoteLiteral(e.filename), quoteLiteral(changeSetPathKey(e.filename)), true)}`;

/** keyWhere against the key table of keyValues. */
const KEY_ON = `h.ID = k.id AND h.AUTHOR = k.author AND ${recordedFilenameSql('h.FILENAME', 'k.filename', `lower(${CHANGELOG_PATH}(k.filename))`, true)}`;

/**
 * `(VALUES (id, author, filename, key), …) AS k (id, author, filename, key)` of `entries`; with `seq`, each row also
 * has its position in `entries` (column seq).
 */
const keyValues = (entries: readonly ChangeSetIndexEntry[], seq = false) =>
  `(VALUES ${entries.map((e, i) => `(${[e.id, e.author, e.filename, changeSetKey(e)].map(quoteLiteral).join(', ')}${seq ? `, ${i}` : ''})`).join(', ')}) AS k (id, author, filename, key${seq ? ', seq' : ''})`;

/**
 * Which recorded changesets a rollback script undoes, decided when it runs (Liquibase's count and tag filters; for a
 * tag, `newest`: --tag-version NEWEST, the newest row with the tag rather than the oldest).
 */
type Range = { count: number } | { tag: string; newest?: boolean } | { date: string };

/** Liquibase's --tag-version (TagVersionEnum): which row with the tag a rollback goes back to when several have it. */
export type TagVersion = 'OLDEST' | 'NEWEST';

/**
 * The history row (of `alias`) is in the range: for a count, at or after the boundary row read into
 * slipway_since_date/_order; for a tag, after the tag's oldest row, or that row itself when it only tags
 * (slipway_since_incl); a later row of a tagDatabase changeset with the same tag is after it anyway.
 */
const inRange = (range: Range, alias = '') => {
  // Liquibase compares java.util.Date values (ExecutedAfterChangeSetFilter: getTime(), whole milliseconds).
  if ('date' in range) return `date_trunc('milliseconds', ${alias}DATEEXECUTED) > TIMESTAMP '${range.date}'`;
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
 * with includeMatchingTagInRollbackOldest true: later rows with the same tag are undone too), or the NEWEST one with
 * --tag-version NEWEST (AfterTagChangeSetFilter walks the history newest first up to it) — of any changeset, also
 * one the changelog does not have, as AfterTagChangeSetFilter reads the whole history — and whether its DESCRIPTION
 * is tagDatabase; the script fails as Liquibase does when no row has the tag.
 */
function boundary(range: Range, picked: Picked[], history: string): string[] {
  if ('date' in range) return [];
  if ('count' in range) {
    return [
      `SELECT coalesce(x.d, '-infinity') AS slipway_since_date, coalesce(x.o, 0) AS slipway_since_order FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT h.DATEEXECUTED AS d, h.ORDEREXECUTED AS o FROM ${history} AS h JOIN ${keyValues(picked.map((p) => p.entry))} ON ${KEY_ON} ORDER BY h.DATEEXECUTED DESC, h.ORDEREXECUTED DESC LIMIT 1 OFFSET ${range.count - 1}) AS x ON true \\gset`,
    ];
  }
  const tagRow = `FROM ${history} AS h WHERE lower(h.TAG) = lower(current_setting('slipway.tag'))`;
  return [
    `SELECT set_config('slipway.tag', ${quoteLiteral(range.tag)}, true) AS slipway_tag \\gset`,
    `DO $slipway$ BEGIN IF NOT EXISTS (SELECT 1 ${tagRow}) THEN RAISE EXCEPTION 'Could not find tag ''%'' in the database', current_setting('slipway.tag') USING HINT = 'slipway: nothing was rolled back'; END IF; END $slipway$;`,
    `SELECT h.DATEEXECUTED AS slipway_since_date, h.ORDEREXECUTED AS slipway_since_order, trim(coalesce(h.DESCRIPTION, '')) = 'tagDatabase' AS slipway_since_incl ${tagRow} ORDER BY ${range.newest ? 'h.DATEEXECUTED DESC, h.ORDEREXECUTED DESC' : 'h.DATEEXECUTED, h.ORDEREXECUTED'} LIMIT 1 \\gset`,
  ];
}

/**
 * `picked` in the order their blocks run, newest first: by `executed` (the history's keys, oldest first, read when the
 * SQL was written; those it does not record go first, as the newest if they run by then), else by changelog position.
 */
function blockOrder(picked: readonly Picked[], executed?: readonly Key[]): Picked[] {
  const byPos = [...picked].sort((a, b) => b.pos - a.pos);
  if (executed === undefined) return byPos;
  const rank = new Map(executed.map((k, i) => [recordedRollbackKey(k), i]));
  const r = (p: Picked) => rank.get(changeSetRollbackKey(p.entry)) ?? Infinity;
  return byPos.sort((a, b) => (r(a) === r(b) ? 0 : r(a) < r(b) ? 1 : -1));
}

/**
 * The statements that fail the script before anything is undone when the history it runs against ran the changesets
 * it will undo (`blocks`, in the order their blocks run) in another order: Liquibase 4.28 undoes them newest first
 * by DATEEXECUTED, ORDEREXECUTED (ChangeLogIterator over getRanChangeSetList, reversed), whatever the changelog's
 * order; the blocks' order is fixed when the SQL is written (`from`: the changelog's order, or the history's then).
 * Names the first pair out of order, the changeset that ran later first.
 */
function orderCheck(blocks: Picked[], history: string, from: 'changelog' | 'history', range?: Range): string[] {
  const where = range === undefined ? '' : ` WHERE ${inRange(range, 'h.')}`;
  const hint =
    from === 'changelog'
      ? "write the rollback SQL from this database's history: slipway db rollback-sql --database-url URL (same options)"
      : 'the history changed since the rollback SQL was written: write it again';
  return [
    `SELECT set_config('slipway.out_of_order', coalesce((SELECT x.newer || ' after ' || x.key FROM (SELECT k.key, k.seq, lag(k.key) OVER w AS newer, lag(k.seq) OVER w AS newer_seq, row_number() OVER w AS n FROM ${history} AS h JOIN ${keyValues(
      blocks.map((p) => p.entry),
      true,
    )} ON ${KEY_ON}${where} WINDOW w AS (ORDER BY h.DATEEXECUTED DESC, h.ORDEREXECUTED DESC)) AS x WHERE x.newer_seq > x.seq ORDER BY x.n LIMIT 1), ''), true) AS slipway_out_of_order \\gset`,
    `DO $slipway$ BEGIN IF current_setting('slipway.out_of_order') <> '' THEN RAISE EXCEPTION 'slipway: the database ran %, but this rollback SQL undoes them in ${from === 'changelog' ? 'changelog order' : 'the order the history had when it was written'}, the other way round (Liquibase undoes the newest by DATEEXECUTED, ORDEREXECUTED first); nothing was rolled back', current_setting('slipway.out_of_order') USING HINT = ${quoteLiteral(hint)}; END IF; END $slipway$;`,
  ];
}

/**
 * The script: `picked` newest first (blockOrder), in one transaction. With `range`, a block runs only when its
 * changeset's history row is in the range, read once before anything is undone; without, when it is recorded.
 * Picked changesets without rollback SQL get no block: if one of them would run, the script fails first; so does a
 * history that ran the changesets to undo in another order than the blocks (orderCheck).
 */
function renderBlocks(picked: Picked[], tables: HistoryTables, range?: Range, executed?: readonly Key[]): string {
  picked = blockOrder(picked, executed);
  const withRollback = picked.filter((p) => p.entry.rollback !== null);
  const without = picked.filter((p) => p.entry.rollback === null).map((p) => p.entry);
  const history = historyTable(tables);
  const order = executed === undefined ? 'by changelog position' : 'by execution order';
  const out = [
    range === undefined
      ? `-- Slipway rollback: ${picked.length} changeset(s), newest first (${order}), in one transaction`
      : 'count' in range
        ? `-- Slipway rollback: the newest ${range.count} recorded of ${picked.length} changeset(s) (as Liquibase's rollback-count), newest first (${order}), in one transaction`
        : 'date' in range
          ? `-- Slipway rollback: those of ${picked.length} changeset(s) recorded after ${range.date} (as Liquibase's rollback-to-date), newest first (${order}), in one transaction`
          : `-- Slipway rollback: those of ${picked.length} changeset(s) recorded after the ${range.newest ? 'newest' : 'oldest'} row tagged ${commentText(range.tag)} (as Liquibase's rollback --tag${range.newest ? ' --tag-version NEWEST' : ''}), newest first (${order}), in one transaction`,
    '\\set ON_ERROR_STOP on',
    'BEGIN;',
    // The package's advisory lock, held until COMMIT: a rollback waits for a package being applied, and a package
    // waits for it, instead of both writing the history at once.
    `SELECT pg_advisory_xact_lock(${ADVISORY_LOCK_KEY}) IS NOT NULL AS slipway_advisory_lock \\gset`,
    lockCheck(tables),
    CHANGELOG_PATH_FUNCTION,
  ];
  if (range !== undefined) out.push(...boundary(range, picked, history));
  if (without.length) {
    out.push(
      `SELECT set_config('slipway.no_rollback', coalesce(string_agg(k.key, ', ' ORDER BY h.ORDEREXECUTED DESC), ''), true) AS slipway_no_rollback FROM ${history} AS h JOIN ${keyValues(without)} ON ${KEY_ON}${range === undefined ? '' : ` WHERE ${inRange(range, 'h.')}`} \\gset`,
      "DO $slipway$ BEGIN IF current_setting('slipway.no_rollback') <> '' THEN RAISE EXCEPTION 'slipway: recorded changeset(s) to roll back have no rollback; nothing was rolled back: %', current_setting('slipway.no_rollback') USING HINT = 'add a --rollback line (or <rollback> block; empty rollback if nothing to undo) to each listed changeset'; END IF; END $slipway$;",
    );
  }
  if (withRollback.length > 1)
    out.push(...orderCheck(withRollback, history, executed === undefined ? 'changelog' : 'history', range));
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
  /** A rollbackDate (parseRollbackDate's form): every recorded changeset executed after it, as rollback-to-date. */
  toDate?: string;
  /** With toTag: which row with the tag to go back to when several have it (Liquibase's --tag-version, default OLDEST). */
  tagVersion?: TagVersion;
  /**
   * The history's keys, oldest first by DATEEXECUTED, ORDEREXECUTED, read when the SQL is written (`--database-url`):
   * the blocks follow that order instead of the changelog's.
   */
  executed?: readonly Key[];
}

/**
 * Rollback SQL from the changelog alone, decided when it runs against the database's history, as Liquibase 4.28 does
 * (its filters read databasechangelog newest first; rows of changesets the changelog lacks, or that the caller's
 * contexts/labels left out of `changelog`, are passed over): `count` rolls back the newest `count` recorded changesets
 * of the changelog (by DATEEXECUTED, ORDEREXECUTED, so a changeset a precondition's onFail/onError CONTINUE skipped,
 * never recorded, is not counted); `toTag` every recorded changeset after the oldest row with that tag (ignoring
 * case; a tag given twice goes back to the first, as Liquibase's default --tag-version OLDEST; the last with
 * `tagVersion` NEWEST), and that row's changeset too when it only tags (AfterTagChangeSetFilter); no row with the tag
 * fails the script. They are undone newest first by execution: the blocks follow `executed` when given, else the
 * changelog, and the script refuses a history that ran them in another order. A recorded changeset without rollback
 * SQL among them fails the whole script before anything is undone; throws E_ROLLBACK up front when no candidate has
 * rollback SQL at all.
 */
export function renderRollbackSql(changelog: Changelog, opts: RenderRollbackOptions): string {
  let range: Range;
  if (opts.tagVersion !== undefined && opts.toTag === undefined)
    throw new SlipwayError('E_USAGE', '--tag-version goes with --to-tag');
  if ([opts.count, opts.toTag, opts.toDate].filter((x) => x !== undefined).length > 1)
    throw new SlipwayError('E_USAGE', 'pass exactly one of --count N, --to-tag T or --to-date D');
  if (opts.toDate !== undefined) {
    range = { date: parseRollbackDate(opts.toDate) };
  } else if (opts.toTag !== undefined) {
    range = { tag: opts.toTag, ...(opts.tagVersion === 'NEWEST' ? { newest: true } : {}) };
  } else if (opts.count !== undefined) {
    if (!Number.isInteger(opts.count) || opts.count < 1)
      throw new SlipwayError('E_USAGE', `--count must be a positive integer, got ${opts.count}`);
    range = { count: opts.count };
  } else {
    throw new SlipwayError('E_USAGE', 'rollback needs --count N, --to-tag T or --to-date D');
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
    opts.executed,
  );
}

const DATE_FORM = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?)?$/;

/**
 * A rollback-to-date `--date` as the timestamp literal the SQL compares DATEEXECUTED with (`2026-01-01 10:00:00.000`):
 * the forms Liquibase 4.28's CLI parses — `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM:SS` or with a space, a fraction of up to 9
 * digits — as local wall-clock time like the column, to whole milliseconds as Liquibase compares them. A date that
 * does not exist (2026-02-30, 24:00:00), which Liquibase's lenient parser moves to another day, is E_USAGE.
 */
export function parseRollbackDate(value: string): string {
  const m = DATE_FORM.exec(value);
  const bad = () =>
    new SlipwayError('E_USAGE', `--to-date must be a date: got ${JSON.stringify(value)}`, {
      hint: 'write YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS or YYYY-MM-DD HH:MM:SS[.fff] (local time, as DATEEXECUTED)',
    });
  if (!m) throw bad();
  const [, y, mo, d, h = '00', mi = '00', sec = '00', frac = ''] = m;
  const at = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(sec)));
  const same =
    at.getUTCFullYear() === Number(y) &&
    at.getUTCMonth() === Number(mo) - 1 &&
    at.getUTCDate() === Number(d) &&
    at.getUTCHours() === Number(h) &&
    at.getUTCMinutes() === Number(mi) &&
    at.getUTCSeconds() === Number(sec);
  if (!same) throw bad();
  return `${y}-${mo}-${d} ${h}:${mi}:${sec}.${frac.slice(0, 3).padEnd(3, '0')}`;
}

/** `value` as a TagVersion, ignoring case as Liquibase does (TagVersionEnum.handleTagVersionInput); E_USAGE otherwise. */
export function parseTagVersion(value: string): TagVersion {
  const v = value.toUpperCase();
  if (v === 'OLDEST' || v === 'NEWEST') return v;
  throw new SlipwayError('E_USAGE', `--tag-version must be OLDEST or NEWEST, got ${JSON.stringify(value)}`);
}
