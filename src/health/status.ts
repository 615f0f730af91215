/**
 * Health status vocabulary and its mappings: Slipway/seed status (HEALTHY/DEGRADED/UNHEALTHY) ↔ IETF health-check
 * draft status (pass/warn/fail, draft-inadarei-api-health-check §3.1) ↔ HTTP status code (seed: 200/206/503).
 * Pure functions: the server (issue 5) renders with them and the probe reads with them, so both agree.
 */
export type HealthStatus = 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY';
export type IetfStatus = 'pass' | 'warn' | 'fail';

export const HEALTH_STATUSES: readonly HealthStatus[] = ['HEALTHY', 'DEGRADED', 'UNHEALTHY'];

const RANK: Record<HealthStatus, number> = { HEALTHY: 0, DEGRADED: 1, UNHEALTHY: 2 };

/** The worse of two statuses. */
export function worseStatus(a: HealthStatus, b: HealthStatus): HealthStatus {
  return RANK[b] > RANK[a] ? b : a;
}

/** The worst status of named components (HEALTHY when there are none). */
export function worstStatus(components: Record<string, { status: HealthStatus }>): HealthStatus {
  return Object.values(components).reduce<HealthStatus>((w, c) => worseStatus(w, c.status), 'HEALTHY');
}

/** HEALTHY → pass, DEGRADED → warn, UNHEALTHY → fail. */
export function toIetfStatus(status: HealthStatus): IetfStatus {
  return status === 'HEALTHY' ? 'pass' : status === 'DEGRADED' ? 'warn' : 'fail';
}

/**
 * Reads an IETF status, including the aliases the draft allows ("ok"/"up" for pass, "error"/"down" for fail),
 * case-insensitively; undefined for anything else.
 */
export function fromIetfStatus(value: string): HealthStatus | undefined {
  switch (value.toLowerCase()) {
    case 'pass':
    case 'ok':
    case 'up':
      return 'HEALTHY';
    case 'warn':
      return 'DEGRADED';
    case 'fail':
    case 'error':
    case 'down':
      return 'UNHEALTHY';
    default:
      return undefined;
  }
}

/** Reads a seed status ("HEALTHY"…), case-insensitively; undefined for anything else. */
export function parseHealthStatus(value: string): HealthStatus | undefined {
  const upper = value.toUpperCase();
  return (HEALTH_STATUSES as readonly string[]).includes(upper) ? (upper as HealthStatus) : undefined;
}

export interface HttpCodeOptions {
  /** Code for DEGRADED: the seed's 206, or 200 because some load balancers treat 206 as a failure. */
  degradedCode?: 200 | 206;
}

/** HEALTHY → 200, DEGRADED → 206 (or 200 when configured), UNHEALTHY → 503. */
export function httpCodeForStatus(status: HealthStatus, opts: HttpCodeOptions = {}): 200 | 206 | 503 {
  if (status === 'HEALTHY') return 200;
  if (status === 'DEGRADED') return opts.degradedCode ?? 206;
  return 503;
}

/**
 * The best status an HTTP code allows: 206 → DEGRADED, other 2xx → HEALTHY, anything else (4xx, 5xx, an
 * unfollowed 3xx) → UNHEALTHY. The body can only make it worse (see probeHealth).
 */
export function statusForHttpCode(code: number): HealthStatus {
  if (code === 206) return 'DEGRADED';
  if (code >= 200 && code < 300) return 'HEALTHY';
  return 'UNHEALTHY';
}
