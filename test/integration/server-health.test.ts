import net from 'node:net';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { loadConfig } from '../../src/config/load.js';
import { createApp } from '../../src/server/app.js';
import { SEED_HEALTH_PATH } from '../../src/server/routes/health.js';
import { addUser, addUserToken } from '../../src/server/users-file.js';
import { applySql } from '../../src/db/apply.js';
import { buildDatabasePackage } from '../../src/db/package.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { reservedPort } from '../helpers/ports.js';

const CHANGELOG = [
  '--liquibase formatted sql',
  '',
  '--changeset alice:1',
  'CREATE TABLE t1 (id int);',
  '--rollback DROP TABLE t1;',
  '',
  '--changeset alice:2',
  'CREATE TABLE t2 (id int);',
  '--rollback DROP TABLE t2;',
  '',
].join('\n');

let db: TestDatabase;
let dir: string;
let token: string;
const apps: FastifyInstance[] = [];
const clock = { now: Date.parse('2026-03-01T12:00:00Z') };

/** An app over the temp project; `server` overrides server settings, `url` the database URL. */
async function makeApp(
  opts: { server?: Record<string, unknown>; url?: string | null; users?: boolean } = {},
): Promise<FastifyInstance> {
  const usersFile = opts.users === false ? 'empty-users.json' : '.slipway/users.json';
  const { config } = await loadConfig({
    configFile: path.join(dir, 'slipway.config.yaml'),
    cwd: dir,
    env: {},
    overrides: {
      'server.usersFile': usersFile,
      ...(opts.url === null ? {} : { 'database.url': opts.url ?? db.url }),
      ...Object.fromEntries(Object.entries(opts.server ?? {}).map(([k, v]) => [`server.${k}`, v])),
    },
  });
  const app = await createApp({ config, audit: path.join(dir, 'audit.log'), deps: { clock: () => clock.now } });
  apps.push(app);
  return app;
}
const auth = () => ({ authorization: `Bearer ${token}` });

beforeAll(async () => {
  db = await createTestDatabase('slipway_server');
  dir = await makeTree({
    'slipway.config.yaml':
      'name: demo\nversion: 1.2.0\nbuild:\n  components:\n    application: { include: ["app/**"] }\ndatabase:\n  changelog: db/changelog.sql\n',
    'db/changelog.sql': CHANGELOG,
  });
  await addUser({
    usersFile: path.join(dir, '.slipway/users.json'),
    name: 'ci',
    password: 'a long password',
    groups: ['viewers'],
    now: new Date(),
  });
  token = (await addUserToken({ usersFile: path.join(dir, '.slipway/users.json'), name: 'ci', now: new Date() })).token;
  // Apply the changelog for real: DBPKG renders the package, applySql runs it with psql semantics.
  const pkg = await buildDatabasePackage({
    rootDir: dir,
    changelog: 'db/changelog.sql',
    application: 'demo',
    version: '1.2.0',
    sourceDateEpoch: 0,
  });
  await applySql({ databaseUrl: db.url, sql: pkg.sql });
});
afterAll(async () => {
  for (const a of apps) await a.close();
  await db.drop();
  await removeTree(dir);
});

describe('health with a real PostgreSQL', () => {
  it('is HEALTHY (200) with measured database values, seed shape and IETF fields', async () => {
    const app = await makeApp();
    const r = await app.inject({ url: '/api/health', headers: auth() });
    expect(r.statusCode).toBe(200);
    const b = r.json();
    expect(b.overall).toMatchObject({
      status: 'HEALTHY',
      version: '1.2.0',
      timestamp: '2026-03-01T12:00:00.000Z',
      uptime: 0,
    });
    expect(b.components.database).toMatchObject({
      status: 'HEALTHY',
      migrationsCount: 2,
      lastMigration: 'db/changelog.sql',
      lastMigrationId: '2',
    });
    expect(b.components.database.responseTime).toBeGreaterThan(0);
    expect(b.components.database.serverVersion).toMatch(/^\d+/);
    expect(b.components.security).toMatchObject({ status: 'HEALTHY', usersConfigured: 1, usersFileMode: '0600' });
    expect(b.metrics.memoryUsage.rssBytes).toBeGreaterThan(10_000_000);
    expect(b.status).toBe('pass');
    expect(b.checks['database:migrations'][0]).toMatchObject({
      componentType: 'datastore',
      observedValue: 2,
      observedUnit: 'changesets',
      status: 'pass',
    });
    // The seed's path answers with the same body.
    const seed = await app.inject({ url: '/rest/scriptrunner/latest/custom/databaseVersions/health', headers: auth() });
    expect(seed.json().components.database.migrationsCount).toBe(2);
  });

  it('reports disk usage as df does', async () => {
    const app = await makeApp();
    const b = (await app.inject({ url: '/api/health', headers: auth() })).json();
    const df = Number(
      execFileSync('df', ['--output=pcent', dir], { encoding: 'utf8' }).split('\n')[1]!.trim().replace('%', ''),
    );
    expect(Math.abs(b.metrics.diskUsage.usedPercent - df)).toBeLessThanOrEqual(1.5);
  });

  it('counts real requests in requestsPerMinute', async () => {
    const app = await makeApp({ server: { 'health.cacheMs': 0 } });
    for (let i = 0; i < 7; i++) await app.inject({ url: '/health/live' });
    const b = (await app.inject({ url: '/api/health', headers: auth() })).json();
    expect(b.metrics.requestsPerMinute).toBe(7);
    expect(b.components.api.requestsLastMinute).toBe(7);
  });

  it('reuses measurements within the cache TTL and re-measures after it', async () => {
    const app = await makeApp({ server: { 'health.cacheMs': 5000 } });
    const first = (await app.inject({ url: '/api/health', headers: auth() })).json();
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    await c.query(
      "INSERT INTO databasechangelog (id, author, filename, dateexecuted, orderexecuted, exectype) VALUES ('3', 'bob', 'db/extra.sql', now(), 3, 'EXECUTED')",
    );
    await c.end();
    clock.now += 1000;
    const cached = (await app.inject({ url: '/api/health', headers: auth() })).json();
    expect(cached.components.database.migrationsCount).toBe(2);
    expect(cached.overall.checkedAt).toBe(first.overall.checkedAt);
    clock.now += 5000;
    const fresh = (await app.inject({ url: '/api/health', headers: auth() })).json();
    expect(fresh.components.database).toMatchObject({ migrationsCount: 3, lastMigration: 'db/extra.sql' });
  });

  it('after the TTL the request that finds it expired waits for the new measurement; one arriving meanwhile gets the previous', async () => {
    const app = await makeApp({ server: { 'health.cacheMs': 5000 } });
    const first = (await app.inject({ url: '/api/health', headers: auth() })).json();
    clock.now += 5000;
    // Both start before the database answers the measurement the first one starts.
    const [trigger, meanwhile] = await Promise.all([
      app.inject({ url: '/api/health', headers: auth() }),
      app.inject({ url: '/api/health', headers: auth() }),
    ]);
    expect(trigger.json().overall.checkedAt).not.toBe(first.overall.checkedAt);
    expect(meanwhile.json().overall.checkedAt).toBe(first.overall.checkedAt);
    // The next request gets the new measurement.
    const next = (await app.inject({ url: '/api/health', headers: auth() })).json();
    expect(next.overall.checkedAt).toBe(trigger.json().overall.checkedAt);
  });

  it('is DEGRADED with 206 when nobody can sign in, and 200 with degradedStatus 200', async () => {
    const app = await makeApp({ users: false, server: { 'health.public': true } });
    const r = await app.inject({ url: '/api/health' });
    expect(r.statusCode).toBe(206);
    expect(r.json().overall.status).toBe('DEGRADED');
    expect(r.json().status).toBe('warn');
    expect(r.json().components.security).toEqual({ status: 'DEGRADED' }); // the reason is for viewers
    const lb = await makeApp({ users: false, server: { 'health.public': true, degradedStatus: 200 } });
    const r2 = await lb.inject({ url: '/api/health' });
    expect(r2.statusCode).toBe(200);
    expect(r2.json().overall.status).toBe('DEGRADED');
  });

  it('public (server.health.public): a caller without credentials gets the statuses only, a viewer the full body', async () => {
    const closed = await reservedPort();
    const app = await makeApp({
      url: `postgres://postgres:s3cret-pw@127.0.0.1:${closed}/x`,
      server: { 'health.public': true },
    });
    const anonymous = await app.inject({ url: '/api/health' });
    expect(anonymous.statusCode).toBe(503);
    const body = anonymous.json();
    expect(body).toEqual({
      overall: { status: 'UNHEALTHY', timestamp: new Date(clock.now).toISOString(), checkedAt: expect.any(String) },
      components: {
        database: { status: 'UNHEALTHY' },
        api: { status: 'HEALTHY' },
        security: { status: 'HEALTHY' },
        disk: { status: expect.stringMatching(/^(HEALTHY|DEGRADED)$/) },
      },
      status: 'fail',
    });
    // Nothing about the server: no reasons, host, paths, versions, users, memory.
    for (const secret of ['127.0.0.1', 'ECONNREFUSED', dir, '1.2.0', 'usersFileMode', 'rssBytes', 'demo'])
      expect(anonymous.body).not.toContain(secret);
    // The seed path answers the same; a token that grants read gets the documented full body.
    expect((await app.inject({ url: SEED_HEALTH_PATH })).json()).toEqual(body);
    const viewer = await app.inject({ url: '/api/health', headers: auth() });
    expect(viewer.statusCode).toBe(503);
    expect(viewer.json().components.database.reason).toMatch(/database check failed: .*ECONNREFUSED/);
    expect(viewer.json().metrics.memoryUsage.rssBytes).toBeGreaterThan(0);
    expect(viewer.json().version).toBe('1.2.0');
    expect(viewer.body).not.toContain('s3cret-pw');
    // Wrong credentials are refused as on any route (and count against the authentication budget).
    const wrong = await app.inject({ url: '/api/health', headers: { authorization: 'Bearer slw_not-a-token' } });
    expect(wrong.statusCode).toBe(401);
    // A stale session cookie is no credential: the public body.
    const stale = await app.inject({ url: '/api/health', headers: { cookie: 'slipway_session=gone' } });
    expect(stale.json()).toEqual(body);
  });

  it('is UNHEALTHY (503) with the reason when the database is down, never leaking the password', async () => {
    const closed = await reservedPort();
    const app = await makeApp({ url: `postgres://postgres:s3cret-pw@127.0.0.1:${closed}/x` });
    const r = await app.inject({ url: '/api/health', headers: auth() });
    expect(r.statusCode).toBe(503);
    expect(r.json().overall.status).toBe('UNHEALTHY');
    expect(r.json().components.database.reason).toMatch(/database check failed: .*ECONNREFUSED/);
    expect(r.body).not.toContain('s3cret-pw');
    expect(r.body).not.toMatch(/\.ts:\d+|\bat /);
    const ready = await app.inject({ url: '/health/ready' });
    expect(ready.statusCode).toBe(503);
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
  });

  it('answers after its check timeout when the database accepts connections but never replies', async () => {
    const sockets: net.Socket[] = [];
    const hang = net.createServer((s) => void sockets.push(s)); // accepts, never answers
    await new Promise<void>((r) => hang.listen(0, '127.0.0.1', r));
    const port = (hang.address() as net.AddressInfo).port;
    try {
      const app = await makeApp({ url: `postgres://postgres@127.0.0.1:${port}/x` });
      const t0 = performance.now();
      const r = await app.inject({ url: '/api/health', headers: auth() });
      const ms = performance.now() - t0;
      expect(r.statusCode).toBe(503);
      // The check gave up on its own timeout (server.health.checkTimeoutMs, 1500 ms by default, capped at 1900 so an
      // idle machine answers under 2 s). The wall-clock bound is generous for a loaded machine, and still fails a
      // check that waits for the database or takes its timeout as seconds.
      expect(r.json().components.database.reason).toMatch(/timeout|no answer within 1500 ms/i);
      expect(ms).toBeLessThan(20_000);
      expect(sockets.length).toBeGreaterThan(0);
    } finally {
      for (const s of sockets) s.destroy();
      hang.close();
    }
  });

  it('exposes Prometheus metrics with request, latency, health and database-check series', async () => {
    const app = await makeApp();
    await app.inject({ url: '/api/health', headers: auth() });
    const m = await app.inject({ url: '/metrics', headers: auth() });
    expect(m.statusCode).toBe(200);
    expect(m.headers['content-type']).toMatch(/^text\/plain; version=0.0.4/);
    expect(m.body).toContain('slipway_http_requests_total{method="GET",route="/api/health",status="200"} 1');
    expect(m.body).toMatch(/slipway_http_request_duration_seconds_count\{method="GET",route="\/api\/health"\} 1/);
    expect(m.body).toContain('slipway_health_status{component="overall"} 2');
    expect(m.body).toContain('slipway_health_status{component="database"} 2');
    expect(m.body).toMatch(/slipway_database_check_duration_seconds_count\{outcome="ok"\} 1/);
    expect(m.body).toContain('# TYPE slipway_rollbacks_total counter');
    expect(m.body).toContain('# TYPE slipway_deploys_total counter');
    expect(m.body).toMatch(/slipway_process_resident_memory_bytes \d+/);
  });

  it('counts the requests that match no route (404, 405) as route "unmatched", and no other', async () => {
    const app = await makeApp();
    expect((await app.inject({ url: '/api/no-such-thing', headers: auth() })).statusCode).toBe(404);
    expect((await app.inject({ url: '/no-such-page' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'DELETE', url: '/api/health' })).statusCode).toBe(405);
    await app.inject({ url: '/api/health', headers: auth() });
    const m = await app.inject({ url: '/metrics', headers: auth() });
    const series = m.body.split('\n').filter((l) => l.startsWith('slipway_http_requests_total{'));
    expect(series.filter((l) => l.includes('route="unmatched"')).sort()).toEqual([
      'slipway_http_requests_total{method="DELETE",route="unmatched",status="405"} 1',
      'slipway_http_requests_total{method="GET",route="unmatched",status="404"} 2',
    ]);
    expect(series).toContain('slipway_http_requests_total{method="GET",route="/api/health",status="200"} 1');
    expect(m.body).toMatch(/slipway_http_request_duration_seconds_count\{method="GET",route="unmatched"\} 2/);
  });

  it('writes one audit JSON line per protected request', async () => {
    const app = await makeApp();
    await app.inject({ url: '/api/health', headers: auth(), remoteAddress: '10.1.2.3' });
    await app.close();
    // pino's destination flushes on its own schedule: wait for the complete line rather than a fixed time.
    const lines = await waitFor('the audit line of the request', async () => {
      const ls = (await readFile(path.join(dir, 'audit.log'), 'utf8').catch(() => ''))
        .split('\n')
        .slice(0, -1)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      return ls.some((l) => l.ip === '10.1.2.3') && ls;
    });
    expect(lines.find((l) => l.ip === '10.1.2.3')).toMatchObject({
      user: 'ci',
      method: 'GET',
      route: '/api/health',
      outcome: 200,
      via: 'bearer',
    });
    expect(JSON.stringify(lines)).not.toContain(token);
  });
});
