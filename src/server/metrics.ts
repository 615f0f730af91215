import { Registry, Counter, Histogram, Gauge, collectDefaultMetrics } from 'prom-client';

/** The Prometheus metrics of one server instance (own registry, so several apps can live in one process). */
export interface ServerMetrics {
  registry: Registry;
  /** Request counts not yet added to `requests` (routeRecorder's; added when the registry is read). */
  pendingRequests: PendingCount[];
  /** Latencies not yet added to `latency` (routeRecorder's; added when the registry is read). */
  pendingLatency: PendingLatency[];
  requests: Counter<'method' | 'route' | 'status'>;
  latency: Histogram<'method' | 'route'>;
  healthStatus: Gauge<'component'>;
  deploys: Counter<'result'>;
  rollbacks: Counter<'result'>;
  dbCheck: Histogram<'outcome'>;
  packages: Counter<'outcome'>;
}

export const HEALTH_VALUE = { HEALTHY: 2, DEGRADED: 1, UNHEALTHY: 0 } as const;

/** One label set's requests counted since the registry was last read. */
interface PendingCount {
  labels: Record<'method' | 'route' | 'status', string>;
  count: number;
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/** One label set's latencies observed since the registry was last read: per-bucket counts (not cumulative), sum. */
interface PendingLatency {
  labels: Record<'method' | 'route', string>;
  buckets: Float64Array;
  sum: number;
  count: number;
}

/** prom-client's record of one label set of a histogram (Histogram#hashMap's values, what observe() updates). */
interface HistogramEntry {
  labels: object;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/** Creates the registry with default process metrics plus the server's own. */
export function createMetrics(): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'slipway_' });
  const opts = { registers: [registry] };
  const pendingRequests: PendingCount[] = [];
  const pendingLatency: PendingLatency[] = [];
  return {
    registry,
    pendingRequests,
    pendingLatency,
    requests: new Counter({
      name: 'slipway_http_requests_total',
      help: 'HTTP requests by route template and status',
      labelNames: ['method', 'route', 'status'],
      // Requests are counted in plain numbers (routeRecorder) and added here whenever the registry is read: a
      // labelled inc() validates the labels and builds a label-set key every time (~0.35 µs a call in a
      // micro-benchmark on this machine, about 1% of a GET /api/health).
      collect() {
        for (const p of pendingRequests) {
          if (p.count === 0) continue;
          this.inc(p.labels, p.count);
          p.count = 0;
        }
      },
      ...opts,
    }),
    latency: new Histogram({
      name: 'slipway_http_request_duration_seconds',
      help: 'HTTP request latency by route template',
      labelNames: ['method', 'route'],
      buckets: LATENCY_BUCKETS,
      // Latencies are counted per bucket in plain numbers (routeRecorder) and added here whenever the registry is read:
      // a labelled observe() validates and hashes the labels every time (~2.5% of a GET /api/health's CPU in a profile).
      collect() {
        foldLatency(this, pendingLatency);
      },
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

/**
 * Records the answered requests of one route (its template, or 'unmatched'): the label objects of each method and
 * status are built once, and the count is a plain number added to the counter when the registry is read. Methods are
 * the route's own (Node's parser accepts only known ones) and statuses are few, so the maps stay small.
 */
export function routeRecorder(
  m: ServerMetrics,
  route: string,
): (method: string, status: number, seconds: number) => void {
  // By status code in a sparse array: a Map keyed by a number hashes it (a seeded hash) on every lookup.
  type Labels = { latency: PendingLatency; byStatus: PendingCount[] };
  const byMethod = new Map<string, Labels>();
  return (method, status, seconds) => {
    let l = byMethod.get(method);
    if (!l) {
      const latency = {
        labels: { method, route },
        buckets: new Float64Array(LATENCY_BUCKETS.length),
        sum: 0,
        count: 0,
      };
      m.pendingLatency.push(latency);
      byMethod.set(method, (l = { latency, byStatus: [] }));
    }
    let p = l.byStatus[status];
    if (!p) {
      p = { labels: { method, route, status: String(status) }, count: 0 };
      l.byStatus[status] = p;
      m.pendingRequests.push(p);
    }
    p.count++;
    const lat = l.latency;
    // As prom-client's observe(): the first bucket whose upper bound holds the value; above the last, only +Inf.
    if (!Number.isFinite(seconds)) throw new TypeError(`Value is not a valid number: ${seconds}`);
    let i = 0;
    while (i < LATENCY_BUCKETS.length && seconds > LATENCY_BUCKETS[i]!) i++;
    if (i < LATENCY_BUCKETS.length) lat.buckets[i]! += 1;
    lat.sum += seconds;
    lat.count++;
  };
}

/**
 * Adds the pending latencies to the histogram's own record of each label set — what observe() would have left there
 * after the same calls: the counts of each bucket, the count and the sum. prom-client has no call that adds a batch, so
 * this writes its record (created by the public zero() the first time), the fields its observe() writes.
 */
function foldLatency(h: Histogram<'method' | 'route'>, pending: PendingLatency[]): void {
  const map = (h as unknown as { hashMap: Record<string, HistogramEntry> }).hashMap;
  let entries: HistogramEntry[] | null = null;
  for (const p of pending) {
    if (p.count === 0) continue;
    // By value, as prom-client keys them (two recorders of one route, GET and its HEAD twin, share a label set).
    const same = (x: HistogramEntry) => {
      const l = x.labels as Record<string, unknown>;
      return l['method'] === p.labels.method && l['route'] === p.labels.route;
    };
    entries ??= Object.values(map);
    let e = entries.find(same);
    if (!e) {
      h.zero(p.labels);
      entries = Object.values(map);
      e = entries.find(same)!;
    }
    for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
      e.bucketValues[LATENCY_BUCKETS[i]!]! += p.buckets[i]!;
      p.buckets[i] = 0;
    }
    e.sum += p.sum;
    e.count += p.count;
    p.sum = 0;
    p.count = 0;
  }
}
