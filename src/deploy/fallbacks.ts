/**
 * Stand-in for DBPKG's planRollbackSql while src/db/rollback.ts has not landed (see contracts.ts). Hand-written
 * because it is temporary and tiny.
 */
import { SlipwayError } from '../errors.js';
import type { ChangeSetIndexEntry, ChangeSetKey } from './contracts.js';

const q = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** Rollback SQL for exactly `keys`, newest first; throws E_ROLLBACK naming every changeset without rollback SQL. */
export function planRollbackSqlFromIndex(index: ChangeSetIndexEntry[], keys: ChangeSetKey[]): string {
  const find = (k: ChangeSetKey) => index.find((e) => e.id === k.id && e.author === k.author && e.filename === k.filename);
  const missing = keys.filter((k) => !find(k)?.rollback?.length);
  if (missing.length) {
    throw new SlipwayError('E_ROLLBACK', `${missing.length} changeset(s) have no rollback SQL`, {
      details: missing.map((k) => `${k.filename}::${k.id}::${k.author}`),
      hint: 'Add <rollback> blocks to these changesets, or restore the database from the pg_dump backup.',
    });
  }
  const parts = ['BEGIN;'];
  for (const k of [...keys].reverse()) {
    for (const stmt of find(k)!.rollback!) parts.push(stmt.trim().replace(/;?$/, ';'));
    parts.push(`DELETE FROM databasechangelog WHERE id = ${q(k.id)} AND author = ${q(k.author)} AND filename = ${q(k.filename)};`);
  }
  parts.push('COMMIT;');
  return parts.join('\n') + '\n';
}
