import { describe, expect, it } from 'vitest';
import { renderHealthBody, renderHealthJson, type HealthBodyContext } from '../../src/server/health/body.js';
import type { HealthSnapshot } from '../../src/server/health/service.js';
import { isoTime } from '../../src/server/iso-time.js';
import { toSafeJson } from '../../src/server/safe-json.js';

const T0 = Date.parse('2026-03-01T12:00:00Z');

/** A measured snapshot; `reason` is the database check's failure text (it may quote anything). */
function snapshot(opts: { migrations: number; reason?: string; measuredAt?: number }): HealthSnapshot {
  const failed = opts.reason !== undefined;
  const component = (status: 'HEALTHY' | 'UNHEALTHY', reason: string | null, extra: Record<string, unknown> = {}) => ({
    status,
    reason,
    ...extra,
  });
  return {
    status: failed ? 'UNHEALTHY' : 'HEALTHY',
    measuredAt: opts.measuredAt ?? T0,
    components: {
      database: component(failed ? 'UNHEALTHY' : 'HEALTHY', opts.reason ?? null, {
        migrationsCount: opts.migrations,
        responseTime: 1.5,
        url: 'postgres://app:***@db:5432/app',
      }),
      api: component('HEALTHY', null, { errorRate: 0, requestsLastMinute: 3 }),
      security: component('HEALTHY', null, { usersConfigured: 2 }),
      disk: component('HEALTHY', null, { usedPercent: 41.5 }),
    },
    database: null,
    memory: { rssBytes: 90e6, heapUsedBytes: 20e6, heapTotalBytes: 40e6, externalBytes: 3e6 },
    disk: { path: '/srv', totalBytes: 100, freeBytes: 50, usedPercent: 41.5 },
    requests: { requests: 3, errors: 0, errorRate: 0, averageMs: 1 },
  };
}

const ctx = (now: number, activeConnections: number): HealthBodyContext => ({
  version: '1.2.0',
  serviceId: 'demo',
  now,
  startedAt: T0 - 61_400,
  activeConnections,
});

describe('renderHealthJson (the serialised body reused per snapshot)', () => {
  it('is byte for byte the escaped JSON of renderHealthBody, request after request', () => {
    const s = snapshot({ migrations: 2 });
    for (const [now, conns] of [
      [T0, 1],
      [T0 + 7, 12],
      [T0 + 999, 0],
      [T0 + 1000, 3],
      [T0 + 86_400_123, 250],
    ] as const) {
      const json = renderHealthJson(s, ctx(now, conns));
      expect(json).toBe(toSafeJson(renderHealthBody(s, ctx(now, conns))));
      const b = JSON.parse(json);
      expect(b.overall.timestamp).toBe(new Date(now).toISOString());
      expect(b.metrics.activeConnections).toBe(conns);
      expect(b.checks.uptime[0].observedValue).toBe(b.overall.uptime);
    }
  });

  it('reuses a filled-in body only for the same snapshot, millisecond, connection count and start time', () => {
    const s = snapshot({ migrations: 2 });
    const same = (body: string, c: HealthBodyContext, snap = s) =>
      expect(body).toBe(toSafeJson(renderHealthBody(snap, c)));
    same(renderHealthJson(s, ctx(T0 + 5, 3)), ctx(T0 + 5, 3));
    same(renderHealthJson(s, ctx(T0 + 5, 3)), ctx(T0 + 5, 3));
    same(renderHealthJson(s, ctx(T0 + 5, 4)), ctx(T0 + 5, 4));
    same(renderHealthJson(s, ctx(T0 + 6, 4)), ctx(T0 + 6, 4));
    const restarted = { ...ctx(T0 + 6, 4), startedAt: T0 - 1000 };
    same(renderHealthJson(s, restarted), restarted);
    expect(JSON.parse(renderHealthJson(s, restarted)).overall.uptime).toBe(1);
    // A new measurement in the same millisecond: its own checks, not the previous snapshot's text.
    const next = snapshot({ migrations: 3, reason: 'refused' });
    const body = renderHealthJson(next, ctx(T0 + 6, 4));
    same(body, ctx(T0 + 6, 4), next);
    expect(JSON.parse(body)).toMatchObject({ status: 'fail', components: { database: { migrationsCount: 3 } } });
    // And back to the first snapshot: still its own text.
    same(renderHealthJson(s, ctx(T0 + 6, 4)), ctx(T0 + 6, 4));
  });

  it('follows a new measurement: the cached text belongs to its snapshot', () => {
    const before = JSON.parse(renderHealthJson(snapshot({ migrations: 2 }), ctx(T0, 1)));
    const after = JSON.parse(renderHealthJson(snapshot({ migrations: 3, measuredAt: T0 + 5000 }), ctx(T0 + 5000, 1)));
    expect(before.components.database.migrationsCount).toBe(2);
    expect(after.components.database.migrationsCount).toBe(3);
    expect(after.overall.checkedAt).toBe(new Date(T0 + 5000).toISOString());
    const down = JSON.parse(renderHealthJson(snapshot({ migrations: 3, reason: 'refused' }), ctx(T0, 1)));
    expect(down).toMatchObject({ status: 'fail', overall: { status: 'UNHEALTHY' } });
  });

  it('escapes markup and masks secrets in measured text, also for a reason that looks like a field marker', () => {
    const reason = 'connect postgres://app:hunter2@db/app failed: <script>alert(1)</script> & "slipway-field:x:uptime"';
    const s = snapshot({ migrations: 1, reason });
    const json = renderHealthJson(s, ctx(T0 + 5, 4));
    expect(json).toBe(toSafeJson(renderHealthBody(s, ctx(T0 + 5, 4))));
    expect(json).not.toMatch(/[<>&]/);
    expect(json).not.toContain('hunter2');
    expect(JSON.parse(json).components.database.reason).toContain('<script>');
  });
});

describe('isoTime', () => {
  it('is Date#toISOString for whole milliseconds, fractions and far dates', () => {
    const samples = [T0, T0 + 1, T0 + 9, T0 + 10, T0 + 99, T0 + 100, T0 + 999, T0 + 1000, T0 + 1001, 0, -1, -1001];
    samples.push(T0 + 0.5, 8.64e15, -8.64e15, Date.parse('+012345-01-01T00:00:00.004Z'));
    for (const ms of samples) expect(isoTime(ms), String(ms)).toBe(new Date(ms).toISOString());
    expect(() => isoTime(NaN)).toThrow(RangeError);
  });
});
