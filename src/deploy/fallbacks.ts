/**
 * Minimal stand-ins for contract functions whose modules have not landed yet (see contracts.ts). Hand-written
 * because they are temporary and tiny; the real ones live in src/db and src/health.
 */
import { spawn } from 'node:child_process';
import pg from 'pg';
import { SlipwayError, maskUrl } from '../errors.js';
import type { ApplyResult, ChangeSetIndexEntry, ChangeSetKey, ProbeResult, WaitResult } from './contracts.js';

async function readChangelogKeys(databaseUrl: string): Promise<Set<string>> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{ k: string }>(
      `SELECT id || E'\\x1f' || author || E'\\x1f' || filename AS k FROM databasechangelog`,
    ).catch(() => ({ rows: [] as { k: string }[] }));
    return new Set(r.rows.map((x) => x.k));
  } finally {
    await c.end();
  }
}

/** Runs SQL with psql (ON_ERROR_STOP); `executed` = changelog rows this run added. Password passed by env only. */
export async function applySqlWithPsql(opts: { databaseUrl: string; sql: string; signal?: AbortSignal }): Promise<ApplyResult> {
  const t0 = performance.now();
  const before = await readChangelogKeys(opts.databaseUrl);
  const url = new URL(opts.databaseUrl);
  const password = decodeURIComponent(url.password);
  url.password = '';
  const child = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', url.toString(), '-f', '-'], {
    env: { ...process.env, ...(password ? { PGPASSWORD: password } : {}) },
    stdio: ['pipe', 'ignore', 'pipe'],
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(opts.sql);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  const after = await readChangelogKeys(opts.databaseUrl);
  const executed: ChangeSetKey[] = [...after]
    .filter((k) => !before.has(k))
    .map((k) => {
      const [id, author, filename] = k.split('\x1f') as [string, string, string];
      return { id, author, filename };
    });
  if (code !== 0) {
    throw new SlipwayError('E_DB', `migration failed on ${maskUrl(opts.databaseUrl)}: ${stderr.trim().split('\n')[0] ?? 'psql exited ' + code}`, {
      details: [...stderr.trim().split('\n').slice(0, 10), `changesets executed before the failure: ${executed.length}`],
      hint: 'Fix the changeset and build a new package; the live release was not switched.',
    });
  }
  return { executed, skipped: 0, ms: performance.now() - t0 };
}

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

/** Probes a health URL: seed shape (overall.status) or IETF (status pass|warn|fail); else HTTP status decides. */
export async function probeByFetch(url: string, opts: { timeoutMs?: number } = {}): Promise<ProbeResult> {
  const t0 = performance.now();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(opts.timeoutMs ?? 2000) });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      /* plain-text health endpoint */
    }
    const b = body as { overall?: { status?: string }; status?: string } | null;
    const raw = String(b?.overall?.status ?? b?.status ?? '').toLowerCase();
    const status =
      raw === 'healthy' || raw === 'pass' || raw === 'ok' || raw === 'up' ? 'HEALTHY'
        : raw === 'degraded' || raw === 'warn' ? 'DEGRADED'
          : raw ? 'UNHEALTHY'
            : res.ok ? 'HEALTHY' : 'UNHEALTHY';
    return { status, httpStatus: res.status, ms: performance.now() - t0, reason: `HTTP ${res.status}${raw ? ` status ${raw}` : ''}`, body };
  } catch (e) {
    return { status: 'UNREACHABLE', httpStatus: null, ms: performance.now() - t0, reason: (e as Error).message, body: null };
  }
}

/** Polls until HEALTHY (or DEGRADED when allowed) or the timeout passes. */
export async function waitForHealthyByFetch(opts: { url: string; timeoutMs: number; intervalMs: number; allowDegraded: boolean; signal?: AbortSignal }): Promise<WaitResult> {
  const t0 = performance.now();
  let attempts = 0;
  for (;;) {
    attempts++;
    const last = await probeByFetch(opts.url, { timeoutMs: Math.min(2000, opts.timeoutMs) });
    if (last.status === 'HEALTHY' || (last.status === 'DEGRADED' && opts.allowDegraded)) return { ok: true, attempts, last, ms: performance.now() - t0 };
    if (performance.now() - t0 + opts.intervalMs > opts.timeoutMs || opts.signal?.aborted) return { ok: false, attempts, last, ms: performance.now() - t0 };
    await new Promise((r) => setTimeout(r, opts.intervalMs));
  }
}
