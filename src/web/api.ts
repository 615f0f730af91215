// The JSON API of `slipway serve` (src/server/API.md), as the web UI calls it. Every request is same-origin with the
// session cookie; every state-changing request carries the CSRF token (double-submit, see API.md "Browser sessions").

import type { FleetHostRecord, ReleaseRecord } from '../deploy/release-record.js';
import type { SessionInfo } from '../server/session-info.js';

export type { Permissions, SessionInfo } from '../server/session-info.js';

export type HealthStatus = 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY';

export interface HealthBody {
  overall: { status: HealthStatus; timestamp?: string; version?: string; uptime?: number; checkedAt?: string };
  components: Record<string, Record<string, unknown> & { status: HealthStatus | string; reason?: string | null }>;
  metrics?: Record<string, unknown>;
}

export type ChangeSetState = 'applied' | 'pending' | 'drift' | 'unknown';

export interface ChangeSetRow {
  id: string;
  author: string;
  filename: string;
  state: ChangeSetState;
  checksum: string | null;
  dateexecuted: string | null;
  orderexecuted: number | null;
  exectype: string | null;
  /** The tag this changeset sets (`<tagDatabase>`), if any. */
  tag?: string | null;
  /** What the changelog computes now; differs from `checksum` (the recorded one) on drift. */
  expectedChecksum?: string | null;
}

export interface ChangeSetsBody {
  applied: number;
  pending: number;
  drift: number;
  unknown: number;
  changeSets: ChangeSetRow[];
}

/** A release as GET /api/releases returns it (the deploy layer's own type). */
export type ReleaseRow = ReleaseRecord;

/** One host of an ssh target (the deploy layer's own type). */
export type FleetHostRow = FleetHostRecord;

export interface ReleasesBody {
  target: string;
  /** `ssh`: a fleet; `releases` is the fleet's record and `hosts` each host read over ssh. */
  type?: 'local' | 'ssh';
  releases: ReleaseRow[];
  hosts?: FleetHostRow[];
}

/** An API error with the server's code and message (never HTML). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

/** Fired on window when an API call answers 401 outside the login itself. */
export const SESSION_LOST = 'slipway:session-lost';

/** Remembers the CSRF token from the login or session answer. */
export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Calls the API; returns the Response for any status in `accept` (default: 2xx), else throws ApiError. */
export async function request(
  path: string,
  opts: { method?: string; body?: unknown; accept?: number[] } = {},
): Promise<Response> {
  const method = opts.method ?? 'GET';
  // X-Requested-With: the server then answers 401 without a Basic challenge, so the browser shows no login popup.
  const headers: Record<string, string> = {
    'x-requested-with': 'XMLHttpRequest',
    accept: 'application/json, text/plain',
  };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    if (csrfToken) headers['x-csrf-token'] = csrfToken;
  }
  const res = await fetch(path, {
    method,
    headers,
    credentials: 'same-origin',
    cache: 'no-store',
    ...(method !== 'GET' ? { body: JSON.stringify(opts.body ?? {}) } : {}),
  });
  if (res.ok || opts.accept?.includes(res.status)) return res;
  // The session expired or the server restarted (sessions live in memory): tell the app to show the login form.
  if (res.status === 401 && path !== '/api/login') dispatchEvent(new Event(SESSION_LOST));
  throw await toApiError(res);
}

async function toApiError(res: Response): Promise<ApiError> {
  let code = `HTTP_${res.status}`;
  let message = res.statusText || `HTTP ${res.status}`;
  let field: string | undefined;
  try {
    const body = (await res.json()) as { error?: { code?: string; message?: string; field?: string } };
    if (body.error?.code) code = body.error.code;
    if (body.error?.message) message = body.error.message;
    if (body.error?.field) field = body.error.field;
  } catch {
    // Not JSON (a proxy's error page): keep the status text.
  }
  const retry = Number(res.headers.get('retry-after'));
  return new ApiError(res.status, code, message, field, Number.isFinite(retry) && retry > 0 ? retry : undefined);
}

/** GET returning parsed JSON. */
export async function getJson<T>(path: string, accept?: number[]): Promise<T> {
  const res = await request(path, accept ? { accept } : {});
  return (await res.json()) as T;
}

export const api = {
  session: () => getJson<SessionInfo>('/api/session'),
  login: async (username: string, password: string) =>
    (await (await request('/api/login', { method: 'POST', body: { username, password } })).json()) as SessionInfo,
  logout: async () => void (await request('/api/logout', { method: 'POST', body: {} })),
  // 206 (DEGRADED) and 503 (UNHEALTHY) still carry the full health body.
  health: () => getJson<HealthBody>('/api/health', [206, 503]),
  changeSets: () => getJson<ChangeSetsBody>('/api/db/changesets'),
  releases: () => getJson<ReleasesBody>('/api/releases'),
  rollback: async (id: string, emergency: boolean) =>
    (await (
      await request(`/api/releases/${encodeURIComponent(id)}/rollback`, {
        method: 'POST',
        body: emergency ? { emergency: true } : {},
      })
    ).json()) as { target: string; to: string },
  manifestText: async (format: string) => (await request(`/api/manifest?format=${encodeURIComponent(format)}`)).text(),
  report: () => getJson<ReportBody>('/api/report'),
};

/** The parts of `<package>.report.json` (src/manifest/report.ts) the manifest page shows. */
export interface ReportBody {
  packageName: string;
  sha256: string;
  sizes: {
    before: { totalBytes: number; totalFiles: number; categories: { name: string; bytes: number }[] } | null;
    reduction: number | null;
  };
}

export interface PackageQuery {
  filename?: string;
  since?: string;
  sinceTag?: string;
  contexts?: string[];
}

/** Builds the package URL (only the parameters that are set). */
export function packageUrl(q: PackageQuery): string {
  const p = new URLSearchParams();
  if (q.filename) p.set('filename', q.filename);
  if (q.since) p.set('since', q.since);
  if (q.sinceTag) p.set('sinceTag', q.sinceTag);
  if (q.contexts?.length) p.set('contexts', q.contexts.join(','));
  const s = p.toString();
  return `/api/db/package.sql${s ? `?${s}` : ''}`;
}

/** Fetches the SQL package and returns its text, file name (from Content-Disposition) and changeset count. */
export async function fetchPackage(
  q: PackageQuery,
): Promise<{ sql: string; filename: string; changeSets: number | null }> {
  const res = await request(packageUrl(q));
  const cd = res.headers.get('content-disposition') ?? '';
  const filename = /filename="([^"]+)"/.exec(cd)?.[1] ?? 'database-package.sql';
  const n = res.headers.get('x-slipway-changesets');
  return { sql: await res.text(), filename, changeSets: n === null ? null : Number(n) };
}
