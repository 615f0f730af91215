import type { SqlSession } from './session.js';
import { sha256Hex } from '../fileset/hash.js';

/**
 * A normalised catalog dump: tables/columns (type, nullability, default), constraints, indexes, functions (identity
 * arguments + body), views (definition text) in user schemas, sorted. PostgreSQL 18 (PGlite) also lists NOT NULL as
 * pg_constraint rows (contype 'n'); they are left out (columns carry nullability) so PGlite and PostgreSQL 15 agree
 * (checked in test/integration/db-verify.test.ts). View text comes from pg_get_viewdef, whose formatting may still
 * differ between other major versions.
 */
export const FINGERPRINT_QUERY = `
SELECT line FROM (
  SELECT 'column ' || c.table_schema || '.' || c.table_name || '.' || c.column_name || ' ' ||
         format_type(a.atttypid, a.atttypmod) || CASE WHEN c.is_nullable = 'NO' THEN ' not null' ELSE '' END ||
         COALESCE(' default ' || c.column_default, '') AS line
    FROM information_schema.columns c
    JOIN pg_catalog.pg_attribute a ON a.attrelid = (quote_ident(c.table_schema) || '.' || quote_ident(c.table_name))::regclass AND a.attname = c.column_name
   WHERE c.table_schema NOT IN ('pg_catalog', 'information_schema') AND c.table_schema NOT LIKE 'pg\\_%'
  UNION ALL
  SELECT 'constraint ' || n.nspname || '.' || r.relname || '.' || con.conname || ' ' || pg_get_constraintdef(con.oid)
    FROM pg_catalog.pg_constraint con JOIN pg_catalog.pg_class r ON r.oid = con.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = r.relnamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' AND con.contype <> 'n'
  UNION ALL
  SELECT 'index ' || schemaname || '.' || indexname || ' ' || indexdef FROM pg_catalog.pg_indexes
   WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg\\_%'
  UNION ALL
  SELECT 'function ' || n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ') ' || md5(COALESCE(p.prosrc, ''))
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
   WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%'
  UNION ALL
  SELECT 'view ' || schemaname || '.' || viewname || ' ' || md5(regexp_replace(definition, '\\s+', ' ', 'g')) FROM pg_catalog.pg_views
   WHERE schemaname NOT IN ('pg_catalog', 'information_schema') AND schemaname NOT LIKE 'pg\\_%'
) s ORDER BY line COLLATE "C"`;

/** sha256 over the normalised catalog lines ("sha256:<hex>"). */
export async function fingerprintSchema(session: SqlSession): Promise<{ fingerprint: string; lines: string[] }> {
  const r = await session.query(FINGERPRINT_QUERY);
  const lines = r.rows.map((row) => row.line ?? '');
  return { fingerprint: 'sha256:' + sha256Hex(lines.join('\n')), lines };
}
