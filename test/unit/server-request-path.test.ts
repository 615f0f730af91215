import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
});
