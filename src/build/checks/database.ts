import pg from 'pg';
import type { CheckResult } from '../../fileset/types.js';
import { maskUrl } from '../../errors.js';

export interface PingResult {
  ok: boolean;
  ms: number;
  serverVersion?: string;
  error?: string;
}

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

/**
 * Connects, asks for the server version, disconnects; bounded by timeoutMs end to end; never throws.
 * Stage-local stand-in for DBPKG's pingDatabase (src/db/connect.ts did not exist when this was written).
 */
export async function pingPostgres(url: string, timeoutMs: number): Promise<PingResult> {
  const t0 = performance.now();
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: timeoutMs, query_timeout: timeoutMs });
  client.on('error', () => {}); // a late socket error after a timeout must not crash the process
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([client.connect(), deadline]);
    const r = await Promise.race([client.query<{ server_version: string }>('SHOW server_version'), deadline]);
    return { ok: true, ms: performance.now() - t0, serverVersion: r.rows[0]?.server_version ?? '' };
  } catch (e) {
    const err = e as Error & { code?: string };
    // pg messages do not contain the password; mask anyway in case a URL is echoed.
    const msg = maskUrl(err.message || String(e));
    return { ok: false, ms: performance.now() - t0, error: err.code && !msg.includes(err.code) ? `${err.code}: ${msg}` : msg };
  } finally {
    clearTimeout(timer);
    void client.end().catch(() => {});
  }
}

/** PostgreSQL connectivity as a stage check. */
export async function checkDatabase(url: string, timeoutMs: number): Promise<CheckResult> {
  const target = describeTarget(url);
  const r = await pingPostgres(url, timeoutMs);
  return r.ok
    ? { name: 'database', status: 'pass', reason: `connected to PostgreSQL ${r.serverVersion} at ${target}` }
    : { name: 'database', status: 'fail', reason: `cannot connect to PostgreSQL at ${target}: ${r.error}; check database.url and that the server is running` };
}
