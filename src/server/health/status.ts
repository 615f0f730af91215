export type HealthStatus = 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY';

const RANK: Record<HealthStatus, number> = { HEALTHY: 0, DEGRADED: 1, UNHEALTHY: 2 };

/** Worst status wins (same rule as HEALTH's aggregateHealth; used when src/health/aggregate.ts is absent). */
export function worstStatus(components: Record<string, { status: HealthStatus }>): HealthStatus {
  let worst: HealthStatus = 'HEALTHY';
  for (const c of Object.values(components)) if (RANK[c.status] > RANK[worst]) worst = c.status;
  return worst;
}

/** IETF draft-inadarei-api-health-check status words. */
export function ietfStatus(s: HealthStatus): 'pass' | 'warn' | 'fail' {
  return s === 'HEALTHY' ? 'pass' : s === 'DEGRADED' ? 'warn' : 'fail';
}

/** HTTP status for a health status: 200 / degradedStatus (206 as the seed, or 200) / 503. */
export function httpStatusFor(s: HealthStatus, degradedStatus: 200 | 206): number {
  return s === 'HEALTHY' ? 200 : s === 'DEGRADED' ? degradedStatus : 503;
}
