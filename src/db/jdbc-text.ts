/**
 * The text PostgreSQL receives for a statement Liquibase 4.28 sends through pgjdbc's Statement.execute: pgjdbc's
 * Parser.parseJdbcSql turns `??` into `?` (its escape for a literal `?`, e.g. the hstore/jsonb `?` operator) wherever
 * it is not inside a string literal, a quoted identifier, a comment or a dollar-quoted body. Changelogs written for
 * Liquibase rely on it ("use ?? to get ?"); psql sends the text as it is, so the package writes what pgjdbc would send.
 * Raw SQL changes go through pgjdbc twice (nativeSql, then jdbcText): see nativeSql.
 */

// Character classes of one UTF-16 unit (`c`: s[i], undefined past either end). ASCII is decided by its code: V8
// compiles a \p{…} expression on its first use (~2.6 M instructions each, and again when it tiers one up), which
// text without a non-ASCII character next to a quote or `$` then never pays.
const isLetter = (k: number): boolean => (k >= 65 && k <= 90) || (k >= 97 && k <= 122);
const isDigit = (k: number): boolean => k >= 48 && k <= 57;
const UNICODE_IDENT_CONT = /[\p{L}\p{N}_$]/u;
const UNICODE_TAG_START = /[\p{L}_]/u;
const UNICODE_TAG_CONT = /[\p{L}\p{N}_]/u;
const identCont = (c: string | undefined): boolean => {
  if (c === undefined) return false;
  const k = c.charCodeAt(0);
  return k < 0x80 ? isLetter(k) || isDigit(k) || k === 95 || k === 36 : UNICODE_IDENT_CONT.test(c);
};
const dollarTagStart = (c: string | undefined): boolean => {
  if (c === undefined) return false;
  const k = c.charCodeAt(0);
  return k < 0x80 ? isLetter(k) || k === 95 : UNICODE_TAG_START.test(c);
};
const dollarTagCont = (c: string | undefined): boolean => {
  if (c === undefined) return false;
  const k = c.charCodeAt(0);
  return k < 0x80 ? isLetter(k) || isDigit(k) || k === 95 : UNICODE_TAG_CONT.test(c);
};

/** Parser.parseSingleQuotes: the index of the closing quote (standard_conforming_strings on; E'' uses backslashes). */
function singleQuotes(s: string, i: number): number {
  const escaped = i >= 2 && (s[i - 1] === 'e' || s[i - 1] === 'E') && !identCont(s[i - 2]);
  while (++i < s.length) {
    if (escaped && s[i] === '\\') i++;
    else if (s[i] === "'") return i;
  }
  return s.length;
}

/** Parser.parseDollarQuotes: the index of the closing tag's last `$`, or `i` when no dollar quote starts here. */
function dollarQuotes(s: string, i: number): number {
  if (i + 1 >= s.length || (i > 0 && identCont(s[i - 1]))) return i;
  let end = -1;
  if (s[i + 1] === '$') end = i + 1;
  else if (dollarTagStart(s[i + 1])) {
    for (let d = i + 2; d < s.length; d++) {
      if (s[d] === '$') {
        end = d;
        break;
      }
      if (!dollarTagCont(s[d])) break;
    }
  }
  if (end < 0) return i;
  const tag = s.slice(i, end + 1);
  const close = s.indexOf(tag, end + 1);
  return close < 0 ? s.length : close + tag.length - 1;
}

/** Parser.parseBlockComment: the index of the closing `/` of a (nested) block comment, or `i` when none starts. */
function blockComment(s: string, i: number): number {
  if (s[i + 1] !== '*') return i;
  let level = 1;
  for (i += 2; i < s.length; i++) {
    if (s[i - 1] === '*' && s[i] === '/') {
      level--;
      if (level === 0) return i;
      i++;
    } else if (s[i - 1] === '/' && s[i] === '*') {
      level++;
      i++;
    }
  }
  return s.length;
}

/** `sql` as pgjdbc sends it: each `??` outside literals, quoted identifiers, comments and dollar quotes is one `?`. */
export function jdbcText(sql: string): string {
  return sql.includes('??') ? pgjdbcParse(sql, false).text : sql;
}

/**
 * What Liquibase 4.28 makes of a raw SQL statement (`<sql>`, `<sqlFile>`, formatted SQL, `--rollback`) before it
 * runs it: AbstractSQLChange.generateStatements passes each statement through Connection.nativeSQL, which pgjdbc
 * 42.7.3 parses with parameters (Parser.parseJdbcSql): `??` becomes `?`, and a lone `?` becomes the bind placeholder
 * `$1`, `$2`… (numbered again after each `;` pgjdbc splits at: outside parentheses, not after CREATE … BEGIN ATOMIC).
 * No value is ever bound, so PostgreSQL rejects such a statement unless `$n` means something there (a SQL-standard
 * function body): measured, `jsonb ? 'a'` fails with 'syntax error at or near "$1"', `values (?)` with "bind message
 * supplies 0 parameters". The text then runs through a plain Statement (jdbcText). `params`: how many `$n` it wrote.
 */
export function nativeSql(sql: string): { text: string; params: number } {
  return sql.includes('?') ? pgjdbcParse(sql, true) : { text: sql, params: 0 };
}

const identStart = (c: string | undefined): boolean => c !== undefined && (/[A-Za-z_]/.test(c) || c > '\x7f');
const identPart = (c: string | undefined): boolean => identStart(c) || (c !== undefined && /[0-9$]/.test(c));

/** pgjdbc's Parser.parseJdbcSql, as far as it changes the text: `??` and, with parameters, a lone `?`. */
function pgjdbcParse(sql: string, withParameters: boolean): { text: string; params: number } {
  let out = '';
  let from = 0;
  let n = 0; // placeholders in the current pgjdbc statement
  let params = 0;
  let paren = 0;
  let first: string | null = null; // the statement's first word
  let begin = false;
  let atomic = false; // CREATE … BEGIN ATOMIC: pgjdbc no longer splits at `;` (never reset)
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'") i = singleQuotes(sql, i);
    else if (c === '"') {
      const close = sql.indexOf('"', i + 1);
      i = close < 0 ? sql.length : close;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.slice(i).search(/[\r\n]/);
      i = nl < 0 ? sql.length : i + nl;
    } else if (c === '/') i = blockComment(sql, i);
    else if (c === '$') i = dollarQuotes(sql, i);
    else if (c === '?') {
      if (sql[i + 1] === '?') {
        out += sql.slice(from, i + 1);
        i++;
        from = i + 1;
      } else if (withParameters) {
        out += `${sql.slice(from, i)}$${++n}`;
        params++;
        from = i + 1;
      }
    } else if (!withParameters) continue;
    else if (c === '(') paren++;
    else if (c === ')') paren--;
    else if (c === ';' && paren === 0 && !atomic) {
      n = 0;
      first = null;
      begin = false;
    } else if (identStart(c)) {
      let end = i + 1;
      while (end < sql.length && identPart(sql[end]) && sql[end] !== '$') end++;
      const word = sql.slice(i, end).toLowerCase();
      if (first === null) first = word;
      else if (first === 'create') {
        if (begin && word === 'atomic') atomic = true;
        begin = word === 'begin';
      }
      i = end - 1;
    }
  }
  return { text: out + sql.slice(from), params };
}
