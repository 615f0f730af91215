import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Histogram, Registry } from 'prom-client';
import { afterAll, describe, expect, it } from 'vitest';
import { createMetrics, routeRecorder } from '../../src/server/metrics.js';
import { createAuditLogger, writeAudit, type AuditEntry } from '../../src/server/audit.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

const requestLines = async (m: ReturnType<typeof createMetrics>) =>
  (await m.registry.metrics()).split('\n').filter((l) => l.startsWith('slipway_http_requests_total{'));

describe('routeRecorder (request counts added when the registry is read)', () => {
  it('counts per method and status reach slipway_http_requests_total on every read, and keep adding up', async () => {
    const m = createMetrics();
    const health = routeRecorder(m, '/api/health');
    const unmatched = routeRecorder(m, 'unmatched');
    health('GET', 200, 0.0004);
    health('GET', 200, 0.0004);
    health('HEAD', 200, 0.0004);
    health('GET', 401, 0.002);
    unmatched('POST', 405, 0.001);
    expect(await requestLines(m)).toEqual([
      'slipway_http_requests_total{method="GET",route="/api/health",status="200"} 2',
      'slipway_http_requests_total{method="HEAD",route="/api/health",status="200"} 1',
      'slipway_http_requests_total{method="GET",route="/api/health",status="401"} 1',
      'slipway_http_requests_total{method="POST",route="unmatched",status="405"} 1',
    ]);
    health('GET', 200, 0.0004);
    expect(await requestLines(m)).toContain(
      'slipway_http_requests_total{method="GET",route="/api/health",status="200"} 3',
    );
    // The latency histogram is observed per request, as before.
    expect(await m.registry.metrics()).toContain(
      'slipway_http_request_duration_seconds_count{method="GET",route="/api/health"} 4',
    );
  });
});

describe('routeRecorder latency (observations added to the histogram when the registry is read)', () => {
  const histogramLines = (text: string) =>
    text.split('\n').filter((l) => l.startsWith('slipway_http_request_duration_seconds'));

  it('gives the histogram the buckets, count and sum that observe() gives, across reads and shared label sets', async () => {
    const m = createMetrics();
    // What prom-client's own observe() makes of the same calls: the reference.
    const refRegistry = new Registry();
    const ref = new Histogram({
      name: 'slipway_http_request_duration_seconds',
      help: 'HTTP request latency by route template',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [refRegistry],
    });
    const health = routeRecorder(m, '/api/health');
    const twin = routeRecorder(m, '/api/health'); // a second recorder of one route (a HEAD twin) shares its label sets
    const other = routeRecorder(m, '/api/releases');
    const calls: [ReturnType<typeof routeRecorder>, string, string, number][] = [
      [health, 'GET', '/api/health', 0.0004],
      [health, 'GET', '/api/health', 0.001], // on a bound: that bucket
      [twin, 'GET', '/api/health', 0.003],
      [health, 'HEAD', '/api/health', 0.02],
      [other, 'GET', '/api/releases', 7], // above the last bound: +Inf only
    ];
    const run = async (slice: typeof calls) => {
      for (const [rec, method, route, s] of slice) {
        rec(method, 200, s);
        ref.observe({ method, route }, s);
      }
      const text = await m.registry.metrics();
      const want = histogramLines(await refRegistry.metrics());
      return { got: histogramLines(text), want };
    };
    const first = await run(calls.slice(0, 3));
    expect(first.got).toEqual(first.want);
    const second = await run(calls.slice(2)); // read again: added to what the first read left
    expect(second.got).toEqual(second.want);
    expect(second.got).toContain('slipway_http_request_duration_seconds_count{method="GET",route="/api/health"} 4');
    expect(second.got).toContain(
      'slipway_http_request_duration_seconds_bucket{le="5",method="GET",route="/api/releases"} 0',
    );
  });
});

describe('audit queue (lines encoded into one buffer)', () => {
  it('keeps every line whole and in order: multi-byte text, a line longer than the buffer, batches across it', async () => {
    const d = await mkdtemp(path.join(tmpdir(), 'slipway-audit-queue-'));
    dirs.push(d);
    const file = path.join(d, 'audit.log');
    const log = createAuditLogger(file);
    const entry = (user: string): AuditEntry => ({
      user,
      method: 'GET',
      route: '/api/health',
      outcome: 200,
      ip: '127.0.0.1',
      via: 'bearer',
    });
    const users = [
      ...Array.from({ length: 120 }, (_, i) => `user-${i}-été-✓-😀`),
      'x'.repeat(40_000), // longer than the queue's buffer: written by itself, after the lines queued before it
      ...Array.from({ length: 120 }, (_, i) => `after-${i}-ü`),
    ];
    for (const u of users) writeAudit(log, entry(u));
    await log.close();
    const lines = (await readFile(file, 'utf8')).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => (JSON.parse(l) as { user: string }).user)).toEqual(users);
  });

  it('writes each entry as its own fields when runs of equal entries alternate with different ones', async () => {
    const d = await mkdtemp(path.join(tmpdir(), 'slipway-audit-runs-'));
    dirs.push(d);
    const file = path.join(d, 'audit.log');
    const log = createAuditLogger(file);
    const a: AuditEntry = {
      user: 'ann',
      method: 'GET',
      route: '/api/health',
      outcome: 200,
      ip: '10.0.0.1',
      via: 'bearer',
    };
    // Each variant differs from `a` in one field only, and sits between two copies of `a`.
    const variants: AuditEntry[] = [
      { ...a, outcome: 403 },
      { ...a, ip: '10.0.0.2' },
      { ...a, via: 'basic' },
      { ...a, via: undefined },
      { ...a, user: 'bob' },
      { ...a, user: null },
      { ...a, method: 'HEAD' },
      { ...a, route: '/api/releases' },
    ];
    const entries: AuditEntry[] = [a, { ...a }, ...variants.flatMap((v) => [v, a])];
    const want = entries.map((e) => ({ ...e }));
    for (const e of entries) writeAudit(log, e);
    a.user = 'zed'; // changed after writing: the log keeps no hold on the caller's object
    writeAudit(log, { ...a });
    await log.close();
    const lines = (await readFile(file, 'utf8')).trimEnd().split('\n');
    const fields = lines.map((l) => {
      const { kind, time, event, ...rest } = JSON.parse(l) as Record<string, unknown>;
      if (rest['via'] === undefined) rest['via'] = undefined; // written without the field
      expect([kind, event, typeof time]).toEqual(['audit', 'request', 'string']);
      return rest;
    });
    expect(fields).toEqual([...want, { ...want[0], user: 'zed' }]);
  });
});
