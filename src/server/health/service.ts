import type { Config } from '../../config/schema.js';
import { maskUrl } from '../../errors.js';
import { failedMeasurement, measureDatabase, type DatabaseMeasurement } from './database-check.js';
import type { HistoryTables } from '../../db/history-tables.js';
import { measureDisk, measureMemory, type DiskUsage, type MemoryUsage } from './system-check.js';
import { worstStatus, type HealthStatus } from '../../health/status.js';
import type { RequestStats } from '../request-stats.js';

export interface ComponentHealth {
  status: HealthStatus;
  reason: string | null;
  [k: string]: unknown;
}

export interface HealthSnapshot {
  status: HealthStatus;
  measuredAt: number;
  components: { database: ComponentHealth; api: ComponentHealth; security: ComponentHealth; disk: ComponentHealth };
  database: DatabaseMeasurement | null;
  memory: MemoryUsage;
  disk: DiskUsage | { error: string };
  requests: ReturnType<RequestStats['lastMinute']>;
}

export interface HealthServiceOptions {
  config: Config;
  clock: () => number;
  stats: RequestStats;
  /** Users file facts for the security component. */
  security: () => Promise<{ users: number; fileMode: number | null }>;
  endpointsCount: () => number;
  /** The history tables to count (liveHistoryTables: the live package's, else the config's). */
  historyTables: () => Promise<HistoryTables>;
  aggregate?: (c: Record<string, { status: HealthStatus }>) => HealthStatus;
  onMeasured?: (s: HealthSnapshot) => void;
}

/**
 * Measures health, reusing the result for `server.health.cacheMs`. Past that, the request that finds the result
 * expired starts one measurement and waits for it; requests arriving while it runs get the previous result (at most
 * cacheMs + checkTimeoutMs old) instead of all queueing behind the database round trip — under load that queue was
 * the endpoint's p99. Without a previous result, every caller shares the one measurement.
 */
export class HealthService {
  private cached: HealthSnapshot | null = null;
  private inflight: Promise<HealthSnapshot> | null = null;

  constructor(private readonly opts: HealthServiceOptions) {}

  async snapshot(): Promise<HealthSnapshot> {
    const ready = this.current();
    if (ready) return ready;
    if (this.inflight) return this.inflight;
    this.inflight = this.measure().finally(() => {
      this.inflight = null;
    });
    return this.inflight;
  }

  /**
   * The snapshot `snapshot()` would answer at once (fresh, or the previous one while a measurement runs), without a
   * promise; undefined when the caller must wait for a measurement (call `snapshot()`).
   */
  current(): HealthSnapshot | undefined {
    if (!this.cached) return undefined;
    const { cacheMs, checkTimeoutMs } = this.opts.config.server.health;
    const age = this.opts.clock() - this.cached.measuredAt;
    if (age < cacheMs || (this.inflight && age < cacheMs + checkTimeoutMs)) return this.cached;
    return undefined;
  }

  private async measure(): Promise<HealthSnapshot> {
    const { config } = this.opts;
    const timeoutMs = config.server.health.checkTimeoutMs;
    const url = config.database.url;
    const [database, disk, security] = await Promise.all([
      url
        ? this.opts.historyTables().then(
            (tables) => measureDatabase(url, timeoutMs, tables),
            (e: unknown) => failedMeasurement(`history tables unknown: ${(e as Error).message}`),
          )
        : Promise.resolve(null),
      withTimeout(measureDisk(config.rootDir), timeoutMs, { error: `statfs took longer than ${timeoutMs} ms` }),
      withTimeout(
        this.opts.security().catch((e: unknown) => ({ error: String((e as Error)?.message ?? e) })),
        timeoutMs,
        null,
      ),
    ]);
    const requests = this.opts.stats.lastMinute();
    const components = {
      database: databaseComponent(database, url),
      api: apiComponent(requests, this.opts.endpointsCount()),
      security: securityComponent(security),
      disk: diskComponent(disk, config.server.health.diskDegradedPercent),
    };
    const status = (this.opts.aggregate ?? worstStatus)(components);
    const snap: HealthSnapshot = {
      status,
      measuredAt: this.opts.clock(),
      components,
      database,
      memory: measureMemory(),
      disk,
      requests,
    };
    this.cached = snap;
    this.opts.onMeasured?.(snap);
    return snap;
  }
}

function withTimeout<T>(p: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((resolve) => (timer = setTimeout(() => resolve(fallback), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

function databaseComponent(m: DatabaseMeasurement | null, url: string | undefined): ComponentHealth {
  if (!url || !m)
    return {
      status: 'DEGRADED',
      reason: 'database.url is not configured',
      migrationsCount: null,
      lastMigration: null,
      responseTime: null,
    };
  const base = {
    migrationsCount: m.migrationsCount,
    lastMigration: m.lastMigration,
    lastMigrationId: m.lastMigrationId,
    responseTime: m.responseTimeMs,
    serverVersion: m.serverVersion,
    url: maskUrl(url),
  };
  if (!m.ok) return { status: 'UNHEALTHY', reason: `database check failed: ${m.error}`, ...base };
  return { status: 'HEALTHY', reason: null, ...base };
}

function apiComponent(r: HealthSnapshot['requests'], endpoints: number): ComponentHealth {
  // Over 5 % server errors in the last minute (with enough traffic to mean something) is DEGRADED.
  const degraded = r.requests >= 20 && r.errorRate > 0.05;
  return {
    status: degraded ? 'DEGRADED' : 'HEALTHY',
    reason: degraded ? `${(r.errorRate * 100).toFixed(1)}% of requests failed in the last minute` : null,
    endpointsCount: endpoints,
    requestsLastMinute: r.requests,
    averageResponseTime: r.averageMs === null ? null : Math.round(r.averageMs * 100) / 100,
    errorRate: Math.round(r.errorRate * 10000) / 10000,
  };
}

function securityComponent(s: { users: number; fileMode: number | null } | { error: string } | null): ComponentHealth {
  if (!s) return { status: 'DEGRADED', reason: 'users file check timed out', usersConfigured: null };
  // An unreadable users file means nobody can sign in: the API is down for every protected route.
  if ('error' in s) return { status: 'UNHEALTHY', reason: s.error, usersConfigured: null };
  const mode = s.fileMode === null ? null : `0${s.fileMode.toString(8)}`;
  const facts = { usersConfigured: s.users, usersFileMode: mode, authMethods: ['basic', 'bearer', 'session'] };
  if (s.users === 0)
    return { status: 'DEGRADED', reason: 'no users configured: nobody can sign in (run `slipway user add`)', ...facts };
  if (s.fileMode !== null && (s.fileMode & 0o077) !== 0)
    return { status: 'DEGRADED', reason: `users file mode ${mode} is readable by others (chmod 600)`, ...facts };
  return { status: 'HEALTHY', reason: null, ...facts };
}

function diskComponent(d: DiskUsage | { error: string }, limit: number): ComponentHealth {
  if ('error' in d) return { status: 'DEGRADED', reason: d.error, usedPercent: null };
  const full = d.usedPercent >= limit;
  return {
    status: full ? 'DEGRADED' : 'HEALTHY',
    reason: full ? `disk ${d.usedPercent}% used (limit ${limit}%)` : null,
    usedPercent: d.usedPercent,
    freeBytes: d.freeBytes,
  };
}
