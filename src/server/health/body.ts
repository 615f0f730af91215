import type { HealthSnapshot } from './service.js';
import { toIetfStatus, type HealthStatus } from '../../health/status.js';
import { maskSecretsDeep } from '../../errors.js';

export interface HealthBodyContext {
  /** null when the config has no version (a deploy-only host). */
  version: string | null;
  serviceId: string;
  now: number;
  startedAt: number;
  activeConnections: number;
}

type Check = Record<string, unknown>;

/** The part of a health body that depends only on the snapshot and the config, masked once. */
interface SnapshotBody {
  overall: Record<string, unknown>;
  components: HealthSnapshot['components'];
  metrics: Record<string, unknown>;
  status: string;
  version: string | null;
  serviceId: string;
  checks: Record<string, Check[]>;
  uptimeCheck: Check;
}

// One rendered, masked body per snapshot: a snapshot is reused for server.health.cacheMs, and masking every string of
// the body on every request was the largest cost of GET /api/health under load.
const rendered = new WeakMap<HealthSnapshot, SnapshotBody>();

/**
 * The health body: the seed's shape (overall / components / metrics, so `jq -r '.overall.status'` gates keep working)
 * plus the IETF health-check fields (`status` pass|warn|fail, `checks`) for generic tools. Every string that comes
 * from a measurement goes through maskSecretsDeep (a check's reason may quote a connection string); the per-request
 * fields are numbers and the server's own clock.
 */
export function renderHealthBody(s: HealthSnapshot, ctx: HealthBodyContext): Record<string, unknown> {
  let b = rendered.get(s);
  if (!b || b.version !== ctx.version || b.serviceId !== ctx.serviceId) {
    b = renderSnapshotBody(s, ctx.version, ctx.serviceId);
    rendered.set(s, b);
  }
  const uptimeSeconds = Math.round((ctx.now - ctx.startedAt) / 1000);
  return {
    overall: {
      status: b.overall.status,
      timestamp: new Date(ctx.now).toISOString(),
      version: b.overall.version,
      uptime: uptimeSeconds,
      checkedAt: b.overall.checkedAt,
    },
    components: b.components,
    metrics: { activeConnections: ctx.activeConnections, ...b.metrics },
    status: b.status,
    version: b.version,
    serviceId: b.serviceId,
    checks: { ...b.checks, uptime: [{ ...b.uptimeCheck, observedValue: uptimeSeconds }] },
  };
}

function renderSnapshotBody(s: HealthSnapshot, version: string | null, serviceId: string): SnapshotBody {
  const time = new Date(s.measuredAt).toISOString();
  const disk = 'error' in s.disk ? { error: s.disk.error } : s.disk;
  const check = (
    componentType: string,
    status: HealthStatus,
    observedValue: unknown,
    observedUnit: string | null,
    output?: string | null,
  ): Check => ({
    componentType,
    status: toIetfStatus(status),
    observedValue,
    ...(observedUnit ? { observedUnit } : {}),
    time,
    ...(output ? { output } : {}),
  });
  const c = s.components;
  return maskSecretsDeep({
    overall: { status: s.status, version, checkedAt: time },
    components: c,
    metrics: {
      requestsPerMinute: s.requests.requests,
      memoryUsage: s.memory,
      diskUsage: disk,
    },
    status: toIetfStatus(s.status),
    version,
    serviceId,
    checks: {
      'database:responseTime': [
        check('datastore', c.database.status, c.database.responseTime ?? null, 'ms', c.database.reason),
      ],
      'database:migrations': [check('datastore', c.database.status, c.database.migrationsCount ?? null, 'changesets')],
      'api:errorRate': [check('component', c.api.status, c.api.errorRate, 'ratio', c.api.reason)],
      'security:users': [
        check('component', c.security.status, c.security.usersConfigured ?? null, 'users', c.security.reason),
      ],
      'disk:utilization': [check('system', c.disk.status, c.disk.usedPercent ?? null, 'percent', c.disk.reason)],
      'memory:utilization': [check('system', 'HEALTHY', s.memory.rssBytes, 'bytes')],
    },
    uptimeCheck: check('system', 'HEALTHY', 0, 's'),
  });
}
