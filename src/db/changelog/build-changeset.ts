/**
 * Shared last step of every changelog parser: turn parsed attributes + SQL into a model ChangeSet, split statements,
 * compute the Liquibase checksum and collect the trap warnings (explicit COMMIT) and errors (unterminated quotes).
 */
import { SlipwayError } from '../../errors.js';
import type { ChangeSet, ParseWarning, Preconditions, SourceLocation } from '../model.js';
import { changeSetChecksumV8, changeSetChecksumV9, sqlChangeChecksums, tagDatabaseChecksumV9 } from '../checksum.js';
import { findCommitStatements, lineAt, splitSql, type SplitSqlResult } from './sql-split.js';
import { liquibaseDollarSplit } from './liquibase-dollar-split.js';
import { visitSql, type SqlVisitor } from './modify-sql.js';
import { bodyNeverRuns } from '../precondition-static.js';
import { nativeSql } from '../jdbc-text.js';
import { leadingSpace, lineAtOffset, type OffsetLines, type SqlPlace } from './value-lines.js';

/** One executable piece of a changeset (an `<sql>`, an `<sqlFile>` or a formatted-SQL body). */
export interface SqlPiece {
  sql: string;
  /** Where `sql` starts (file relative to root, 1-based line), for error positions. */
  file: string;
  line: number;
  /**
   * File line of each line of `sql`, when they do not follow one a line: lines removed from between them (formatted
   * SQL), a YAML value folded (value-lines.ts) and then changed by `${…}` expansion.
   */
  lineMap?: number[];
  /** File line of each part of `sql` by offset: a folded YAML value, as written (value-lines.ts). */
  offsetLines?: OffsetLines;
  splitStatements: boolean;
  stripComments: boolean;
  endDelimiter: string | null;
  /** Where `endDelimiter` is written, when not at `line` (a YAML/JSON value), for the error naming it. */
  endDelimiterLine?: number;
  /**
   * Raw SQL Liquibase passes through Connection.nativeSQL (AbstractSQLChange: `<sql>`, `<sqlFile>`, formatted SQL, a
   * plain .sql file), not SQL a change type generates.
   */
  native?: boolean;
}

export interface ChangeSetDraft {
  /** `<sqlFile>` paths of this changeset that never run here (another dbms), for compile's syntax check. */
  notRunSqlFiles?: string[];
  /** The first change Liquibase's validation refuses (raised only if the changeset is selected). */
  invalid?: ChangeSet['invalid'];
  id: string;
  author: string;
  filename: string;
  file: string;
  line: number;
  pieces: SqlPiece[];
  changeChecksums: string[];
  changeChecksumsV8: string[];
  descriptions: string[];
  rollback: string[] | null;
  /** Where each entry of `rollback` was written, when it was (not an inferred rollback): ChangeSet.rollbackLocations. */
  rollbackLocations?: SourceLocation[];
  /** A <rollback> could not be split (see splitRollback): the changeset has no rollback at all. */
  rollbackBroken?: boolean;
  /** Why the changeset has no rollback SQL when it has none (shown when a rollback is refused), else null. */
  noRollback: string | null;
  comment: string | null;
  /** The text of each XML `<comment>` of the changeSet, in order (Liquibase joins them all). */
  commentParts?: string[];
  contexts: string | null;
  labels: string | null;
  dbms: string | null;
  runOnChange: boolean;
  runAlways: boolean;
  runInTransaction: boolean;
  failOnError: boolean;
  validCheckSums: string[];
  preconditions: Preconditions | null;
  tag: string | null;
  ignore: boolean;
  runWith: string | null;
  /** `<modifySql>` visitors, in document order. */
  sqlVisitors: SqlVisitor[];
}

/** A draft with Liquibase's defaults. */
export function newDraft(init: Pick<ChangeSetDraft, 'id' | 'author' | 'filename' | 'file' | 'line'>): ChangeSetDraft {
  // Fields listed one by one: `{ ...init, …20 more }` measured ~45 µs per draft on Node 20 (0.45 s per 10,000).
  return {
    id: init.id,
    author: init.author,
    filename: init.filename,
    file: init.file,
    line: init.line,
    pieces: [],
    changeChecksums: [],
    changeChecksumsV8: [],
    descriptions: [],
    rollback: null,
    noRollback: null,
    comment: null,
    contexts: null,
    labels: null,
    dbms: null,
    runOnChange: false,
    runAlways: false,
    runInTransaction: true,
    failOnError: true,
    validCheckSums: [],
    preconditions: null,
    tag: null,
    ignore: false,
    runWith: null,
    sqlVisitors: [],
  };
}

/** splitSql for one piece; an endDelimiter that is no valid regex is E_CHANGELOG at the piece (Liquibase fails too). */
function splitPiece(p: SqlPiece, d: ChangeSetDraft): SplitSqlResult {
  try {
    return splitSql(p.sql, {
      splitStatements: p.splitStatements,
      stripComments: p.stripComments,
      endDelimiter: p.endDelimiter,
    });
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    throw new SlipwayError(
      'E_CHANGELOG',
      `endDelimiter ${JSON.stringify(p.endDelimiter)} of changeset ${d.author}:${d.id} is not a valid regular expression: ${e.message}`,
      {
        file: p.file,
        line: p.endDelimiterLine ?? p.line,
        field: 'endDelimiter',
        hint: 'Liquibase reads endDelimiter as a Java regular expression; escape special characters with \\.',
      },
    );
  }
}

/**
 * Finishes a draft: statements, checksum, COMMIT warnings; throws E_CHANGELOG on an unterminated quote. A body whose
 * preconditions can never pass on PostgreSQL (bodyNeverRuns) has no statements.
 */
export function finishChangeSet(d: ChangeSetDraft, warnings: ParseWarning[]): ChangeSet {
  // Per piece, arrays of exactly their length (map): the model keeps them, and an array grown by push holds room for
  // 17 entries (measured on 10,000 changesets). The per-change checksums stay in the draft: nothing reads them once
  // `checksum` is derived (a copy in the model was ~136 B per changeset kept for the whole command).
  const statementsOf = new Array<string[]>(d.pieces.length);
  const locationsOf = new Array<{ file: string; line: number }[]>(d.pieces.length);
  // Preconditions that fail on PostgreSQL whatever the database holds (onFail not WARN): Liquibase never splits nor
  // runs the body (it may be another database's SQL), and the package leaves it out; the checksum still counts it.
  const skipBody = bodyNeverRuns(d.preconditions);
  for (let pi = 0; pi < d.pieces.length; pi++) {
    const p = d.pieces[pi]!;
    if (skipBody) {
      statementsOf[pi] = [];
      locationsOf[pi] = [];
      continue;
    }
    const res = splitPiece(p, d);
    if (res.unterminated) {
      const u = res.unterminated;
      const line = offsetLine(p, u.offset);
      throw new SlipwayError(
        'E_CHANGELOG',
        `Unterminated ${u.kind}${u.tag ? ` ${u.tag}` : ''} in changeset ${d.author}:${d.id}`,
        {
          file: p.file,
          line,
          hint:
            u.kind === 'dollar quote'
              ? `Close it with ${u.tag ?? '$$'} before the next changeset.`
              : 'Close the quote or comment before the end of the changeset.',
        },
      );
    }
    const delimited = p.endDelimiter !== null;
    const cut = !p.splitStatements ? null : delimited ? (res.dollarCuts[0] ?? null) : liquibaseDollarSplit(p.sql);
    if (cut !== null) {
      warnings.push({
        code: 'W_LIQUIBASE_SPLITS',
        file: p.file,
        line: offsetLine(p, cut),
        message: delimited
          ? `Liquibase 4.28 splits changeset ${d.author}:${d.id} at this endDelimiter ${JSON.stringify(p.endDelimiter)} inside a dollar-quoted body and fails there; Slipway runs the body whole. For Liquibase too, choose an endDelimiter the body does not contain.`
          : `Liquibase 4.28 splits changeset ${d.author}:${d.id} at this ";" inside a dollar-quoted body and fails ("Unterminated dollar quote"); Slipway runs it whole. For Liquibase too, set splitStatements:false (or an endDelimiter).`,
      });
    }
    if (d.runInTransaction) {
      for (const c of findCommitStatements(res.statements)) {
        warnings.push({
          code: 'W_EXPLICIT_COMMIT',
          file: p.file,
          line: offsetLine(p, c.offset),
          message: `Explicit ${c.text.split(/\s/)[0]!.toUpperCase()} inside changeset ${d.author}:${d.id}: the history row would no longer commit with the change.`,
        });
      }
    }
    const texts = p.native ? nativeTexts(p, res.statements, d, warnings) : sized(res.statements, (s) => s.text);
    // modifySql after nativeSQL, as Liquibase applies its visitors when it executes the generated statements.
    statementsOf[pi] = d.sqlVisitors.length ? sized(texts, (t) => visitSql(t, d.sqlVisitors)) : texts;
    // Offsets ascend, so one forward walk over the piece gives every statement's line.
    let k = 0;
    let at = 0;
    const byOffset = p.offsetLines;
    locationsOf[pi] = sized(res.statements, (s) => {
      if (byOffset) return { file: p.file, line: lineAtOffset(byOffset, s.offset) };
      for (let nl = p.sql.indexOf('\n', at); nl >= 0 && nl < s.offset; nl = p.sql.indexOf('\n', nl + 1)) k++;
      at = Math.max(at, s.offset);
      return { file: p.file, line: fileLine(p, k) };
    });
  }
  const statements = statementsOf.length === 1 ? statementsOf[0]! : concatSized(statementsOf);
  const statementLocations = locationsOf.length === 1 ? locationsOf[0]! : concatSized(locationsOf);
  const first = d.pieces[0];
  const cs: ChangeSet = {
    id: ownCopy(d.id),
    author: ownCopy(d.author),
    filename: d.filename,
    location: { file: d.file, line: d.line },
    sql: d.pieces.length === 1 ? d.pieces[0]!.sql : d.pieces.map((p) => p.sql).join('\n'),
    statements,
    statementLocations,
    checksum: changeSetChecksumV9(
      d.changeChecksums,
      d.sqlVisitors.length ? d.sqlVisitors.filter((v) => v.dbmsMatches).map((v) => v.checksum) : undefined,
    ),
    validCheckSums: d.validCheckSums,
    rollback:
      d.rollback && d.sqlVisitors.some((v) => v.applyToRollback)
        ? d.rollback.map((r) => visitSql(r, d.sqlVisitors, true))
        : d.rollback && sized(d.rollback, (r) => ownCopy(r)),
    noRollback: d.rollback === null ? d.noRollback : null,
    rollbackLocations: d.rollback === null ? undefined : d.rollbackLocations,
    description: d.descriptions.join('; ') || 'empty',
    comment: ownCopy(d.comment),
    contexts: ownCopy(d.contexts),
    labels: ownCopy(d.labels),
    dbms: ownCopy(d.dbms),
    runOnChange: d.runOnChange,
    runAlways: d.runAlways,
    runInTransaction: d.runInTransaction,
    splitStatements: first?.splitStatements ?? true,
    stripComments: first?.stripComments ?? false,
    endDelimiter: first?.endDelimiter ?? null,
    failOnError: d.failOnError,
    preconditions: d.preconditions,
    tag: d.tag,
    ignore: d.ignore,
    runWith: d.runWith,
    // V8 serialised visitors with their filters; not ported, so such rows are accepted as Liquibase would upgrade them.
    // In the literal, even when undefined (not spread: that put every changeset on V8's slow object path; not
    // assigned after it: each changeset then carried a 144-byte out-of-object property store for these two, 1.4 MB
    // per 10,000 changesets, heap snapshot).
    checksumV8: d.sqlVisitors.length ? undefined : changeSetChecksumV8(d.changeChecksumsV8),
    invalid: d.invalid,
  };
  return cs;
}

/**
 * `s` in a string of its own. Text cut from a changelog file (a formatted-SQL changeset's header attributes,
 * `--comment:` and `--rollback` lines) is, in V8, a slice that keeps the whole file's text alive for as long as the
 * changeset lives: the file's 150 kB for each 500 changesets (heap snapshot of `db package` on 10,000). A JSON round
 * trip is the cheapest copy that is always a flat string (String#concat, slice, normalize, repeat(1) return the
 * slice again or a new slice): ~0.2 µs a string (Node 20, 20-character slices). V8 copies slices shorter than 13.
 * Not for `filename`: one string shared by every changeset of a file (a copy each would cost more than it frees).
 */
export function ownCopy(s: string): string;
export function ownCopy(s: string | null): string | null;
export function ownCopy(s: string | null): string | null {
  return s === null || s.length < 13 ? s : (JSON.parse(JSON.stringify(s)) as string);
}

/**
 * A raw SQL piece's statements as Liquibase hands them to pgjdbc (nativeSql: `??` is `?`, a lone `?` is `$1`…), with
 * W_LIQUIBASE_REJECTS at the first statement that gets a bind placeholder no value is ever bound to.
 */
function nativeTexts(
  p: SqlPiece,
  statements: SplitSqlResult['statements'],
  d: ChangeSetDraft,
  warnings: ParseWarning[],
): string[] {
  let warned = false;
  return sized(statements, (s) => {
    const n = nativeSql(s.text);
    if (n.params > 0 && !warned) {
      warned = true;
      warnings.push({
        code: 'W_LIQUIBASE_REJECTS',
        file: p.file,
        line: fileLine(p, lineAt(p.sql, s.offset) - 1),
        message: `A lone "?" in changeset ${d.author}:${d.id}: Liquibase 4.28 sends it through pgjdbc as the bind parameter $1 with no value, and PostgreSQL rejects the statement (unless $1 means something there); Slipway's package sends the same. Write ?? for a literal ? (the jsonb/hstore ? operators).`,
      });
    }
    return n.text;
  });
}

/**
 * stripComments as the V8 header prints it when the changelog does not set it. Formatted SQL: liquibase's
 * handleStripComments parses a missing attribute as `true` (AbstractFormattedChangeLogParser); XML: RawSQLChange's
 * default. Checked against Liquibase 4.28 validating "8:" rows (test/integration/db-checksum-oracle.test.ts).
 */
export const V8_DEFAULT_STRIP = { formatted: true, xml: false } as const;

/** Adds one SQL change (its text or raw sqlFile bytes) to both checksum lists. */
export function addSqlChange(
  d: ChangeSetDraft,
  checksummed: string | Uint8Array,
  v8: { endDelimiter: string | null; splitStatements: boolean; stripComments: boolean | null },
  description: string,
): void {
  const sums = sqlChangeChecksums(checksummed, v8);
  d.changeChecksums.push(sums.v9);
  d.changeChecksumsV8.push(sums.v8!);
  d.descriptions.push(description);
}

/** Adds a tagDatabase change (same serialised-form md5 in V8 and V9, only the prefix differs); null: no tag. */
export function addTagChange(d: ChangeSetDraft, tag: string | null): void {
  const v9 = tagDatabaseChecksumV9(tag);
  if (tag !== null) d.tag = tag;
  d.changeChecksums.push(v9);
  d.changeChecksumsV8.push('8:' + v9.slice(2));
  d.descriptions.push('tagDatabase');
}

/**
 * `xs.map(f)`, as an array of one elements kind whichever tier runs it. The model keeps these arrays (statements,
 * their locations, rollback), and Array#map makes packed ones in the interpreter but holey ones in optimised code:
 * the changesets of one changelog then held arrays of two kinds, and each render function optimised on the first
 * kind was deoptimised at the first of the other, and compiled again (--trace-deopt, 10,000 changesets).
 */
function sized<T, U>(xs: readonly T[], f: (x: T) => U): U[] {
  const out = new Array<U>(xs.length);
  for (let i = 0; i < xs.length; i++) out[i] = f(xs[i]!);
  return out;
}

/** The parts one after the other, as sized makes arrays (not Array#concat's or #flat's kind). */
function concatSized<T>(parts: T[][]): T[] {
  let n = 0;
  for (const part of parts) n += part.length;
  const out = new Array<T>(n);
  let k = 0;
  for (const part of parts) for (const x of part) out[k++] = x;
  return out;
}

/** File line of the `k`-th (0-based) line of a piece (or of a text at a place). */
function fileLine(p: SqlPlace, k: number): number {
  return p.lineMap?.[k] ?? p.line + k;
}

/** File line of offset `offset` of a piece's SQL. */
function offsetLine(p: SqlPiece, offset: number): number {
  return p.offsetLines ? lineAtOffset(p.offsetLines, offset) : fileLine(p, lineAt(p.sql, offset) - 1);
}

/** Where a rollback's SQL was written, for the warning about an endDelimiter that is no regular expression. */
export interface RollbackSource {
  file: string;
  line: number;
  /** The attribute that holds the delimiter (`endDelimiter`, `rollbackEndDelimiter`). */
  field: string;
  changeSet: string;
  warnings: ParseWarning[];
}

/**
 * Where a rollback's text is: the place of the text it was trimmed from (value-lines.ts' SqlPlace of that text, in
 * `file`), and the characters and line breaks the trim took off its start.
 */
export interface RollbackPlace extends SqlPlace {
  file: string;
  skip: number;
  skipLines: number;
}

/** `raw` trimmed (as a rollback's text is, JavaScript's trim), with the place of the trimmed text. */
export function trimmedRollback(raw: string, file: string, place: SqlPlace): { text: string; place: RollbackPlace } {
  const { skip, lines: skipLines } = leadingSpace(raw);
  return { text: raw.trim(), place: { ...place, file, skip, skipLines } };
}

/** A rollback's statements and where each starts. */
export interface RollbackSplit {
  statements: string[];
  locations: SourceLocation[];
}

/**
 * Rollback text split into statements with the changeset's delimiter rules, each with the file line it starts on
 * (`place`); null when `endDelimiter` is no valid regular expression. Measured with Liquibase 4.28: `update` runs
 * such a changeset (rollback SQL is split only when rolling back) and `rollback` fails with PatternSyntaxException;
 * so this is a warning naming file:line and the field, and the changeset has no rollback (Slipway's rollback of it is
 * refused).
 */
export function splitRollback(
  sql: string,
  endDelimiter: string | null,
  splitStatements: boolean,
  at: RollbackSource,
  place: RollbackPlace,
): RollbackSplit | null {
  let split: SplitSqlResult;
  try {
    split = splitSql(sql, { endDelimiter, splitStatements });
  } catch (e) {
    if (!(e instanceof SyntaxError)) throw e;
    at.warnings.push({
      code: 'W_LIQUIBASE_REJECTS',
      file: at.file,
      line: at.line,
      message: `${at.field} ${JSON.stringify(endDelimiter)} of the rollback of changeset ${at.changeSet} is not a valid regular expression (${e.message}): Liquibase 4.28 runs the update but fails on rollback; Slipway packages it without a rollback for this changeset.`,
    });
    return null;
  }
  // A rollback's SQL is a RawSQLChange too: nativeSQL as for the update (AbstractSQLChange.generateStatements).
  const statements = sized(split.statements, (s) => nativeSql(s.text).text);
  // Offsets ascend: one forward walk over the text counts the lines before each statement.
  let k = 0;
  let from = 0;
  const locations = sized(split.statements, (s) => {
    const offset = place.skip + s.offset;
    if (place.offsetLines) return { file: place.file, line: lineAtOffset(place.offsetLines, offset) };
    for (let nl = sql.indexOf('\n', from); nl >= 0 && nl < s.offset; nl = sql.indexOf('\n', nl + 1)) k++;
    from = Math.max(from, s.offset);
    return { file: place.file, line: fileLine(place, k + place.skipLines) };
  });
  return { statements, locations };
}

/** Java Boolean.parseBoolean: only "true" (any case) is true. */
export function parseJavaBoolean(value: string | undefined, dflt: boolean): boolean {
  if (value === undefined) return dflt;
  return value.toLowerCase() === 'true';
}

/** liquibase StringUtil.stripEnclosingQuotes. */
export function stripEnclosingQuotes(v: string): string {
  if (v.length > 1 && ((v.startsWith('"') && v.endsWith('"')) || (v.startsWith("'") && v.endsWith("'"))))
    return v.slice(1, -1);
  return v;
}
