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
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;
/** Characters that may start a token, a delimiter, or a line (for `/` and GO lines and endDelimiter regexes). */
const SPECIAL = /[-/'"$;\n]/;

/**
 * Splits `sql` into statements; reports the first unterminated quote, dollar quote or block comment. An
 * endDelimiter (also `''`, which ends nothing) cuts where Liquibase 4.28 cuts, except inside a dollar quote.
 * Throws a SyntaxError for an endDelimiter that is no valid regex.
 */
export function splitSql(sql: string, opts: SplitSqlOptions = {}): SplitSqlResult {
  const split = opts.splitStatements ?? true;
  const delimited = split && opts.endDelimiter !== undefined && opts.endDelimiter !== null;
  const cuts = new Map<number, number>();
  if (delimited) for (const c of liquibaseDelimiterCuts(sql, opts.endDelimiter!)) cuts.set(c.start, c.end);
  const dollarCuts: number[] = [];
  const statements: SqlStatement[] = [];
  let current = '';
  let start = -1;
  let unterminated: UnterminatedToken | null = null;
  const push = (): void => {
    const text = current.trim();
    if (text) statements.push({ text, offset: start + (current.length - current.trimStart().length) });
    current = '';
    start = -1;
  };
  const add = (s: string, at: number): void => {
    if (start < 0) start = at;
    current += s;
  };
  let i = 0;
  const n = sql.length;
  while (i < n) {
    // Liquibase's cut first: where its tokenizer sees the delimiter, a statement ends, whatever PostgreSQL sees.
    const cut = delimited ? cuts.get(i) : undefined;
    if (cut !== undefined) {
      push();
      i = cut;
      continue;
    }
    const c = sql[i]!;
    const next = sql[i + 1];
    if (c === '-' && next === '-') {
      const end = sql.indexOf('\n', i);
      const stop = end < 0 ? n : end;
      if (!opts.stripComments) add(sql.slice(i, stop), i);
      i = stop;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = skipBlockComment(sql, i);
      if (end < 0) {
        unterminated ??= { kind: 'block comment', offset: i };
        add(sql.slice(i), i);
        break;
      }
      if (!opts.stripComments) add(sql.slice(i, end), i);
      else add(' ', i);
      i = end;
      continue;
    }
    if (c === "'" || c === '"') {
      const escapes = c === "'" && /[eE]/.test(sql[i - 1] ?? '') && !IDENT_CHAR.test(sql[i - 2] ?? '');
      const end = skipQuoted(sql, i, c, escapes);
      if (end < 0) {
        unterminated ??= { kind: c === "'" ? 'single-quoted string' : 'quoted identifier', offset: i };
        add(sql.slice(i), i);
        break;
      }
      add(sql.slice(i, end), i);
      i = end;
      continue;
    }
    if (c === '$' && !IDENT_CHAR.test(sql[i - 1] ?? '')) {
      DOLLAR_TAG.lastIndex = i;
      const m = DOLLAR_TAG.exec(sql);
      if (m) {
        const close = sql.indexOf(m[0], i + m[0].length);
        if (close < 0) {
          unterminated ??= { kind: 'dollar quote', offset: i, tag: m[0] };
          add(sql.slice(i), i);
          break;
        }
        const quoted = sql.slice(i, close + m[0].length);
        for (const at of cuts.keys()) if (at > i && at < close + m[0].length) dollarCuts.push(at);
        add(opts.stripComments ? stripCommentsInDollarQuote(quoted, m[0].length) : quoted, i);
        i = close + m[0].length;
        continue;
      }
    }
    if (split && !delimited) {
      if (c === ';') {
        push();
        i++;
        continue;
      }
      // Liquibase also ends a statement at a line holding only `/` or `GO`.
      if (atLineStart(sql, i)) {
        const m = /[ \t]*(\/|go)[ \t]*(?=\r?\n|$)/iy;
        m.lastIndex = i;
        const hit = m.exec(sql);
        if (hit) {
          push();
          i += hit[0].length;
          continue;
        }
      }
    }
    // Plain character: copy the whole run up to the next character that needs a decision, in one slice.
    let j = i + 1;
    if (c !== '\n' && !delimited) while (j < n && !SPECIAL.test(sql[j]!)) j++;
    add(sql.slice(i, j), i);
    i = j;
  }
  push();
  return { statements, unterminated, dollarCuts: dollarCuts.sort((a, b) => a - b) };
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
  return i === 0 || sql[i - 1] === '\n';
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

/** End offset (exclusive) of a quoted token starting at `i`, or -1 when unterminated. */
function skipQuoted(sql: string, i: number, q: string, backslashEscapes: boolean): number {
  let j = i + 1;
  while (j < sql.length) {
    const c = sql[j];
    if (backslashEscapes && c === '\\') {
      j += 2;
      continue;
    }
    if (c === q) {
      if (sql[j + 1] === q) {
        j += 2;
        continue;
      }
      return j + 1;
    }
    j++;
  }
  return -1;
}

/** Statements that end the transaction (`COMMIT`, `END`, `COMMIT AND CHAIN`…), for the explicit-COMMIT warning. */
export function findCommitStatements(statements: SqlStatement[]): SqlStatement[] {
  return statements.filter((s) =>
    /^(commit|end)(\s+(work|transaction|and\s+(no\s+)?chain))*\s*$/i.test(stripLeadingComments(s.text)),
  );
}

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
