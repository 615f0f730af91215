import { randomUUID } from 'node:crypto';
import type { HealthSnapshot } from './service.js';
import { toIetfStatus, type HealthStatus } from '../../health/status.js';
import { maskSecretsDeep } from '../../errors.js';
import { toSafeJson } from '../safe-json.js';
import { isoTime } from '../iso-time.js';

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
  /** The body as JSON text with the per-request fields cut out; undefined until first asked for. */
  json?: JsonTemplate | null;
}

/** The fields of a body that change with every request (the server's clock and its open connections). */
interface RequestFields {
  timestamp: unknown;
  uptime: unknown;
  activeConnections: unknown;
}

type RequestField = keyof RequestFields;

/** Serialised JSON around the per-request fields (FIELD_ORDER): parts[0] field[0] parts[1] … field[n-1] parts[n]. */
interface JsonTemplate {
  parts: string[];
  /** The last body filled in, and the per-request inputs it was filled in with (reused while they are the same). */
  last: { now: number; startedAt: number; activeConnections: number; json: string } | null;
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
  const uptime = Math.round((ctx.now - ctx.startedAt) / 1000);
  return bodyOf(snapshotBody(s, ctx), {
    timestamp: isoTime(ctx.now),
    uptime,
    activeConnections: ctx.activeConnections,
  });
}

/**
 * renderHealthBody as the JSON text every JSON answer is (toSafeJson), the same bytes: the snapshot's part is
 * serialised once per snapshot and each request only fills in its clock fields and connection count. Serialising the
 * whole 2 kB body per request was the largest single cost of GET /api/health.
 */
export function renderHealthJson(s: HealthSnapshot, ctx: HealthBodyContext): string {
  const b = snapshotBody(s, ctx);
  if (b.json === undefined) b.json = jsonTemplate(b);
  const t = b.json;
  if (!t) return toSafeJson(renderHealthBody(s, ctx));
  // Requests within one millisecond with the same connection count get the same text: under load (tens of requests a
  // millisecond) the body is built, and flattened into one string by its first writer, once for all of them.
  const last = t.last;
  if (
    last !== null &&
    last.now === ctx.now &&
    last.activeConnections === ctx.activeConnections &&
    last.startedAt === ctx.startedAt
  )
    return last.json;
  // An ISO date holds only digits, `-`, `:`, `.`, `T` and `Z`: nothing JSON or toSafeJson would escape.
  const timestamp = isoTime(ctx.now);
  const uptime = jsonNumber(Math.round((ctx.now - ctx.startedAt) / 1000));
  const p = t.parts;
  // The fields in FIELD_ORDER (jsonTemplate refuses any other order): timestamp, uptime, activeConnections, uptime.
  // Joined, not concatenated: a join is one flat string, whose UTF-8 length (Fastify's content-length, per request)
  // Node counts on its fast path; a concatenation is a rope that Buffer.byteLength walks on the slow path (~2.7k
  // instructions a request for this body, callgrind).
  const out = [
    p[0],
    '"',
    timestamp,
    '"',
    p[1],
    uptime,
    p[2],
    jsonNumber(ctx.activeConnections),
    p[3],
    uptime,
    p[4],
  ].join('');
  t.last = { now: ctx.now, startedAt: ctx.startedAt, activeConnections: ctx.activeConnections, json: out };
  return out;
}

/** A number as JSON.stringify writes it (a finite number as JavaScript prints it, else null), without its call. */
const jsonNumber = (n: number): string => (Number.isFinite(n) ? `${n}` : 'null');

function snapshotBody(s: HealthSnapshot, ctx: HealthBodyContext): SnapshotBody {
  let b = rendered.get(s);
  if (!b || b.version !== ctx.version || b.serviceId !== ctx.serviceId) {
    b = renderSnapshotBody(s, ctx.version, ctx.serviceId);
    rendered.set(s, b);
  }
  return b;
}

function bodyOf(b: SnapshotBody, r: RequestFields): Record<string, unknown> {
  return {
    overall: {
      status: b.overall.status,
      timestamp: r.timestamp,
      version: b.overall.version,
      uptime: r.uptime,
      checkedAt: b.overall.checkedAt,
    },
    components: b.components,
    metrics: { activeConnections: r.activeConnections, ...b.metrics },
    status: b.status,
    version: b.version,
    serviceId: b.serviceId,
    checks: { ...b.checks, uptime: [{ ...b.uptimeCheck, observedValue: r.uptime }] },
  };
}

// Stand-ins for the per-request fields while the template is serialised: a per-process random marker, which no
// measured string can hold; if one ever did, the field check below refuses the template and every request of that
// snapshot is serialised whole.
const MARK = `slipway-field:${randomUUID()}:`;
const FIELD_ORDER: readonly RequestField[] = ['timestamp', 'uptime', 'activeConnections', 'uptime'];
const MARKED = new RegExp(`"${MARK}(timestamp|uptime|activeConnections)"`);

function jsonTemplate(b: SnapshotBody): JsonTemplate | null {
  const marked = toSafeJson(
    bodyOf(b, {
      timestamp: `${MARK}timestamp`,
      uptime: `${MARK}uptime`,
      activeConnections: `${MARK}activeConnections`,
    }),
  );
  // split with a capturing group: text, field, text, field, …, text.
  const pieces = marked.split(MARKED);
  const parts = pieces.filter((_, i) => i % 2 === 0);
  const fields = pieces.filter((_, i) => i % 2 === 1) as RequestField[];
  if (fields.length !== FIELD_ORDER.length || fields.some((f, i) => f !== FIELD_ORDER[i])) return null;
  return { parts, last: null };
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

/** The public body's JSON around its one per-request field (the timestamp), per snapshot. */
const publicRendered = new WeakMap<HealthSnapshot, { head: string; tail: string }>();

/**
 * The health body for a caller without credentials on a public /api/health (`server.health.public`: load balancers,
 * probes): the statuses a gate reads — `overall{status,timestamp,checkedAt}`, each component's `status`, the IETF
 * `status` — and nothing else. No reasons (a failed check's text can name the database host, a path, an error of the
 * users file), versions, addresses, paths, counts or resource figures: those are for signed-in viewers.
 */
export function renderPublicHealthJson(s: HealthSnapshot, now: number): string {
  let t = publicRendered.get(s);
  if (!t) {
    const components: Record<string, { status: HealthStatus }> = {};
    for (const [name, c] of Object.entries(s.components)) components[name] = { status: c.status };
    // Statuses and ISO times hold nothing JSON or toSafeJson would escape; toSafeJson all the same, as for any body.
    const [head, tail] = toSafeJson({
      overall: { status: s.status, timestamp: MARK, checkedAt: new Date(s.measuredAt).toISOString() },
      components,
      status: toIetfStatus(s.status),
    }).split(`"${MARK}"`) as [string, string];
    t = { head: `${head}"`, tail: `"${tail}` };
    publicRendered.set(s, t);
  }
  return [t.head, isoTime(now), t.tail].join(''); // one flat string (renderHealthJson says why)
}
