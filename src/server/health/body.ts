import type { HealthSnapshot } from './service.js';
import { toIetfStatus, type HealthStatus } from '../../health/status.js';

export interface HealthBodyContext {
  /** null when the config has no version (a deploy-only host). */
  version: string | null;
  serviceId: string;
  now: number;
  startedAt: number;
  activeConnections: number;
}

/**
 * The health body: the seed's shape (overall / components / metrics, so `jq -r '.overall.status'` gates keep working)
 * plus the IETF health-check fields (`status` pass|warn|fail, `checks`) for generic tools.
 */
export function renderHealthBody(s: HealthSnapshot, ctx: HealthBodyContext): Record<string, unknown> {
  const time = new Date(s.measuredAt).toISOString();
  const uptimeSeconds = Math.round((ctx.now - ctx.startedAt) / 1000);
  const disk = 'error' in s.disk ? { error: s.disk.error } : s.disk;
  const check = (
    componentType: string,
    status: HealthStatus,
    observedValue: unknown,
    observedUnit: string | null,
    output?: string | null,
  ) => [
    {
      componentType,
      status: toIetfStatus(status),
      observedValue,
      ...(observedUnit ? { observedUnit } : {}),
      time,
      ...(output ? { output } : {}),
    },
  ];
  const c = s.components;
  return {
    overall: {
      status: s.status,
      timestamp: new Date(ctx.now).toISOString(),
      version: ctx.version,
      uptime: uptimeSeconds,
      checkedAt: time,
    },
    components: c,
    metrics: {
      activeConnections: ctx.activeConnections,
      requestsPerMinute: s.requests.requests,
      memoryUsage: s.memory,
      diskUsage: disk,
    },
    status: toIetfStatus(s.status),
    version: ctx.version,
    serviceId: ctx.serviceId,
    checks: {
      'database:responseTime': check(
        'datastore',
        c.database.status,
        c.database.responseTime ?? null,
        'ms',
        c.database.reason,
      ),
      'database:migrations': check('datastore', c.database.status, c.database.migrationsCount ?? null, 'changesets'),
      'api:errorRate': check('component', c.api.status, c.api.errorRate, 'ratio', c.api.reason),
      'security:users': check(
        'component',
        c.security.status,
        c.security.usersConfigured ?? null,
        'users',
        c.security.reason,
      ),
      'disk:utilization': check('system', c.disk.status, c.disk.usedPercent ?? null, 'percent', c.disk.reason),
      'memory:utilization': check('system', 'HEALTHY', s.memory.rssBytes, 'bytes'),
      uptime: check('system', 'HEALTHY', uptimeSeconds, 's'),
    },
  };
}
