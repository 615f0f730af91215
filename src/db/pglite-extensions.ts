/**
 * Extensions a package creates, and which of them PGlite can provide: its contrib modules ship inside
 * @electric-sql/pglite (`@electric-sql/pglite/contrib/<name>`) and must be registered when PGlite starts.
 */

/** The contrib modules of @electric-sql/pglite 0.5 (dist/contrib), by SQL extension name. */
export const PGLITE_CONTRIB = new Set([
  'amcheck',
  'auto_explain',
  'bloom',
  'btree_gin',
  'btree_gist',
  'citext',
  'cube',
  'dict_int',
  'dict_xsyn',
  'earthdistance',
  'file_fdw',
  'fuzzystrmatch',
  'hstore',
  'intarray',
  'isn',
  'lo',
  'ltree',
  'moddatetime',
  'pageinspect',
  'pg_buffercache',
  'pg_freespacemap',
  'pg_stat_statements',
  'pg_surgery',
  'pg_trgm',
  'pg_visibility',
  'pg_walinspect',
  'pgcrypto',
  'seg',
  'tablefunc',
  'tcn',
  'tsm_system_rows',
  'tsm_system_time',
  'unaccent',
  'uuid-ossp',
]);

/** PostgreSQL extensions built into every server, PGlite included (nothing to load). */
const BUILT_IN = new Set(['plpgsql']);

/** Names of the extensions `CREATE EXTENSION` statements in `sql` ask for, lower-case, in first-seen order. */
export function requiredExtensions(sql: string): string[] {
  const re = /\bcreate\s+extension\s+(?:if\s+not\s+exists\s+)?("(?:[^"]|"")+"|[a-z_][\w$-]*)/gi;
  const out = new Set<string>();
  for (const m of sql.matchAll(re)) {
    const raw = m[1]!;
    const name = raw.startsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw.toLowerCase();
    if (!BUILT_IN.has(name)) out.add(name);
  }
  return [...out];
}

/** The PGlite module export name for an extension (`uuid-ossp` → `uuid_ossp`). */
export function contribModule(extension: string): string {
  return extension.replaceAll('-', '_');
}
