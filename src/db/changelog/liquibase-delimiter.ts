/**
 * Where Liquibase 4.28 ends a statement when a change has an `endDelimiter` (StringUtil.processMultiLineSQL). It
 * reads the SQL as SimpleSqlGrammar tokens (whitespace runs, `--` and `/* *\/` comments, numbers, identifiers —
 * `a.b` with blanks around the dot is one —, quoted strings with `''` and backslash escapes, quoted identifiers, one
 * symbol each), merges consecutive tokens that spell the delimiter literally (`//` from `/`,`/`), and ends a
 * statement at a token when no BEGIN…END is open and:
 * - a one-character delimiter: the token equals it (ignoring case); `/` only where the token before ends a line;
 * - a longer one: the token equals it (ignoring case), or the token before and the token together match
 *   `[\s\n\r]*` + the delimiter as a Java regex (java-regex.ts), both lower-cased (so `\n/` and `\nGO` consume the
 *   line break, `\S` reads as `\s`, `\Q` becomes the invalid `\q`, and `^/$` never matches after a line break).
 * An empty delimiter ends nothing. The token before a cut stays in the statement (statements are trimmed); a
 * delimiter (or its first tokens) at the very end is dropped.
 * Hand-written because no library reproduces Liquibase's grammar; facts measured with `liquibase update-sql` 4.28.
 */

import { javaMatcher, JavaRegexError } from './java-regex.js';

const WHITESPACE = /[ \t\n\r\u0085\u00a0\u1680\u180e\u2000-\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff]+/y;
const LINE_COMMENT = /--[^\r\n]*/y;
const BLOCK_COMMENT = /\/\*[\s\S]*?\*\//y;
const NUMBER = /(?:\d*\.\d+(?:[eE][+-]?\d+)?|\d+\.(?:[eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)/y;
const IDENT = String.raw`(?:[A-Za-z$_\p{L}][A-Za-z0-9$_#@\p{L}]*|"[^\n\r"]+"|\x60[^\n\r\x60]+\x60|\[[^0-9\]][^\n\r\]]*\])`;
const WORD = new RegExp(String.raw`${IDENT}(?:[\r\n ]*\.[\r\n ]*${IDENT})*`, 'uy');
const STRING = /(?:[UENRB]|RB|_utf8)?(?:'(?:''|\\[\s\S]|[^\\'])*(?:'|\\')|"(?:""|\\[\s\S]|[^\\"])*(?:"|\\"))/iy;

export interface LiquibaseToken {
  text: string;
  start: number;
}

/** The SQL as SimpleSqlGrammar tokens (longest match at each offset; a character no token takes stands alone). */
export function liquibaseTokens(sql: string): LiquibaseToken[] {
  const out: LiquibaseToken[] = [];
  let i = 0;
  while (i < sql.length) {
    let len = 1;
    for (const re of [WHITESPACE, LINE_COMMENT, BLOCK_COMMENT, NUMBER, WORD, STRING]) {
      re.lastIndex = i;
      const m = re.exec(sql);
      if (m && m[0].length > len) len = m[0].length;
    }
    out.push({ text: sql.slice(i, i + len), start: i });
    i += len;
  }
  return out;
}

/**
 * Consecutive tokens that together spell `delimiter` exactly become one token (StringUtil.mergeTokens). Tokens still
 * held as a possible merge when the SQL ends — e.g. its last `;` when the delimiter is `;` — are dropped by Liquibase:
 * `dropped` is where they start.
 */
function mergeTokens(
  tokens: LiquibaseToken[],
  delimiter: string,
): { merged: LiquibaseToken[]; dropped: number | null } {
  const out: LiquibaseToken[] = [];
  let pending: LiquibaseToken[] = [];
  for (const t of tokens) {
    if (pending.length === 0) {
      if (delimiter.startsWith(t.text)) pending.push(t);
      else out.push(t);
      continue;
    }
    const joined = pending.map((p) => p.text).join('') + t.text;
    if (joined === delimiter) {
      out.push({ text: joined, start: pending[0]!.start });
      pending = [];
    } else if (delimiter.startsWith(joined)) pending.push(t);
    else {
      out.push(...pending, t);
      pending = [];
    }
  }
  return { merged: out, dropped: pending[0]?.start ?? null };
}

const BEGIN_NOT = new Set(['transaction', 'trans', 'tran', 'dialog', 'conversation', 'distributed']);
const END_NOT = new Set(['transaction', 'trans', 'tran']);

/** A delimiter Liquibase would cut at: the token's offsets in the SQL. */
export interface DelimiterCut {
  start: number;
  end: number;
}

/**
 * The cuts Liquibase 4.28 makes in `sql` for `endDelimiter` (see the module comment). Throws a SyntaxError when the
 * delimiter is no valid regex (Liquibase fails there too); the caller names the file and line.
 */
export function liquibaseDelimiterCuts(sql: string, endDelimiter: string): DelimiterCut[] {
  const { merged: tokens, dropped } = mergeTokens(liquibaseTokens(sql), endDelimiter);
  const pattern = endDelimiter.length === 1 ? null : delimiterPattern(endDelimiter.toLowerCase());
  const cuts: DelimiterCut[] = [];
  let open = 0;
  // Java's `previousPiece + piece` with a null previousPiece reads "null".
  let previous: string | null = null;
  for (let k = 0; k < tokens.length; k++) {
    const t = tokens[k]!;
    const word = t.text.toLowerCase();
    let next = '';
    for (let j = k + 1; j < tokens.length && next === ''; j++) next = tokens[j]!.text.trim().toLowerCase();
    if (word === 'begin' && !BEGIN_NOT.has(next)) open++;
    if (word === 'end' && open > 0 && !END_NOT.has(next)) open--;
    if (open === 0 && isDelimiter(t.text, previous, endDelimiter, pattern)) {
      cuts.push({ start: t.start, end: t.start + t.text.length });
    }
    previous = t.text;
  }
  if (dropped !== null) cuts.push({ start: dropped, end: sql.length });
  return cuts;
}

/**
 * Java's `(previous + piece).matches("[\\s\n\r]*" + delimiter)` (an alternation's first branch gets the prefix, as in
 * Java). A leading inline flag group such as `(?i)` moves before the prefix: Java applies it from where it stands,
 * and no flag changes what `[\s\n\r]` matches, so the match is the same. SyntaxError where the pattern is refused.
 */
function delimiterPattern(lower: string): (input: string) => boolean {
  const lead = /^\(\?[a-z]*(?:-[a-z]*)?\)/.exec(lower)?.[0] ?? '';
  try {
    return javaMatcher(`${lead}[\\s\n\r]*${lower.slice(lead.length)}`);
  } catch (e) {
    if (e instanceof JavaRegexError) throw new SyntaxError(e.message);
    throw e;
  }
}

function isDelimiter(
  piece: string,
  previous: string | null,
  delimiter: string,
  pattern: ((input: string) => boolean) | null,
): boolean {
  const same = piece.toLowerCase() === delimiter.toLowerCase();
  if (!pattern) {
    if (delimiter === '/' && previous !== null && !previous.endsWith('\n')) return false;
    return same;
  }
  return same || pattern(`${previous ?? 'null'}${piece}`.toLowerCase());
}
