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
import { changeSetKey, quoteLiteral, quotePsqlArg } from './sql-text.js';

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

/** The history row (of `alias`) is at or after the boundary row read into slipway_since_date/_order. */
const isNewest = (alias = '') =>
  `(${alias}DATEEXECUTED, ${alias}ORDEREXECUTED) >= (:'slipway_since_date', :slipway_since_order)`;

/**
 * The script: `picked` newest first (by changelog position), in one transaction. With `newest`, a block runs only when
 * its changeset's history row is among the newest `newest` rows of the picked changesets (by DATEEXECUTED,
 * ORDEREXECUTED, as Liquibase's rollback-count orders them), read once before anything is undone; without, when it is
 * recorded. Picked changesets without rollback SQL get no block: if one of them would run, the script fails first.
 */
function renderBlocks(picked: Picked[], tables: HistoryTables, newest?: number): string {
  picked = [...picked].sort((a, b) => b.pos - a.pos);
  const withRollback = picked.filter((p) => p.entry.rollback !== null);
  const without = picked.filter((p) => p.entry.rollback === null).map((p) => p.entry);
  const history = historyTable(tables);
  const out = [
    newest === undefined
      ? `-- Slipway rollback: ${picked.length} changeset(s), newest first, in one transaction`
      : `-- Slipway rollback: the newest ${newest} recorded of ${picked.length} changeset(s) (as Liquibase's rollback-count), newest first, in one transaction`,
    '\\set ON_ERROR_STOP on',
    'BEGIN;',
    lockCheck(tables),
  ];
  if (newest !== undefined) {
    // Liquibase counts history rows, not changelog entries: a changeset skipped by a precondition's onFail/onError
    // CONTINUE has no row and is not counted. The boundary row is read before any block deletes a row.
    out.push(
      `SELECT coalesce(x.d, '-infinity') AS slipway_since_date, coalesce(x.o, 0) AS slipway_since_order FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT h.DATEEXECUTED AS d, h.ORDEREXECUTED AS o FROM ${history} AS h JOIN ${keyValues(picked.map((p) => p.entry))} ON h.ID = k.id AND h.AUTHOR = k.author AND h.FILENAME = k.filename ORDER BY h.DATEEXECUTED DESC, h.ORDEREXECUTED DESC LIMIT 1 OFFSET ${newest - 1}) AS x ON true \\gset`,
    );
  }
  if (without.length) {
    out.push(
      `SELECT set_config('slipway.no_rollback', coalesce(string_agg(k.key, ', ' ORDER BY h.ORDEREXECUTED DESC), ''), true) AS slipway_no_rollback FROM ${history} AS h JOIN ${keyValues(without)} ON h.ID = k.id AND h.AUTHOR = k.author AND h.FILENAME = k.filename${newest === undefined ? '' : ` WHERE ${isNewest('h.')}`} \\gset`,
      "DO $slipway$ BEGIN IF current_setting('slipway.no_rollback') <> '' THEN RAISE EXCEPTION 'slipway: recorded changeset(s) to roll back have no rollback; nothing was rolled back: %', current_setting('slipway.no_rollback') USING HINT = 'add a --rollback line (or <rollback> block; empty rollback if nothing to undo) to each listed changeset'; END IF; END $slipway$;",
    );
  }
  for (const { entry } of withRollback) {
    const where = keyWhere(entry);
    out.push(
      '',
      `-- rollback ${changeSetKey(entry).replace(/[\r\n]+/g, ' ')}`,
      `SELECT count(*) > 0 AS slipway_applied FROM ${history} WHERE ${where}${newest === undefined ? '' : ` AND ${isNewest()}`} \\gset`,
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
 * Rollback SQL from the changelog alone, decided when it runs against the database's history, as Liquibase 4.28 does:
 * `count` rolls back the newest `count` recorded changesets of the changelog (by DATEEXECUTED, ORDEREXECUTED, so a
 * changeset a precondition's onFail/onError CONTINUE skipped, never recorded, is not counted); `toTag` every recorded
 * changeset after the one that tags it, and that one too when it only tags (Liquibase's AfterTagChangeSetFilter).
 * A recorded changeset without rollback SQL among them fails the whole script before anything is undone; throws
 * E_ROLLBACK up front when no candidate has rollback SQL at all.
 */
export function renderRollbackSql(changelog: Changelog, opts: RenderRollbackOptions): string {
  const all = changelog.changeSets;
  let first = 0; // the candidates are always a tail of the changelog: all[first…]
  let newest: number | undefined;
  if (opts.toTag !== undefined) {
    const at = all.findIndex((cs) => cs.tag === opts.toTag);
    if (at === -1)
      throw new SlipwayError('E_ROLLBACK', `tag "${opts.toTag}" is not in the changelog`, {
        hint: 'tags come from <tagDatabase tag="…"/> changesets',
      });
    // Measured on Liquibase 4.28: `rollback --tag=v1` also rolls back the changeset whose only change tags v1.
    first = all[at]!.description === 'tagDatabase' ? at : at + 1;
  } else if (opts.count !== undefined) {
    if (!Number.isInteger(opts.count) || opts.count < 1)
      throw new SlipwayError('E_USAGE', `--count must be a positive integer, got ${opts.count}`);
    newest = opts.count;
  } else {
    throw new SlipwayError('E_USAGE', 'rollback needs --count N or --to-tag T');
  }
  const candidates = all.slice(first).map(toIndexEntry);
  if (candidates.length && candidates.every((e) => e.rollback === null)) {
    const listed = newest === undefined ? candidates : candidates.slice(-newest);
    throw noRollbackError(listed.map(noRollbackText));
  }
  return renderBlocks(
    candidates.map((entry, pos) => ({ pos, entry })),
    historyTables(opts),
    newest,
  );
}
