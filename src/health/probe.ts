import { setTimeout as sleep } from 'node:timers/promises';
import { maskSecrets, maskUrl } from '../errors.js';
import { judgeHealthAnswer, type HealthExpect } from './expect.js';

export type { HealthStatus } from './status.js';
export type { HealthExpect } from './expect.js';
import type { HealthStatus } from './status.js';

export interface ProbeResult {
  /** UNREACHABLE means no HTTP response at all (refused, DNS, reset, timeout); then httpStatus is null. */
  status: HealthStatus | 'UNREACHABLE';
  httpStatus: number | null;
  ms: number;
  reason: string;
  /** Parsed JSON body, or null when there was none or it was not JSON. */
  body: unknown;
  /** When the answer failed because of what `health.expect` asks for: a hint naming the setting. */
  hint?: string;
}

export interface ProbeOptions {
  /** Whole request including the body; default 5000 ms. */
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** What the answer must show (health.expect); unset: the body's status field when present, else the HTTP code. */
  expect?: HealthExpect;
}

// A health body is small; a bigger one is a misconfigured URL (or hostile), not something to buffer.
const MAX_BODY_BYTES = 1024 * 1024;

/** One health probe; never throws and never takes longer than timeoutMs. */
export async function probeHealth(url: string, opts: ProbeOptions = {}): Promise<ProbeResult> {
  // AbortSignal.timeout() throws on a fractional or non-finite delay.
  const timeoutMs = Number.isFinite(opts.timeoutMs) ? Math.max(1, Math.round(opts.timeoutMs!)) : 5000;
  const started = performance.now();
  const elapsed = (): number => Math.round(performance.now() - started);
  let res: Response;
  try {
    const { target, headers } = splitCredentials(url, { accept: 'application/json', ...opts.headers });
    // The signal covers the body read as well as the headers, so a server that stalls mid-body cannot hang us.
    res = await fetch(target, { headers, signal: AbortSignal.timeout(timeoutMs) });
  } catch (e) {
    return {
      status: 'UNREACHABLE',
      httpStatus: null,
      ms: elapsed(),
      reason: describeFetchError(e, url, timeoutMs),
      body: null,
    };
  }
  const httpStatus = res.status;
  let text: string;
  try {
    text = await readLimited(res);
  } catch (e) {
    const why =
      (e as Error).name === 'TimeoutError' ? `body not complete within ${timeoutMs} ms` : (e as Error).message;
    return { status: 'UNHEALTHY', httpStatus, ms: elapsed(), reason: `HTTP ${httpStatus}: ${why}`, body: null };
  }
  const j = judgeHealthAnswer(httpStatus, text, opts.expect);
  return {
    status: j.status,
    httpStatus,
    ms: elapsed(),
    reason: j.reason,
    body: j.body,
    ...(j.hint ? { hint: j.hint } : {}),
  };
}

export interface WaitForHealthyOptions {
  url: string;
  timeoutMs: number;
  intervalMs: number;
  allowDegraded: boolean;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Per-probe timeout; default min(5000, timeoutMs), always cut to the time left. */
  probeTimeoutMs?: number;
  expect?: HealthExpect;
}

export interface WaitForHealthyResult {
  ok: boolean;
  attempts: number;
  last: ProbeResult;
  ms: number;
}

/** Probes until HEALTHY (or DEGRADED when allowed), the timeout passes, or the signal aborts. Never throws. */
export async function waitForHealthy(opts: WaitForHealthyOptions): Promise<WaitForHealthyResult> {
  const started = performance.now();
  const left = (): number => opts.timeoutMs - (performance.now() - started);
  let attempts = 0;
  let last: ProbeResult | undefined;
  while (!opts.signal?.aborted) {
    const probeTimeoutMs = Math.max(1, Math.min(opts.probeTimeoutMs ?? 5000, left()));
    last = await probeHealth(opts.url, {
      timeoutMs: probeTimeoutMs,
      ...(opts.headers ? { headers: opts.headers } : {}),
      ...(opts.expect ? { expect: opts.expect } : {}),
    });
    attempts++;
    if (last.status === 'HEALTHY' || (last.status === 'DEGRADED' && opts.allowDegraded)) {
      return { ok: true, attempts, last, ms: Math.round(performance.now() - started) };
    }
    const wait = Math.min(opts.intervalMs, left());
    if (wait <= 0) break;
    try {
      await sleep(wait, undefined, { signal: opts.signal });
    } catch {
      break; // aborted
    }
    // A probe squeezed into the last few ms would only report its own timeout, hiding the real last answer.
    if (left() < 5) break;
  }
  last ??= { status: 'UNREACHABLE', httpStatus: null, ms: 0, reason: 'aborted before the first probe', body: null };
  const why = opts.signal?.aborted ? 'aborted' : `not healthy within ${opts.timeoutMs} ms`;
  return {
    ok: false,
    attempts,
    last: { ...last, reason: `${why}; last probe: ${last.reason}` },
    ms: Math.round(performance.now() - started),
  };
}

/**
 * fetch() refuses URLs with user:password; a health URL written as http://user:pass@host/… (as curl -u users
 * do) is sent as HTTP Basic instead, unless an Authorization header is given.
 */
export function splitCredentials(
  url: string,
  headers: Record<string, string>,
): { target: string; headers: Record<string, string> } {
  const u = new URL(url);
  if (!u.username && !u.password) return { target: url, headers };
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  const hasAuth = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  return {
    target: u.toString(),
    headers: hasAuth
      ? headers
      : { ...headers, authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` },
  };
}

async function readLimited(res: Response): Promise<string> {
  if (!res.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new Error(`health body larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function describeFetchError(e: unknown, url: string, timeoutMs: number): string {
  const err = e as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const where = maskUrl(url);
  if (err.name === 'TimeoutError' || err.name === 'AbortError')
    return `no complete response from ${where} within ${timeoutMs} ms`;
  const code = err.cause?.code;
  if (code === 'ECONNREFUSED') return `connection refused by ${where} (is the app running and listening on that port?)`;
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return `host of ${where} not found (${code})`;
  // Error texts can quote the URL; never let a password through.
  const detail = (err.cause?.message ?? err.message ?? String(e)).split(url).join(where);
  return `request to ${where} failed: ${code ? `${code} ` : ''}${maskSecrets(detail)}`;
}
