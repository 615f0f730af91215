import type { CheckResult } from '../../fileset/types.js';
import { maskUrl } from '../../errors.js';
import { pingDatabase } from '../../db/connect.js';

/** host:port/db of a connection URL, for messages (never the password). */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname || u.searchParams.get('host') || 'localhost';
    return `${host}:${u.port || '5432'}/${decodeURIComponent(u.pathname.slice(1)) || '(default db)'}${u.username ? ` as ${decodeURIComponent(u.username)}` : ''}`;
  } catch {
    return maskUrl(url);
  }
}

/** PostgreSQL connectivity as a stage check, bounded by timeoutMs end to end (DBPKG's pingDatabase). */
export async function checkDatabase(url: string, timeoutMs: number): Promise<CheckResult> {
  const target = describeTarget(url);
  const r = await pingDatabase(url, timeoutMs);
  if (r.ok)
    return {
      name: 'database',
      status: 'pass',
      reason: `connected to PostgreSQL ${r.serverVersion ?? ''} at ${target}`,
      ms: r.ms,
    };
  // pingDatabase prefixes the masked URL; the target is already named in a friendlier form.
  const why = (r.error ?? 'unknown error').replace(`cannot connect to ${maskUrl(url)}: `, '');
  return {
    name: 'database',
    status: 'fail',
    reason: `cannot connect to PostgreSQL at ${target}: ${why}; check database.url and that the server is running`,
    ms: r.ms,
  };
}
