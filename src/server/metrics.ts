import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';

/** The Prometheus metrics of one server instance (own registry, so several apps can live in one process). */
export interface ServerMetrics {
  registry: Registry;
  requests: Counter<'method' | 'route' | 'status'>;
  latency: Histogram<'method' | 'route'>;
  healthStatus: Gauge<'component'>;
  deploys: Counter<'result'>;
  rollbacks: Counter<'result'>;
  dbCheck: Histogram<'outcome'>;
  packages: Counter<'outcome'>;
}

export const HEALTH_VALUE = { HEALTHY: 2, DEGRADED: 1, UNHEALTHY: 0 } as const;

/** Creates the registry with default process metrics plus the server's own. */
export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'slipway_' });
  const opts = { registers: [registry] };
  return {
    registry,
    requests: new Counter({
      name: 'slipway_http_requests_total',
      help: 'HTTP requests by route template and status',
      labelNames: ['method', 'route', 'status'],
      ...opts,
    }),
    latency: new Histogram({
      name: 'slipway_http_request_duration_seconds',
      help: 'HTTP request latency by route template',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      ...opts,
    }),
    healthStatus: new Gauge({
      name: 'slipway_health_status',
      help: 'Last measured health: 2 HEALTHY, 1 DEGRADED, 0 UNHEALTHY',
      labelNames: ['component'],
      ...opts,
    }),
    deploys: new Counter({
      name: 'slipway_deploys_total',
      help: 'Deploys recorded in the target journal since the server started watching',
      labelNames: ['result'],
      ...opts,
    }),
    rollbacks: new Counter({
      name: 'slipway_rollbacks_total',
      help: 'Rollbacks requested through this server',
      labelNames: ['result'],
      ...opts,
    }),
    dbCheck: new Histogram({
      name: 'slipway_database_check_duration_seconds',
      help: 'Database health check round trip',
      labelNames: ['outcome'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2],
      ...opts,
    }),
    packages: new Counter({
      name: 'slipway_sql_packages_total',
      help: 'SQL package downloads by outcome',
      labelNames: ['outcome'],
      ...opts,
    }),
  };
}
