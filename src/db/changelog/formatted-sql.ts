/**
 * Liquibase "formatted SQL" changelogs, line by line as liquibase-core 4.28 AbstractFormattedChangeLogParser does
 * (same regular expressions, same precedence, case-insensitive). Every deviation is deliberate and commented.
 */
import { SlipwayError } from '../../errors.js';
import type { ChangeSet, ParseWarning } from '../model.js';
import type { PropertyScope } from '../properties.js';
import {
  addSqlChange,
  finishChangeSet,
  newDraft,
  ownCopy,
  parseJavaBoolean,
  splitRollback,
  stripEnclosingQuotes,
  trimmedRollback,
  V8_DEFAULT_STRIP,
  type ChangeSetDraft,
} from './build-changeset.js';
import { firstTextLine } from './value-lines.js';
import { parsePreconditionLine, parsePreconditionsLine } from './formatted-preconditions.js';
import { checkHeaderAttributes, forgetHeaderLine, headerAttr } from './formatted-header.js';
import { normalizeLogicalPath, recordedFormattedLogicalFilePath } from './paths.js';
import { splitSql } from './sql-split.js';
import { reusedChangeSets, type ReusableChangeSet } from './select.js';
export { normalizeLogicalPath };

export interface FormattedSqlInput {
  /** Path relative to the root: message location and (unless logicalFilePath) FILENAME. */
  file: string;
  content: string;
  /** logicalFilePath given by the including element, used when the file sets none itself. */
  logicalFilePath?: string | null;
  properties: PropertyScope;
  /** Decides whether a `--property` limited by context/labels/dbms applies. */
  propertyApplies: (p: { context: string | null; labels: string | null; dbms: string | null }) => boolean;
  /** The changesets read before this file (in files included earlier), where a reused rollback also looks. */
  earlier?: readonly ReusableChangeSet[];
  /**
   * Takes each changeset as soon as it is finished, instead of the result's changeSets (then empty), and returns what
   * a reused rollback later in this file looks up of it: a file's changesets are not all held until its end.
   */
  emit?: (cs: ChangeSet) => ReusableChangeSet;
}

export interface FormattedSqlResult {
  changeSets: ChangeSet[];
  warnings: ParseWarning[];
  /** File lines (1-based) of each changeset's SQL body, in changeSets order (directive and rollback lines left out). */
  sqlLines: number[][];
}

const I = 'i';
export const FIRST_LINE = new RegExp('^\\s*--\\s*liquibase\\s*formatted.*$', I);
const PROPERTY = new RegExp('^\\s*--[\\s]*property\\s+(.*:.*)\\s+(.*:.*).*$', I);
const ALT_PROPERTY = new RegExp('^\\s*?[-]+\\s*property\\s.*$', I);
const CHANGE_SET = new RegExp('^\\s*--[\\s]*changeset\\s+("[^"]+"|[^:]+):\\s*("[^"]+"|\\S+).*$', I);
const ALT_CHANGE_SET_ONE = new RegExp('^-[\\s]*changeset\\s.*$', I);
const ALT_CHANGE_SET_NO_INFO = new RegExp('^\\s*--[\\s]*changeset[\\s]*.*$', I);
const COMMENT = new RegExp('^--[\\s]*comment:? (.*)$', I);
const ALT_COMMENT = new RegExp('^(?:-[\\s]*comment:? (.*)|--[\\s]*comments:? (.*))$', I);
const VALID_CHECKSUM = new RegExp('^--[\\s]*validCheckSum:? (.*)$', I);
const ALT_VALID_CHECKSUM = new RegExp('^-[\\s]*validCheckSum(.*)$', I);
const ROLLBACK = new RegExp('^\\s*--[\\s]*rollback (.*)$', I);
const ALT_ROLLBACK = new RegExp('^\\s*-[\\s]*rollback\\s.*$', I);
const ROLLBACK_START = new RegExp('^\\s*/\\*\\s*liquibase\\s*rollback\\s*$', I);
const ROLLBACK_END = new RegExp('^.*\\s*\\*/\\s*$', I);
const PRECONDITIONS = new RegExp('^\\s*--[\\s]*preconditions(.*)$', I);
const ALT_PRECONDITIONS = new RegExp('^\\s*-[\\s]*preconditions\\s.*$', I);
const PRECONDITION = new RegExp('^\\s*--[\\s]*precondition\\-([a-zA-Z0-9-]+) (.*)$', I);
const ALT_PRECONDITION = new RegExp('^\\s*-[\\s]*precondition(.*)$', I);
const EMPTY_PRECONDITION = new RegExp('^\\s*--[\\s]*precondition\\-([a-zA-Z0-9-]+)$', I);
const IGNORE_LINES = new RegExp('^--[\\s]*ignoreLines:(\\w+)$', I);
const ALT_IGNORE = new RegExp('^(?:-[\\s]*?ignoreLines:(\\w+).*|--[\\s]*ignore:(\\w+))$', I);
const EXACT_ROLLBACK = /^--rollback /;
const NOT_SPACE = /\S/;

/** The lower-case letter of each letter code (by code | 0x20). */
const KEYWORD_LETTER: string[] = [];
for (const c of 'cilprv') KEYWORD_LETTER[c.charCodeAt(0)] = c;

/** Index of the first character of `line` from `i` that is not JS \s (what trimStart removes), or its length. */
function skipSpace(line: string, i: number): number {
  const n = line.length;
  for (; i < n; i++) {
    const c = line.charCodeAt(i);
    if (c < 128 ? c !== 32 && (c < 9 || c > 13) : !WHITE_SPACE.test(line[i]!)) break;
  }
  return i;
}
const WHITE_SPACE = /\s/;

/**
 * Where the keyword letter of a possible directive is (`^\s*-+\s*` then c, i, l, p, r or v, any case), or -1; `lead`
 * is the line's first non-space character, a "-". A loop over the line's start instead of a look-behind regular
 * expression tried at every offset of every "-" line.
 */
function directiveLetterAt(line: string, lead: number): number {
  let i = lead;
  while (line.charCodeAt(i) === 45) i++;
  i = skipSpace(line, i);
  return i < line.length && KEYWORD_LETTER[line.charCodeAt(i) | 0x20] !== undefined ? i : -1;
}

/** Whether `content` is a formatted SQL changelog: its first non-blank line is the `--liquibase formatted` header. */
export function isFormattedSql(content: string): boolean {
  // Only the first non-blank line (as readLines splits them, after a BOM) decides: found without splitting the whole
  // file, which parseFormattedSql then splits again (for every .sql changelog: 70-130 us a 500-changeset file, ~0.5-1 %
  // of generating gen500 or gen10k, measured).
  const n = content.length;
  let start = content.charCodeAt(0) === 0xfeff ? 1 : 0;
  while (start < n) {
    let end = start;
    for (let c = content.charCodeAt(end); end < n && c !== 10 && c !== 13; c = content.charCodeAt(++end));
    const line = content.slice(start, end);
    if (line.trim() !== '') return FIRST_LINE.test(line);
    start = end + (content.charCodeAt(end) === 13 && content.charCodeAt(end + 1) === 10 ? 2 : 1);
  }
  return false;
}

/**
 * The lines of a text one at a time, as readLines splits them (Java BufferedReader.readLine), so a file's lines are
 * not all held while it is parsed. The whole split (an array and a string per line, about the file's own size: 140 kB
 * for a 500-changeset file of 150 kB) lived as long as the file's parse: V8 moved it to the old generation, where it
 * stayed until a full collection. `db package` of one 3 MB file of 10,000 changesets: peak RSS growth over a
 * 1-changeset package 27.0 -> 24.5 MiB (Node 20, medians of 5); gen10k (20 files): 16.0 -> 12.6 MB promoted by
 * scavenges, its peak unchanged (V8's first full collection comes at the same limit).
 */
export class LineCursor {
  private at = 0;
  /** Number of lines given so far (the 1-based number of the last one). */
  no = 0;
  private readonly breaks: RegExp | null;

  constructor(private readonly text: string) {
    this.breaks = text.includes('\r') ? /\r\n|\r|\n/g : null;
  }

  /** The next line, or undefined after the last one (a text's final line break starts no line). */
  next(): string | undefined {
    const { text, at } = this;
    if (at >= text.length) return undefined;
    this.no++;
    let end: number;
    let after: number;
    if (this.breaks === null) {
      end = text.indexOf('\n', at);
      after = end + 1;
    } else {
      this.breaks.lastIndex = at;
      const m = this.breaks.exec(text);
      end = m ? m.index : -1;
      after = m ? end + m[0].length : 0;
    }
    if (end === -1) {
      this.at = text.length;
      return text.slice(at);
    }
    this.at = after;
    return text.slice(at, end);
  }
}

/** Splits like Java BufferedReader.readLine (\r\n, \r or \n): LineCursor's lines, all at once. */
export function readLines(content: string): string[] {
  const lines: string[] = [];
  const cursor = new LineCursor(content);
  for (let line = cursor.next(); line !== undefined; line = cursor.next()) lines.push(line);
  return lines;
}

/** Parses one formatted SQL changelog. */
export function parseFormattedSql(input: FormattedSqlInput): FormattedSqlResult {
  const { file, properties } = input;
  const lines = new LineCursor(input.content.replace(/^\uFEFF/, ''));
  const warnings: ParseWarning[] = [];
  const changeSets: ChangeSet[] = [];
  // Where a reused rollback looks: this file's changesets so far, then those read before it (not the ones emit adds).
  const local: ReusableChangeSet[] = [];
  const before = input.earlier ?? [];
  const beforeCount = before.length;
  const sqlLines: number[][] = [];
  const fail = (line: number, message: string, hint: string): never => {
    throw new SlipwayError('E_CHANGELOG', message, { file, line, hint });
  };
  let logicalFilePath: string | null = input.logicalFilePath ?? null;
  let draft: ChangeSetDraft | null = null;
  let body: string[] = [];
  let bodyLines: number[] = [];
  let rollback: string[] = [];
  /** File line of each entry of `rollback`. */
  let rollbackLines: number[] = [];
  let rollbackDelimiter: string | null = null;
  let rollbackSplit = true;
  let delimiter: string | null = null;
  let split = true;
  let strip = false;
  let stripSet: boolean | null = null;
  let inBlockComment = false;

  const finish = (atEnd = false): void => {
    if (!draft) return;
    // Liquibase: trimToNull(joined lines), properties expanded when the changeset ends. A body of one line is copied:
    // joined, it would be that line, a slice of the file's text, and its statements would keep the whole text alive.
    const raw = properties.expand(body.length === 1 ? ownCopy(body[0]!) : body.join('\n'), file);
    const sql = raw.trim();
    if (!sql)
      fail(
        draft.line,
        `No SQL for changeset ${draft.author}:${draft.id}`,
        'Add the SQL under the --changeset line, or remove the empty changeset.',
      );
    // File line of each line of `sql` (rollback/comment lines in between are not part of it).
    const lead = raw.search(NOT_SPACE); // `sql` is not blank, so there is one
    let skipped = 0;
    for (let nl = raw.indexOf('\n'); nl >= 0 && nl < lead; nl = raw.indexOf('\n', nl + 1)) skipped++;
    // bodyLines is this changeset's own array (a new one per changeset): sliced only when leading lines were blank.
    const lineMap = skipped ? bodyLines.slice(skipped) : bodyLines;
    // FormattedSqlChangeLogParser.isNotEndDelimiter, checked only for the file's last changeset (handleChangeSet at
    // the end of the file; measured: a changeset followed by another one keeps the default splitting): SQL ending in
    // a line `/` without an endDelimiter gets "\n/$".
    const endDelimiter = atEnd && delimiter === null && sql.endsWith('\n/') ? '\n/$' : delimiter;
    draft.pieces.push({
      sql,
      file,
      line: lineMap[0] ?? draft.line + 1,
      lineMap,
      splitStatements: split,
      stripComments: strip,
      endDelimiter,
      native: true,
    });
    addSqlChange(
      draft,
      sql,
      { endDelimiter, splitStatements: split, stripComments: stripSet ?? V8_DEFAULT_STRIP.formatted },
      'sql',
    );
    const { text: rb, place } = trimmedRollback(rollback.join('\n'), file, {
      line: rollbackLines[0] ?? draft.line,
      lineMap: rollbackLines,
    });
    if (rb) {
      const lower = rb.toLowerCase();
      if (/^not required/.test(lower) || /^empty/.test(lower)) draft.rollback = [];
      else if (lower.includes('changesetid')) {
        draft.rollback = referencedRollback(rb, draft, [...local, ...before.slice(0, beforeCount)], file);
        // Statements of another changeset: at the line that names it.
        const at = { file, line: firstTextLine(place, rb) };
        draft.rollbackLocations = draft.rollback.map(() => at);
      } else {
        const split = splitRollback(
          properties.expand(rb, file),
          rollbackDelimiter,
          rollbackSplit,
          {
            file,
            line: draft.line,
            field: 'rollbackEndDelimiter',
            changeSet: `${draft.author}:${draft.id}`,
            warnings,
          },
          place,
        );
        draft.rollback = split && split.statements;
        if (split) draft.rollbackLocations = split.locations;
      }
    } else draft.noRollback = 'the formatted SQL changeset has no --rollback';
    const cs = finishChangeSet(draft, warnings);
    if (input.emit) local.push(input.emit(cs));
    else {
      changeSets.push(cs);
      local.push(cs);
    }
    sqlLines.push(lineMap);
    draft = null;
  };

  for (let line = lines.next(); line !== undefined; line = lines.next()) {
    const no = lines.no;
    // Every directive pattern starts with optional whitespace (JS \s, what trimStart removes) and then "-" or "/*":
    // any other line is SQL (or, before the first changeset, ignored), so it skips the ~20 pattern tests.
    const lead = skipSpace(line, 0);
    // Read only inside the line: an out-of-bounds charCodeAt (a blank line) deoptimised this function's optimised
    // code at the first blank line, and V8 compiled the whole function again (--trace-deopt, 10,000 changesets).
    const first = lead < line.length ? line.charCodeAt(lead) : -1;
    // Likewise every "-" pattern is dashes, whitespace, then its keyword (property, liquibase, ignoreLines, changeset,
    // comment, validCheckSum, rollback, precondition: c, i, l, p, r or v, case-insensitive), and a "/*" line can
    // only open the rollback block. `k` is that letter (or "/"): a line is tested only against the patterns of its
    // letter, and other "--" lines (SQL comments in a body) are SQL without the pattern tests.
    const at = first === 45 ? directiveLetterAt(line, lead) : -1;
    const k = at >= 0 ? KEYWORD_LETTER[line.charCodeAt(at) | 0x20]! : first === 47 ? '/' : '';
    if (k === '') {
      if (draft) {
        bodyLines.push(no);
        body.push(line);
        inBlockComment = trackBlockComment(line, inBlockComment);
      }
      continue;
    }
    if (k === 'p' && PROPERTY.test(line)) {
      defineProperty(input, line, no);
      continue;
    }
    if (k === 'p' && ALT_PROPERTY.test(line))
      fail(
        no,
        'Malformed --property line',
        'Write it as: --property name:<name> value:<value> [context:<expr>] [dbms:<db>] [global:false]',
      );
    // An empty `logicalFilePath:` on the header is recorded as '' (measured); on a changeset line it is none.
    if (k === 'l' && FIRST_LINE.test(line)) logicalFilePath = headerAttr(line, 'logicalFilePath') ?? logicalFilePath;
    const ignoreLines = k === 'i' ? IGNORE_LINES.exec(line) : null;
    if (ignoreLines) {
      if (ignoreLines[1] === 'start') {
        for (let l = lines.next(); l !== undefined && IGNORE_LINES.exec(l)?.[1] !== 'end'; l = lines.next());
      } else if (/^\d+$/.test(ignoreLines[1]!)) {
        for (let left = Number(ignoreLines[1]); left > 0 && lines.next() !== undefined; left--);
      } else
        fail(
          no,
          `Unknown ignoreLines syntax: "${ignoreLines[1]}"`,
          'Use --ignoreLines:<count> or --ignoreLines:start … --ignoreLines:end',
        );
      continue;
    }
    if (k === 'i' && ALT_IGNORE.test(line))
      fail(no, 'Malformed --ignoreLines line', 'Use --ignoreLines:<count> or --ignoreLines:start … --ignoreLines:end');

    const cs = k === 'c' ? CHANGE_SET.exec(line) : null;
    if (cs) {
      // The line tracker ignores quotes; the body is lexed as PostgreSQL reads it only when it says a comment is open,
      // so a "/*" inside a string ('https://***host') is no comment (found on DiPA-Projekt/dipa-hub).
      if (inBlockComment && endsInBlockComment(body)) {
        // Liquibase still starts a changeset here, leaving "/*" unterminated in one changeset and "*/" stray in the
        // next: both fail on PostgreSQL, so this trap is an error rather than a warning.
        fail(
          no,
          '--changeset inside a /* … */ block comment',
          'Liquibase starts a new changeset here anyway, splitting the comment; close the comment before this line or comment the line out with "-- " plus a word that is not "changeset".',
        );
      }
      finish();
      const [, authorGroup, idGroup] = cs as unknown as [string, string, string];
      const prefix = /^\s*--[\s]*changeset\s+/i.exec(line)![0];
      if (!line.slice(prefix.length).startsWith(`${authorGroup}:${idGroup}`)) {
        fail(
          no,
          `Malformed changeset header: ${line.trim()}`,
          'Write it as --changeset <author>:<id> with no space after the colon.',
        );
      }
      const rest = line.slice(prefix.length + authorGroup.length + 1 + idGroup.length);
      checkHeaderAttributes(rest, file, no, warnings);
      const id = properties.expand(stripEnclosingQuotes(idGroup), file);
      const author = properties.expand(stripEnclosingQuotes(authorGroup), file);
      if (id.replaceAll(':', '').replaceAll(' ', '') === '')
        fail(no, 'The changeset id is empty', 'Write it as --changeset <author>:<id>.');
      if (id.endsWith(':')) {
        warnings.push({
          code: 'W_ID_ENDS_WITH_COLON',
          file,
          line: no,
          message: `Changeset id "${id}" ends with ":"; Liquibase records the colon as part of the id.`,
        });
      }
      const lfp = headerAttr(line, 'logicalFilePath') || logicalFilePath;
      draft = newDraft({
        id,
        author,
        filename:
          lfp !== null ? recordedFormattedLogicalFilePath(properties.expand(lfp, file)) : normalizeLogicalPath(file),
        file,
        line: no,
      });
      const ctx = headerAttr(line, 'contextFilter') || headerAttr(line, 'context');
      draft.contexts = ctx ? properties.expand(stripEnclosingQuotes(ctx), file) || null : null;
      const labels = headerAttr(line, 'labels');
      draft.labels = labels ? properties.expand(stripEnclosingQuotes(labels), file) || null : null;
      const dbms = headerAttr(line, 'dbms');
      draft.dbms = dbms ? properties.expand(dbms, file) : null;
      draft.runOnChange = parseJavaBoolean(headerAttr(line, 'runOnChange'), false);
      draft.runAlways = parseJavaBoolean(headerAttr(line, 'runAlways'), false);
      draft.runInTransaction = parseJavaBoolean(headerAttr(line, 'runInTransaction'), true);
      draft.failOnError = parseJavaBoolean(headerAttr(line, 'failOnError'), true);
      draft.ignore = parseJavaBoolean(headerAttr(line, 'ignore'), false);
      draft.runWith = headerAttr(line, 'runWith') ?? null;
      split = parseJavaBoolean(headerAttr(line, 'splitStatements'), true);
      const stripAttr = headerAttr(line, 'stripComments');
      // A missing stripComments means true in formatted SQL (AbstractFormattedChangeLogParser.handleStripComments),
      // measured with update-sql on 4.28.1: comments are removed even inside $$ bodies.
      strip = parseJavaBoolean(stripAttr, V8_DEFAULT_STRIP.formatted);
      stripSet = stripAttr === undefined ? null : strip;
      // An empty `endDelimiter:` is "" for Liquibase (AbstractFormattedChangeLogParser.parseString), which ends nothing.
      delimiter = headerAttr(line, 'endDelimiter') ?? null;
      rollbackDelimiter = headerAttr(line, 'rollbackEndDelimiter') ?? null;
      rollbackSplit = parseJavaBoolean(headerAttr(line, 'rollbackSplitStatements'), true);
      body = [];
      bodyLines = [];
      rollback = [];
      rollbackLines = [];
      inBlockComment = false;
      continue;
    }
    if (k === 'c' && (ALT_CHANGE_SET_ONE.test(line) || ALT_CHANGE_SET_NO_INFO.test(line))) {
      fail(
        no,
        `Liquibase reads this line as a malformed changeset header: ${line.trim()}`,
        'Write it as --changeset <author>:<id>, or reword the comment so it does not start with "changeset".',
      );
    }
    if (!draft) {
      if (k === 'c' && COMMENT.test(line))
        fail(
          no,
          'A --comment line outside a changeset',
          'Move it under a --changeset line; Liquibase rejects comment lines outside changesets.',
        );
      continue;
    }
    let m: RegExpExecArray | null;
    if (k === 'c' && (m = COMMENT.exec(line))) draft.comment = m[1]!;
    else if (k === 'c' && ALT_COMMENT.test(line))
      fail(no, `Malformed comment line: ${line.trim()}`, 'Write it as --comment: <text>');
    else if (k === 'v' && (m = VALID_CHECKSUM.exec(line))) draft.validCheckSums.push(m[1]!.trim());
    else if (k === 'v' && ALT_VALID_CHECKSUM.test(line))
      fail(no, `Malformed validCheckSum line: ${line.trim()}`, 'Write it as --validCheckSum: <checksum>');
    else if (k === 'r' && (m = ROLLBACK.exec(line))) {
      if (!EXACT_ROLLBACK.test(line)) {
        warnings.push({
          code: 'W_COMMENT_READ_AS_ROLLBACK',
          file,
          line: no,
          message: `Liquibase reads "${line.trim()}" as rollback SQL (the match is case-insensitive) and leaves it out of the changeset and its checksum; if it is meant as a comment, reword it.`,
        });
      }
      rollback.push(m[1]!);
      rollbackLines.push(no);
    } else if (k === 'r' && ALT_ROLLBACK.test(line))
      fail(no, `Malformed rollback line: ${line.trim()}`, 'Write it as --rollback <SQL>');
    else if (k === '/' && ROLLBACK_START.test(line)) {
      const start = no;
      let closed = false;
      for (let l = lines.next(); l !== undefined; l = lines.next()) {
        if (ROLLBACK_END.test(l)) {
          const last = l.replace(/\*\/\s*$/, '');
          if (last.trim()) {
            rollback.push(last);
            rollbackLines.push(lines.no);
          }
          closed = true;
          break;
        }
        // Deviation: Liquibase 4.28 concatenates these lines without a separator; we keep line breaks so the SQL stays valid.
        rollback.push(l);
        rollbackLines.push(lines.no);
      }
      if (!closed)
        fail(
          start,
          'Liquibase rollback comment is not closed',
          'End the /* liquibase rollback block with */ on its own line.',
        );
    } else if (k === 'p' && (m = PRECONDITIONS.exec(line)))
      draft.preconditions = parsePreconditionsLine(m[1]!, file, no);
    else if (k === 'p' && ALT_PRECONDITIONS.test(line))
      fail(
        no,
        `Malformed preconditions line: ${line.trim()}`,
        'Write it as --preconditions onFail:<HALT|CONTINUE|MARK_RAN|WARN> onError:<…>',
      );
    else if (k === 'p' && (m = PRECONDITION.exec(line))) {
      if (!draft.preconditions) draft.preconditions = parsePreconditionsLine('', file, no);
      draft.preconditions.checks.push(parsePreconditionLine(m[1]!, properties.expand(m[2]!, file), file, no));
    } else if (k === 'p' && (ALT_PRECONDITION.test(line) || EMPTY_PRECONDITION.test(line))) {
      fail(
        no,
        `Malformed precondition line: ${line.trim()}`,
        'Write it as --precondition-sql-check expectedResult:<value> <SQL>',
      );
    } else {
      bodyLines.push(no);
      body.push(line);
      inBlockComment = trackBlockComment(line, inBlockComment);
    }
  }
  finish(true);
  forgetHeaderLine();
  return { changeSets, warnings, sqlLines };
}

/**
 * `--rollback changesetId:<id> changesetAuthor:<author> [changesetPath:<path>]`: Liquibase reuses that changeset's
 * changes as the rollback (AbstractFormattedChangeLogParser: the first match in this file, then in the files that
 * include it, i.e. every changeset read before; matched as reusedChangeSets does). The path defaults to this file.
 * A changeset of this file is also found by its physical path when the file has a logicalFilePath.
 */
function referencedRollback(
  text: string,
  draft: ChangeSetDraft,
  earlier: readonly ReusableChangeSet[],
  file: string,
): string[] {
  const one = text.replace(/[\r\n]/g, '');
  const id = /^.*changeSetId:(\S+).*$/i.exec(one)?.[1];
  const author = /^.*changesetAuthor:(\S+).*$/i.exec(one)?.[1];
  const at = /^.*changesetPath:(\S+).*$/i.exec(one)?.[1] ?? file;
  const target =
    id === undefined
      ? undefined
      : (reusedChangeSets(earlier, { id, author, path: at }, 'postgresql')[0] ??
        earlier.find((c) => c.id === id && c.author === author && c.location.file === at));
  if (!id || !author || !target) {
    throw new SlipwayError(
      'E_CHANGELOG',
      `Rollback of ${draft.author}:${draft.id} refers to changeset ${at}::${id ?? '?'}::${author ?? '?'}, which is not defined before it`,
      {
        file,
        line: draft.line,
        hint: 'Write it as --rollback changesetId:<id> changesetAuthor:<author> [changesetPath:<path>] for a changeset read before this one, or write the rollback SQL.',
      },
    );
  }
  return [...target.statements];
}

/** Whether a changeset body ends inside a block comment, as PostgreSQL lexes it (quotes and dollar quotes opaque). */
function endsInBlockComment(body: string[]): boolean {
  return splitSql(body.join('\n'), { splitStatements: false }).unterminated?.kind === 'block comment';
}

/**
 * Whether a block comment may still be open after `line`: a cheap line filter that ignores quotes (it can say open
 * where a quoted "/*" is no comment), confirmed by endsInBlockComment before anything is refused.
 */
function trackBlockComment(line: string, open: boolean): boolean {
  // Only "/*" opens and only "*/" closes: a line without the one that would change the state leaves it (most lines).
  if (!line.includes(open ? '*/' : '/*')) return open;
  let state = open;
  for (let i = 0; i < line.length - 1; i++) {
    if (!state && line[i] === '-' && line[i + 1] === '-') return state;
    if (!state && line[i] === '/' && line[i + 1] === '*') {
      state = true;
      i++;
    } else if (state && line[i] === '*' && line[i + 1] === '/') {
      state = false;
      i++;
    }
  }
  return state;
}

function defineProperty(input: FormattedSqlInput, line: string, no: number): void {
  const name = /^.*name:\s*(\S+).*$/i.exec(line)?.[1];
  const value = /^.*value:\s*(\S+).*$/i.exec(line)?.[1];
  if (!name || value === undefined) {
    throw new SlipwayError('E_CHANGELOG', 'A --property line needs name: and value:', {
      file: input.file,
      line: no,
      hint: 'Write it as --property name:<name> value:<value>',
    });
  }
  const ctx = headerAttr(line, 'contextFilter') || headerAttr(line, 'context');
  const labels = headerAttr(line, 'labels');
  const dbms = headerAttr(line, 'dbms');
  const p = {
    context: ctx ? stripEnclosingQuotes(ctx) : null,
    labels: labels ? stripEnclosingQuotes(labels) : null,
    dbms: dbms ? dbms.trim() : null,
  };
  if (!input.propertyApplies(p)) return;
  const globalAttr = /^.*global:(\S+).*$/i.exec(line)?.[1];
  input.properties.define({
    name: input.properties.expand(name, input.file),
    value: input.properties.expand(value, input.file),
    ...p,
    global: globalAttr === undefined ? true : globalAttr.toLowerCase() === 'true',
    file: input.file,
  });
}
