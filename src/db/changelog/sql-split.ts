/**
 * Splits changeset SQL into statements the way PostgreSQL reads them: quotes ('…', E'…', "…"), dollar quotes
 * ($tag$…$tag$), line and nested block comments are opaque. Hand-written because the delimiter rules are Liquibase's
 * (`;`, a lone `/` or `GO` line, or where Liquibase's tokenizer matches an endDelimiter: liquibase-delimiter.ts),
 * which no SQL parser library models; libpg-query would reject the non-PostgreSQL delimiters.
 */

import { liquibaseDelimiterCuts } from './liquibase-delimiter.js';

export interface SqlStatement {
  text: string;
  /** Offset of the statement's first character in the input. */
  offset: number;
}

export interface UnterminatedToken {
  kind: 'single-quoted string' | 'quoted identifier' | 'dollar quote' | 'block comment';
  /** Offset where the token starts. */
  offset: number;
  /** Dollar-quote tag, e.g. `$body$`. */
  tag?: string;
}

export interface SplitSqlOptions {
  splitStatements?: boolean;
  stripComments?: boolean;
  endDelimiter?: string | null;
}

export interface SplitSqlResult {
  statements: SqlStatement[];
  unterminated: UnterminatedToken | null;
  /** Offsets where Liquibase would end a statement at the endDelimiter inside a dollar quote; Slipway does not. */
  dollarCuts: number[];
}

const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;
const NOT_SPACE = /\S/;
const LINE_DELIMITER = /[ \t]*(\/|go)[ \t]*(?=\r?\n|$)/iy;

/**
 * Characters that may start a token, a delimiter, or a line (for `/` and GO lines and endDelimiter regexes):
 * - / ' " $ ; and newline. A table indexed by char code: a regex test per character was ~5 % of a parse profile.
 */
const SPECIAL = new Uint8Array(128);
for (const c of '-/\'"$;\n') SPECIAL[c.charCodeAt(0)] = 1;
const isSpecial = (code: number): boolean => code < 128 && SPECIAL[code] === 1;

/**
 * The statements of one splitSql call as they are read. The statement being read is `text` (pieces that are not a
 * plain copy of the input: a stripped comment's replacement, a dollar quote with its comments removed) followed by
 * the input range [runStart, runEnd): most statements are one range of the input, sliced once instead of
 * concatenated piece by piece. One object per call (closures over the same state cost a context and three
 * functions per call, twice per changeset).
 */
class Statements {
  readonly statements: SqlStatement[] = [];
  private text = '';
  private runStart = 0;
  private runEnd = 0;
  private start = -1;

  constructor(private readonly sql: string) {}

  /** Ends the statement being read (kept when it is not blank). */
  push(): void {
    if (this.start >= 0) {
      const current = this.runEnd > this.runStart ? this.text + this.sql.slice(this.runStart, this.runEnd) : this.text;
      const trimmed = current.trim();
      // The leading whitespace trim() removed: the first non-\s character (\s is trim's set), without a trimStart copy.
      if (trimmed) this.statements.push({ text: trimmed, offset: this.start + current.search(NOT_SPACE) });
    }
    this.text = '';
    this.runStart = this.runEnd = 0;
    this.start = -1;
  }

  /** Appends sql[from, to). */
  copy(from: number, to: number): void {
    if (this.start < 0) this.start = from;
    if (this.runEnd === from && this.runEnd > this.runStart) {
      this.runEnd = to;
      return;
    }
    if (this.runEnd > this.runStart) this.text += this.sql.slice(this.runStart, this.runEnd);
    this.runStart = from;
    this.runEnd = to;
  }

  /** Appends text that is not the input at `at`. */
  add(s: string, at: number): void {
    if (this.start < 0) this.start = at;
    if (this.runEnd > this.runStart) this.text += this.sql.slice(this.runStart, this.runEnd);
    this.runStart = this.runEnd = 0;
    this.text += s;
  }
}

/**
 * Splits `sql` into statements; reports the first unterminated quote, dollar quote or block comment. An
 * endDelimiter (also `''`, which ends nothing) cuts where Liquibase 4.28 cuts, except inside a dollar quote.
 * Throws a SyntaxError for an endDelimiter that is no valid regex.
 */
export function splitSql(sql: string, opts: SplitSqlOptions = {}): SplitSqlResult {
  const split = opts.splitStatements ?? true;
  const strip = opts.stripComments ?? false;
  const delimited = split && opts.endDelimiter !== undefined && opts.endDelimiter !== null;
  const cuts = delimited ? new Map<number, number>() : null;
  if (cuts) for (const c of liquibaseDelimiterCuts(sql, opts.endDelimiter!)) cuts.set(c.start, c.end);
  const dollarCuts: number[] = [];
  const out = new Statements(sql);
  let unterminated: UnterminatedToken | null = null;
  let i = 0;
  const n = sql.length;
  while (i < n) {
    // Liquibase's cut first: where its tokenizer sees the delimiter, a statement ends, whatever PostgreSQL sees.
    const cut = cuts ? cuts.get(i) : undefined;
    if (cut !== undefined) {
      out.push();
      i = cut;
      continue;
    }
    const code = sql.charCodeAt(i);
    // A line holding only `/` or `GO` (checked below) may start with a plain character: a space, a tab or g. Any
    // other plain character starts no such line, so it is copied without trying LINE_DELIMITER (at every line).
    if (!isSpecial(code) && !(split && !delimited && mayStartDelimiterLine(code) && atLineStart(sql, i))) {
      // Plain character: copy the whole run up to the next character that needs a decision, in one range.
      let j = i + 1;
      if (!delimited) while (j < n && !isSpecial(sql.charCodeAt(j))) j++;
      out.copy(i, j);
      i = j;
      continue;
    }
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      if (!strip) out.copy(i, stop);
      i = stop;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = skipBlockComment(sql, i);
      if (end < 0) {
        unterminated ??= { kind: 'block comment', offset: i };
        out.copy(i, n);
        break;
      }
      if (!strip) out.copy(i, end);
      else out.add(' ', i);
      i = end;
      continue;
    }
    if (c === "'" || c === '"') {
      const before = sql.charCodeAt(i - 1);
      const escapes = c === "'" && (before === 69 || before === 101) && !isIdentChar(sql.charCodeAt(i - 2));
      const end = skipQuoted(sql, i, c, escapes);
      if (end < 0) {
        unterminated ??= { kind: c === "'" ? 'single-quoted string' : 'quoted identifier', offset: i };
        out.copy(i, n);
        break;
      }
      out.copy(i, end);
      i = end;
      continue;
    }
    if (c === '$' && !isIdentChar(sql.charCodeAt(i - 1))) {
      DOLLAR_TAG.lastIndex = i;
      const m = DOLLAR_TAG.exec(sql);
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length);
        if (close < 0) {
          unterminated ??= { kind: 'dollar quote', offset: i, tag: m[0] };
          out.copy(i, n);
          break;
        }
        const stop = close + m[0].length;
        if (cuts) for (const at of cuts.keys()) if (at > i && at < stop) dollarCuts.push(at);
        if (strip) out.add(stripCommentsInDollarQuote(sql.slice(i, stop), m[0].length), i);
        else out.copy(i, stop);
        i = stop;
        continue;
      }
    }
    if (split && !delimited) {
      if (c === ';') {
        out.push();
        i++;
        continue;
      }
      // Liquibase also ends a statement at a line holding only `/` or `GO`.
      if (atLineStart(sql, i)) {
        LINE_DELIMITER.lastIndex = i;
        const hit = LINE_DELIMITER.exec(sql);
        if (hit) {
          out.push();
          i += hit[0].length;
          continue;
        }
      }
    }
    out.copy(i, i + 1);
    i++;
  }
  out.push();
  return {
    statements: out.statements,
    unterminated,
    dollarCuts: dollarCuts.length > 1 ? dollarCuts.sort((a, b) => a - b) : dollarCuts,
  };
}

/**
 * Liquibase's comment stripping (StringUtil.stripComments → SqlParser, 4.28) does not know dollar quotes, so with
 * stripComments a `--` or `/* *\/` comment inside a `$$` body is removed too; mirrored so the function bodies we
 * deploy are the ones Liquibase deploys (measured with update-sql). Quoted strings inside the body stay opaque.
 */
function stripCommentsInDollarQuote(quoted: string, tagLength: number): string {
  const body = quoted.slice(tagLength, quoted.length - tagLength);
  let out = '';
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c === '-' && body[i + 1] === '-') {
      const end = body.indexOf('\n', i);
      i = end < 0 ? body.length : end;
    } else if (c === '/' && body[i + 1] === '*') {
      const end = skipBlockComment(body, i);
      i = end < 0 ? body.length : end;
    } else if (c === "'" || c === '"') {
      const end = skipQuoted(body, i, c, false);
      const stop = end < 0 ? body.length : end;
      out += body.slice(i, stop);
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  return quoted.slice(0, tagLength) + out + quoted.slice(quoted.length - tagLength);
}

function atLineStart(sql: string, i: number): boolean {
  return i === 0 || sql.charCodeAt(i - 1) === 10;
}

/** Whether LINE_DELIMITER can match from a character: space, tab, `/`, g or G. */
function mayStartDelimiterLine(code: number): boolean {
  return code === 32 || code === 9 || code === 47 || code === 103 || code === 71;
}

/**
 * Whether one UTF-16 code unit is an identifier character (a `$` or quote after one opens nothing): [A-Za-z0-9_$] or
 * any unit above 0x7f; NaN (before the text's start) is none.
 */
function isIdentChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === 95 ||
    code === 36 ||
    code >= 128
  );
}

/** End offset (exclusive) of a nested block comment starting at `i`, or -1 when unterminated. */
function skipBlockComment(sql: string, i: number): number {
  let depth = 0;
  let j = i;
  while (j < sql.length) {
    if (sql[j] === '/' && sql[j + 1] === '*') {
      depth++;
      j += 2;
    } else if (sql[j] === '*' && sql[j + 1] === '/') {
      depth--;
      j += 2;
      if (depth === 0) return j;
    } else j++;
  }
  return -1;
}

/**
 * End offset (exclusive) of a quoted token starting at `i`, or -1 when unterminated. A doubled quote is one quote
 * character; with `backslashEscapes` (E'…') a backslash escapes the next character. Jumps between quotes (and
 * backslashes) with indexOf rather than reading each character: quoted values are most of an insert-heavy
 * changelog's SQL (callgrind, fineract's package: this scan was ~95 M instructions read one character at a time).
 */
function skipQuoted(sql: string, i: number, q: string, backslashEscapes: boolean): number {
  const quote = q.charCodeAt(0);
  // The next backslash at or after j, found again only once j has passed it (no rescan per doubled quote).
  let backslash = backslashEscapes ? sql.indexOf('\\', i + 1) : -1;
  let j = i + 1;
  for (;;) {
    const close = sql.indexOf(q, j);
    if (backslash >= 0 && (close < 0 || backslash < close)) {
      j = backslash + 2;
      backslash = sql.indexOf('\\', j);
      continue;
    }
    if (close < 0) return -1;
    if (sql.charCodeAt(close + 1) === quote) {
      j = close + 2;
      continue;
    }
    return close + 1;
  }
}

/** Statements that end the transaction (`COMMIT`, `END`, `COMMIT AND CHAIN`…), for the explicit-COMMIT warning. */
export function findCommitStatements(statements: SqlStatement[]): SqlStatement[] {
  return statements.filter((s) => mayEndTransaction(s.text) && COMMIT.test(stripLeadingComments(s.text)));
}

const COMMIT = /^(commit|end)(\s+(work|transaction|and\s+(no\s+)?chain))*\s*$/i;

/**
 * Whether `text` can be a COMMIT/END statement: after any leading whitespace it starts with COMMIT or END (any case),
 * or with a comment that may hide one. One anchored test instead of the comment-stripping passes (most statements).
 */
const MAY_END_TRANSACTION = /^\s*(?:commit|end|-|\/)/i;
const mayEndTransaction = (text: string): boolean => MAY_END_TRANSACTION.test(text);

function stripLeadingComments(text: string): string {
  let t = text;
  for (;;) {
    const before = t;
    t = t
      .replace(/^\s*--[^\n]*\n?/, '')
      .replace(/^\s*\/\*[\s\S]*?\*\//, '')
      .trimStart();
    if (t === before) return t;
  }
}

/** 1-based line of `offset` in `text`. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
