#!/usr/bin/env node
// UMIG stand-in server.
//
// In production UMIG runs inside Confluence: ScriptRunner serves the REST endpoints in src/groovy and Confluence
// serves the web assets. For local runs, deploy rehearsals and Slipway's own tests this zero-dependency Node server
// plays both roles: it serves src/web (or application/web inside a release) and answers the ScriptRunner URLs the
// front end and the deployment tooling call — above all the health endpoint, in the exact body shape of the
// Groovy endpoint (src/groovy/umig/api/v2/DatabaseVersionsApi.groovy).
//
// Every figure it reports is measured in this process (uptime, request counters, memory, disk, database round trip);
// what it cannot measure is null with a reason.
//
// Environment:
//   PORT, HOST                 listen address (default 127.0.0.1:8090)
//   DATABASE_URL               PostgreSQL URL; the health check runs `psql` against databasechangelog
//   UMIG_FORCE_STATUS          UNHEALTHY | DEGRADED: report that overall status (simulates a bad release)
//   UMIG_FAIL_RATE             0..1: that share of API requests (not health/metrics) answer 500
//   UMIG_DELAY_MS              added latency for API requests (simulates a slow release)
//   UMIG_DB_CHECK_CACHE_MS     how long a database check result is reused (default 1000)

import http from 'node:http';
import { execFile } from 'node:child_process';
import { readFileSync, existsSync, statfsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { sampleData } from './sample-data.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
// The same relative layout holds in the source tree (src/server -> src/web) and in a release
// (application/server -> application/web), so one lookup serves both.
const webRoot = path.resolve(here, '../web');
const appRoot = path.resolve(here, '../..');

const PORT = Number.parseInt(process.env.PORT ?? '8090', 10);
const HOST = process.env.HOST ?? '127.0.0.1';
const API_PREFIX = '/rest/scriptrunner/latest/custom';
const HEALTH_PATH = `${API_PREFIX}/databaseVersions/health`;
const DB_TIMEOUT_MS = 2000;
const DB_CACHE_MS = Number.parseInt(process.env.UMIG_DB_CHECK_CACHE_MS ?? '1000', 10);
const FORCED = (process.env.UMIG_FORCE_STATUS ?? '').toUpperCase();
const FAIL_RATE = Math.min(1, Math.max(0, Number.parseFloat(process.env.UMIG_FAIL_RATE ?? '0') || 0));
const DELAY_MS = Math.max(0, Number.parseInt(process.env.UMIG_DELAY_MS ?? '0', 10) || 0);
const startedAt = Date.now();

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'same-origin',
  'Content-Security-Policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
};

/** Reads the version from the release's build manifest, else from package.json; null if neither is readable. */
export function readVersion(root = appRoot) {
  for (const file of ['build-manifest.json', 'package.json']) {
    const p = path.join(root, file);
    if (!existsSync(p)) continue;
    try {
      const v = JSON.parse(readFileSync(p, 'utf8')).version;
      if (typeof v === 'string') return { version: v, source: file };
    } catch {
      // A half-written or foreign file: fall through to the next source.
    }
  }
  return { version: null, source: null };
}
const { version: VERSION, source: VERSION_SOURCE } = readVersion();

// ---- measured counters -------------------------------------------------------------------------------------------

const counters = {
  byStatus: new Map(), // "GET 200" -> count
  durationSum: 0, // seconds
  durationCount: 0,
  apiRequests: 0,
  apiErrors: 0,
  apiDurationSumMs: 0,
  recent: [], // end timestamps (ms) of requests in the last minute
};

function recordRequest(method, status, ms, isApi) {
  const key = `${method} ${status}`;
  counters.byStatus.set(key, (counters.byStatus.get(key) ?? 0) + 1);
  counters.durationSum += ms / 1000;
  counters.durationCount += 1;
  if (isApi) {
    counters.apiRequests += 1;
    counters.apiDurationSumMs += ms;
    if (status >= 500) counters.apiErrors += 1;
  }
  const now = Date.now();
  counters.recent.push(now);
  while (counters.recent.length && counters.recent[0] < now - 60_000) counters.recent.shift();
}

// ---- health ------------------------------------------------------------------------------------------------------

let dbCache = null;

/** Runs one bounded psql round trip against databasechangelog; never throws and never returns the URL. */
function checkDatabase() {
  const url = process.env.DATABASE_URL;
  if (!url) {
    return Promise.resolve({ status: 'HEALTHY', migrationsCount: null, lastMigration: null, responseTime: null, reason: 'no DATABASE_URL' });
  }
  if (dbCache && Date.now() - dbCache.at < DB_CACHE_MS) return Promise.resolve(dbCache.result);
  const sql =
    "select count(*) || '|' || coalesce((select id from databasechangelog order by orderexecuted desc limit 1), '') from databasechangelog";
  const t0 = process.hrtime.bigint();
  return new Promise((resolve) => {
    execFile('psql', [url, '-X', '-Atc', sql], { timeout: DB_TIMEOUT_MS, env: { ...process.env, PGCONNECT_TIMEOUT: '2' } }, (err, stdout, stderr) => {
      const ms = Math.round(Number(process.hrtime.bigint() - t0) / 1e5) / 10;
      let result;
      if (err) {
        const timedOut = err.killed || err.signal === 'SIGTERM';
        // psql echoes connection details in some errors; keep only the first line and strip any URL in it.
        const first = String(stderr || err.message).split('\n')[0].replace(/postgres(ql)?:\/\/\S+/g, '<url>');
        result = { status: 'UNHEALTHY', migrationsCount: null, lastMigration: null, responseTime: ms, reason: timedOut ? `no answer within ${DB_TIMEOUT_MS} ms` : first };
      } else {
        const [count, last] = stdout.trim().split('|');
        result = { status: 'HEALTHY', migrationsCount: Number(count), lastMigration: last || null, responseTime: ms };
      }
      dbCache = { at: Date.now(), result };
      resolve(result);
    });
  });
}

function diskUsage() {
  try {
    const s = statfsSync(appRoot);
    const total = s.blocks * s.bsize;
    const free = s.bavail * s.bsize;
    return { totalBytes: total, freeBytes: free, usedPercent: total ? Math.round((1000 * (total - free)) / total) / 10 : null };
  } catch (e) {
    return { totalBytes: null, freeBytes: null, usedPercent: null, reason: e.code ?? 'statfs failed' };
  }
}

/** Worst status wins, as in the Groovy endpoint. */
function worst(statuses) {
  if (statuses.includes('UNHEALTHY')) return 'UNHEALTHY';
  if (statuses.includes('DEGRADED')) return 'DEGRADED';
  return 'HEALTHY';
}

export async function buildHealth(activeConnections) {
  const database = await checkDatabase();
  const errorRate = counters.apiRequests ? counters.apiErrors / counters.apiRequests : null;
  const avgMs = counters.apiRequests ? counters.apiDurationSumMs / counters.apiRequests : null;
  const api = {
    status: errorRate !== null && errorRate > 0.05 ? 'DEGRADED' : 'HEALTHY',
    endpointsCount: API_ROUTES.size,
    averageResponseTime: avgMs === null ? null : `${Math.round(avgMs)}ms`,
    errorRate: errorRate === null ? null : `${(errorRate * 100).toFixed(2)}%`,
    requests: counters.apiRequests,
  };
  if (avgMs === null) api.reason = 'no API requests served yet';
  const security = {
    status: 'HEALTHY',
    rating: null,
    lastScan: null,
    vulnerabilities: null,
    headers: Object.keys(SECURITY_HEADERS),
    reason: 'no security scan report is available to this server',
  };
  let status = worst([database.status, api.status]);
  const overall = {
    status,
    timestamp: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    version: VERSION,
    uptime: Math.round((Date.now() - startedAt) / 1000),
  };
  // Forcing can only make the status worse: a simulated bad release must not hide a real outage.
  if ((FORCED === 'UNHEALTHY' || FORCED === 'DEGRADED') && worst([status, FORCED]) !== status) {
    status = FORCED;
    overall.status = FORCED;
    overall.reason = `forced by UMIG_FORCE_STATUS=${FORCED}`;
  }
  const mem = process.memoryUsage();
  return {
    overall,
    components: { database, api, security },
    metrics: {
      activeConnections,
      requestsPerMinute: counters.recent.filter((t) => t >= Date.now() - 60_000).length,
      memoryUsage: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed, heapTotalBytes: mem.heapTotal },
      diskUsage: diskUsage(),
    },
  };
}

const httpStatusFor = (status) => (status === 'HEALTHY' ? 200 : status === 'DEGRADED' ? 206 : 503);

// ---- metrics (Prometheus text format 0.0.4) ----------------------------------------------------------------------

function renderMetrics() {
  const lines = [
    '# HELP http_requests_total HTTP requests served, by method and status code.',
    '# TYPE http_requests_total counter',
  ];
  for (const [key, n] of [...counters.byStatus].sort()) {
    const [method, status] = key.split(' ');
    lines.push(`http_requests_total{method="${method}",status="${status}"} ${n}`);
  }
  const mem = process.memoryUsage();
  lines.push(
    '# HELP http_request_duration_seconds Time spent serving HTTP requests.',
    '# TYPE http_request_duration_seconds summary',
    `http_request_duration_seconds_sum ${counters.durationSum.toFixed(6)}`,
    `http_request_duration_seconds_count ${counters.durationCount}`,
    '# HELP process_resident_memory_bytes Resident memory size in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${mem.rss}`,
    '# HELP process_start_time_seconds Start time of the process since the Unix epoch in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${Math.floor(startedAt / 1000)}`,
    '# HELP umig_info Version of the running UMIG build.',
    '# TYPE umig_info gauge',
    `umig_info{version="${VERSION ?? 'unknown'}"} 1`,
  );
  return lines.join('\n') + '\n';
}

// ---- API (in-memory sample data, same URLs as the ScriptRunner endpoints) ----------------------------------------

const data = sampleData();
const API_ROUTES = new Map([
  ['teams', () => data.teams],
  ['users', () => data.users],
  ['migrations', () => data.migrations],
  ['iterations', () => data.iterations],
  ['plans', () => data.plans],
  ['steps', () => data.steps],
  ['status', () => data.statuses],
  ['databaseVersions', () => data.databaseVersions],
]);

let apiSeq = 0;
function shouldFail() {
  if (FAIL_RATE <= 0) return false;
  // Deterministic spread: request n fails when floor(n*rate) steps up, so 0.1 means exactly every 10th request.
  apiSeq += 1;
  return Math.floor(apiSeq * FAIL_RATE) !== Math.floor((apiSeq - 1) * FAIL_RATE);
}

// Query parameters the Groovy endpoints accept, mapped to the row fields they filter on.
const FILTER_FIELDS = {
  planId: ['pln_id'],
  migrationId: ['mgr_id'],
  teamId: ['tms_id'],
  status: ['stm_status', 'mgr_status', 'ite_status', 'pln_status'],
  type: ['mgr_type', 'ite_type'],
  active: ['usr_active'],
  admin: ['usr_is_admin'],
  exectype: ['exectype'],
};

/** Filters, sorts and pages rows the way the repositories do (search, field filters, sort/direction, page/size). */
function paginate(rows, query) {
  const page = Math.max(1, Number.parseInt(query.get('page') ?? '1', 10) || 1);
  const size = Math.min(100, Math.max(1, Number.parseInt(query.get('size') ?? '50', 10) || 50));
  const search = (query.get('search') ?? '').toLowerCase();
  let filtered = search ? rows.filter((r) => JSON.stringify(r).toLowerCase().includes(search)) : rows;
  for (const [param, fields] of Object.entries(FILTER_FIELDS)) {
    const wanted = query.get(param);
    if (wanted === null || wanted === '' || wanted === 'all') continue;
    filtered = filtered.filter((r) => fields.some((f) => f in r && String(r[f]) === wanted));
  }
  const sort = query.get('sort');
  if (sort && filtered.some((r) => sort in r)) {
    const factor = query.get('direction') === 'desc' ? -1 : 1;
    const collator = new Intl.Collator('en', { numeric: true });
    filtered = [...filtered].sort((a, b) => factor * collator.compare(String(a[sort] ?? ''), String(b[sort] ?? '')));
  }
  return {
    data: filtered.slice((page - 1) * size, page * size),
    pagination: { page, size, total: filtered.length, totalPages: Math.max(1, Math.ceil(filtered.length / size)) },
  };
}

// ---- static files ------------------------------------------------------------------------------------------------

async function serveStatic(urlPath, res) {
  let rel;
  try {
    rel = decodeURIComponent(urlPath);
  } catch {
    return send(res, 400, 'text/plain; charset=utf-8', 'bad path encoding\n');
  }
  if (rel.includes('\0')) return send(res, 400, 'text/plain; charset=utf-8', 'bad path\n');
  if (rel.endsWith('/')) rel += 'index.html';
  const abs = path.resolve(webRoot, '.' + path.posix.normalize('/' + rel));
  // Path traversal guard: the resolved file must stay under the web root.
  if (abs !== webRoot && !abs.startsWith(webRoot + path.sep)) return send(res, 403, 'text/plain; charset=utf-8', 'forbidden\n');
  try {
    const st = await stat(abs);
    if (!st.isFile()) return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
    const body = await readFile(abs);
    return send(res, 200, CONTENT_TYPES[path.extname(abs)] ?? 'application/octet-stream', body, { 'Cache-Control': 'no-cache' });
  } catch {
    return send(res, 404, 'text/plain; charset=utf-8', 'not found\n');
  }
}

function send(res, status, type, body, headers = {}) {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
  return status;
}
const sendJson = (res, status, value) => send(res, status, 'application/json; charset=utf-8', JSON.stringify(value));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- server ------------------------------------------------------------------------------------------------------

export function createServer() {
  const server = http.createServer(async (req, res) => {
    const t0 = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'http://localhost');
    const isApi = url.pathname.startsWith(API_PREFIX + '/') && url.pathname !== HEALTH_PATH;
    let status = 500;
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        status = send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
      } else if (url.pathname === HEALTH_PATH) {
        const conns = await new Promise((r) => server.getConnections((e, n) => r(e ? null : n)));
        try {
          const health = await buildHealth(conns);
          status = sendJson(res, httpStatusFor(health.overall.status), health);
        } catch (e) {
          status = sendJson(res, 503, {
            overall: { status: 'UNHEALTHY' },
            error: { message: 'Health check failed', details: String(e?.message ?? e), timestamp: new Date().toISOString() },
          });
        }
      } else if (url.pathname === '/metrics') {
        status = send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', renderMetrics());
      } else if (isApi) {
        if (DELAY_MS) await sleep(DELAY_MS);
        const name = url.pathname.slice(API_PREFIX.length + 1).split('/')[0];
        const route = API_ROUTES.get(name);
        if (!route) status = sendJson(res, 404, { error: `no endpoint ${name}` });
        else if (shouldFail()) status = sendJson(res, 500, { error: 'simulated failure (UMIG_FAIL_RATE)' });
        else status = sendJson(res, 200, paginate(route(), url.searchParams));
      } else {
        status = await serveStatic(url.pathname, res);
      }
    } catch (e) {
      if (!res.headersSent) status = sendJson(res, 500, { error: 'internal error' });
      else res.destroy();
      console.error(`[umig] ${req.method} ${url.pathname} failed: ${e?.stack ?? e}`);
    } finally {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      recordRequest(req.method ?? 'GET', status, ms, isApi);
      if (process.env.UMIG_ACCESS_LOG !== '0') {
        console.log(`${new Date().toISOString()} ${req.method} ${url.pathname} ${status} ${ms.toFixed(1)}ms`);
      }
    }
  });
  server.keepAliveTimeout = 5000;
  return server;
}

const isMain = process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const server = createServer();
  server.listen(PORT, HOST, () => {
    const addr = server.address();
    const where = typeof addr === 'object' && addr ? `${addr.address}:${addr.port}` : String(addr);
    console.log(`[umig] version ${VERSION ?? 'unknown'} (from ${VERSION_SOURCE ?? 'nowhere'}) listening on http://${where}, pid ${process.pid}`);
    if (FORCED) console.log(`[umig] UMIG_FORCE_STATUS=${FORCED}: health will report ${FORCED}`);
  });
  server.on('error', (e) => {
    console.error(`[umig] cannot listen on ${HOST}:${PORT}: ${e.message}`);
    process.exit(1);
  });
  const shutdown = (signal) => {
    console.log(`[umig] ${signal}: closing (uptime ${Math.round((Date.now() - startedAt) / 1000)} s)`);
    server.close(() => process.exit(0));
    server.closeIdleConnections?.();
    // Connections that stay busy must not keep a stop command waiting forever.
    setTimeout(() => process.exit(0), 3000).unref();
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}
