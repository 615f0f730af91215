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
  const picked: { pos: number; entry: ChangeSetIndexEntry }[] = [];
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
  if (missing.length) {
    throw new SlipwayError(
      'E_ROLLBACK',
      `${missing.length} changeset(s) in range have no rollback; nothing was written`,
      {
        details: missing,
        hint: 'add a --rollback line (or <rollback> block; empty rollback if nothing to undo) to each listed changeset',
      },
    );
  }
  picked.sort((a, b) => b.pos - a.pos);
  const out = [
    `-- Slipway rollback: ${picked.length} changeset(s), newest first, in one transaction`,
    '\\set ON_ERROR_STOP on',
    'BEGIN;',
    lockCheck(tables),
  ];
  const history = historyTable(tables);
  for (const { entry } of picked) {
    const where = `ID = ${quoteLiteral(entry.id)} AND AUTHOR = ${quoteLiteral(entry.author)} AND FILENAME = ${quoteLiteral(entry.filename)}`;
    out.push(
      '',
      `-- rollback ${changeSetKey(entry).replace(/[\r\n]+/g, ' ')}`,
      `SELECT count(*) > 0 AS slipway_applied FROM ${history} WHERE ${where} \\gset`,
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
 * Rollback SQL from the changelog alone: the last `count` changesets, or every changeset after the one that
 * tags `toTag` (as `liquibase rollback-count` / `rollback <tag>` would, assuming the changelog is fully applied;
 * blocks for changesets the database does not have are skipped when the SQL runs).
 */
export function renderRollbackSql(changelog: Changelog, opts: RenderRollbackOptions): string {
  const all = changelog.changeSets;
  let range = all;
  if (opts.toTag !== undefined) {
    const at = all.findIndex((cs) => cs.tag === opts.toTag);
    if (at === -1)
      throw new SlipwayError('E_ROLLBACK', `tag "${opts.toTag}" is not in the changelog`, {
        hint: 'tags come from <tagDatabase tag="…"/> changesets',
      });
    range = all.slice(at + 1);
  } else if (opts.count !== undefined) {
    if (!Number.isInteger(opts.count) || opts.count < 1)
      throw new SlipwayError('E_USAGE', `--count must be a positive integer, got ${opts.count}`);
    range = all.slice(Math.max(0, all.length - opts.count));
  } else {
    throw new SlipwayError('E_USAGE', 'rollback needs --count N or --to-tag T');
  }
  return planRollbackSql(all.map(toIndexEntry), range, historyTables(opts));
}
