/**
 * Identifier quoting as Liquibase 4.28's PostgresDatabase/AbstractJdbcDatabase do it, for each objectQuotingStrategy:
 *  - LEGACY (default): quote a name with both upper- and lower-case letters, else quote only when it must be quoted;
 *  - QUOTE_ONLY_RESERVED_WORDS: quote only when it must be quoted;
 *  - QUOTE_ALL_OBJECTS: quote everything.
 * "Must be quoted": contains `-`, starts with a digit, is a reserved word, or has a character outside [A-Za-z0-9_].
 * Unqualified names get the default schema (`public`, what Liquibase reads from the connection) as prefix.
 */

export type QuotingStrategy = 'LEGACY' | 'QUOTE_ALL_OBJECTS' | 'QUOTE_ONLY_RESERVED_WORDS';

export interface NameContext {
  quoting: QuotingStrategy;
  /** The schema Liquibase would take from the connection (`select current_schema()`), `public` by default. */
  defaultSchema: string;
}

// PostgresDatabase's reservedWords (PostgreSQL 9.6 "reserved" and "reserved (can be function or type)").
const RESERVED = new Set(
  (
    'ALL ANALYSE ANALYZE AND ANY ARRAY AS ASC ASYMMETRIC AUTHORIZATION BINARY BOTH CASE CAST CHECK COLLATE COLLATION ' +
    'COLUMN CONCURRENTLY CONSTRAINT CREATE CROSS CURRENT_CATALOG CURRENT_DATE CURRENT_ROLE CURRENT_SCHEMA CURRENT_TIME ' +
    'CURRENT_TIMESTAMP CURRENT_USER DEFAULT DEFERRABLE DESC DISTINCT DO ELSE END EXCEPT FALSE FETCH FOR FOREIGN FREEZE ' +
    'FROM FULL GRANT GROUP HAVING ILIKE IN INITIALLY INNER INTERSECT INTO IS ISNULL JOIN LATERAL LEADING LEFT LIKE LIMIT ' +
    'LOCALTIME LOCALTIMESTAMP NATURAL NOT NOTNULL NULL OFFSET ON ONLY OR ORDER OUTER OVERLAPS PLACING PRIMARY REFERENCES ' +
    'RETURNING RIGHT SELECT SESSION_USER SIMILAR SOME SYMMETRIC TABLE TABLESAMPLE THEN TO TRAILING TRUE UNION UNIQUE USER ' +
    'USING VARIADIC VERBOSE WHEN WHERE WINDOW WITH'
  ).split(' '),
);

/** Whether PostgresDatabase.isReservedWord holds. */
export function isReservedWord(name: string): boolean {
  return RESERVED.has(name.toUpperCase());
}

function hasMixedCase(name: string): boolean {
  return name !== name.toLowerCase() && name !== name.toUpperCase();
}

function mustQuote(name: string): boolean {
  // Java's \W is [^a-zA-Z0-9_]; `.` does not match line terminators, as in Java's matches(".*\\W.*").
  return name.includes('-') || /^[0-9]/.test(name) || isReservedWord(name) || /^.*[^A-Za-z0-9_].*$/.test(name);
}

function quote(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** escapeObjectName(name, type): one identifier. */
export function escapeName(name: string, ctx: NameContext): string {
  // A changelog names the same tables and columns over and over (fineract: 20,000 <column>s): each name is worked
  // out once per strategy. Its tests (escapeUncached: a Set lookup, two case conversions, two regexes) were ~2 % of the CPU
  // profile of its package. Bounded, for a generated changelog of distinct names.
  const cache = ESCAPED[ctx.quoting];
  if (cache === undefined) return escapeUncached(name, ctx.quoting);
  let escaped = cache.get(name);
  if (escaped === undefined) {
    escaped = escapeUncached(name, ctx.quoting);
    if (cache.size >= ESCAPED_MAX) cache.clear();
    cache.set(name, escaped);
  }
  return escaped;
}

const ESCAPED: Partial<Record<QuotingStrategy, Map<string, string>>> = {
  LEGACY: new Map(),
  QUOTE_ALL_OBJECTS: new Map(),
  QUOTE_ONLY_RESERVED_WORDS: new Map(),
};
const ESCAPED_MAX = 10_000;

function escapeUncached(name: string, quoting: QuotingStrategy): string {
  if (quoting === 'LEGACY' && hasMixedCase(name)) return `"${name}"`;
  if (mustQuote(name) || quoting === 'QUOTE_ALL_OBJECTS') return quote(name).trim();
  return name.trim();
}

/** escapeObjectName(catalog, schema, name, type): `schema.name`, the default schema when none is given. */
export function qualifiedName(schema: string | undefined, name: string, ctx: NameContext): string {
  const s = schema?.trim() ? schema.trim() : ctx.defaultSchema;
  return `${escapeName(s, ctx)}.${escapeName(name, ctx)}`;
}

/** escapeColumnName with quoteNamesThatMayBeFunctions: computed expressions (containing `(`) stay as written. */
export function escapeColumn(name: string, ctx: NameContext, quoteFunctions = false): string {
  if (ctx.quoting === 'QUOTE_ALL_OBJECTS') return quote(name);
  if (name.includes('(')) return quoteFunctions ? quote(name) : name;
  return escapeName(name, ctx);
}

/** escapeColumnNameList: comma-separated names, each trimmed and escaped, a trailing DESC kept, ASC dropped. */
export function escapeColumnList(names: string, ctx: NameContext): string {
  return splitAndTrim(names)
    .map((n) => {
      if (/^.*\s+DESC$/is.test(n)) return `${escapeName(n.replace(/\s+DESC$/i, ''), ctx)} DESC`;
      if (/^.*\s+ASC$/is.test(n)) return escapeName(n.replace(/\s+ASC$/i, ''), ctx);
      return escapeName(n, ctx);
    })
    .join(', ');
}

/** StringUtil.splitAndTrim(s, ","): pieces trimmed, empty ones kept out. */
export function splitAndTrim(s: string): string[] {
  return s
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

/** Java String.trim: strips characters up to U+0020 from both ends. */
export function javaTrim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  return s.slice(a, b);
}

/** The remarks literal Set{Table,Column}RemarksGenerator prints: trimmed, then quoted. */
export function remarksLiteral(remarks: string): string {
  return stringLiteral(javaTrim(remarks));
}

/** SQL string literal as Liquibase escapes it for PostgreSQL (only `'` doubled). */
export function stringLiteral(s: string): string {
  return `'${s.replaceAll("'", "''")}'`;
}
