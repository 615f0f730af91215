import { describe, expect, it } from 'vitest';
import {
  evaluateWatch,
  resolveWatchThresholds,
  watchThresholdsSchema,
  type WatchSample,
} from '../../src/deploy/watch.js';

const OK = { status: 'HEALTHY' as const, httpStatus: 200, reason: 'HTTP 200, overall.status HEALTHY' };
const DOWN = { status: 'UNHEALTHY' as const, httpStatus: 503, reason: 'HTTP 503, overall.status UNHEALTHY' };
const GONE = { status: 'UNREACHABLE' as const, httpStatus: null, reason: 'connection refused' };
const t = resolveWatchThresholds({ probeIntervalMs: 5000 });

/** One sample per 5 s; metrics are cumulative counters [requests, errors, latencySum(s), latencyCount]. */
function series(
  rows: [WatchSample['probe'], [number, number, number, number] | null, ('UNHEALTHY' | 'HEALTHY')?][],
): WatchSample[] {
  return rows.map(([probe, m, db], i) => ({
    atMs: 1_000_000 + i * 5000,
    probe,
    ...(db ? { database: db } : {}),
    metrics: m ? { requests: m[0], errors: m[1], latencySum: m[2], latencyCount: m[3] } : null,
  }));
}

describe('watch thresholds', () => {
  it('defaults to the seed triggers', () => {
    expect(resolveWatchThresholds()).toMatchObject({
      consecutive503: 3,
      databaseFailures: 2,
      errorRate: 0.05,
      errorRateWindowMs: 300_000,
      latencyMs: 2000,
      latencyWindowMs: 600_000,
      probeIntervalMs: 5000,
      minRequests: 20,
      errorsSelector: 'http_requests_total{status=~"5.."}',
      latencyUnit: 'seconds',
    });
  });
  it('rejects unknown keys and bad selectors', () => {
    expect(watchThresholdsSchema.safeParse({ errorRatio: 1 }).success).toBe(false);
    const bad = watchThresholdsSchema.safeParse({ errorsSelector: 'x{status=5}' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]?.path).toEqual(['errorsSelector']);
  });
});

describe('evaluateWatch: health probes', () => {
  it('passes an empty series', () => {
    expect(evaluateWatch([], t)).toEqual({
      trigger: null,
      triggers: [],
      consecutiveFailures: 0,
      consecutiveDatabaseFailures: 0,
      errorRate: null,
      meanLatencyMs: null,
    });
  });
  it('fires on the 3rd consecutive failure, not before, and resets on a good probe', () => {
    expect(
      evaluateWatch(
        series([
          [OK, null],
          [DOWN, null],
          [GONE, null],
        ]),
        t,
      ).trigger,
    ).toBeNull();
    expect(
      evaluateWatch(
        series([
          [DOWN, null],
          [DOWN, null],
          [OK, null],
          [DOWN, null],
          [DOWN, null],
        ]),
        t,
      ).consecutiveFailures,
    ).toBe(2);
    const e = evaluateWatch(
      series([
        [OK, null],
        [DOWN, null],
        [GONE, null],
        [DOWN, null],
      ]),
      t,
    );
    expect(e.trigger).toEqual({
      name: 'health',
      reason: '3 consecutive failed health probes (threshold 3); last: HTTP 503, overall.status UNHEALTHY',
    });
  });
  it('counts a 503 as failed even if the body claimed HEALTHY, and DEGRADED as fine', () => {
    const lying = { status: 'UNHEALTHY' as const, httpStatus: 503, reason: 'x' };
    const degraded = { status: 'DEGRADED' as const, httpStatus: 206, reason: 'y' };
    expect(
      evaluateWatch(
        series([
          [lying, null],
          [lying, null],
          [lying, null],
        ]),
        t,
      ).trigger?.name,
    ).toBe('health');
    expect(
      evaluateWatch(
        series([
          [degraded, null],
          [degraded, null],
          [degraded, null],
        ]),
        t,
      ).trigger,
    ).toBeNull();
  });
  it('fires "database" on 2 consecutive UNHEALTHY database components, ahead of "health"', () => {
    const one = evaluateWatch(
      series([
        [OK, null, 'HEALTHY'],
        [DOWN, null, 'UNHEALTHY'],
      ]),
      t,
    );
    expect(one.trigger).toBeNull();
    const e = evaluateWatch(
      series([
        [DOWN, null, 'UNHEALTHY'],
        [DOWN, null, 'UNHEALTHY'],
        [DOWN, null, 'UNHEALTHY'],
      ]),
      t,
    );
    expect(e.triggers.map((x) => x.name)).toEqual(['database', 'health']);
    expect(e.trigger).toEqual({
      name: 'database',
      reason: 'database component UNHEALTHY in 3 consecutive health probes (threshold 2)',
    });
  });
});

describe('evaluateWatch: error rate over 5 min', () => {
  // 61 samples x 5 s = 300 s span exactly.
  const rows = (perTick: number, errPerTick: number): Parameters<typeof series>[0] =>
    Array.from({ length: 61 }, (_, i) => [OK, [i * perTick, i * errPerTick, 0, 0]]);
  it('does not judge before the window is covered', () => {
    const e = evaluateWatch(series(rows(100, 50).slice(0, 60)), t);
    expect(e.errorRate).toBeNull();
    expect(e.trigger).toBeNull();
  });
  it('fires above 5 %', () => {
    // 6000 requests, 360 errors = 6 %
    const e = evaluateWatch(series(rows(100, 6)), t);
    expect(e.errorRate).toBeCloseTo(0.06, 10);
    expect(e.trigger).toEqual({
      name: 'error-rate',
      reason: 'error rate 6.00 % (360 of 6000 requests) over the last 5.0 min exceeds 5.00 %',
    });
  });
  it('does not fire at exactly 5 %', () => {
    expect(evaluateWatch(series(rows(100, 5)), t).trigger).toBeNull();
  });
  it('uses only the window, not errors from before it', () => {
    // first 10 ticks: 100 % errors; then 60 ticks of 1 %
    const r: Parameters<typeof series>[0] = [];
    let req = 0;
    let err = 0;
    for (let i = 0; i < 71; i++) {
      r.push([OK, [req, err, 0, 0]]);
      req += 100;
      err += i < 10 ? 100 : 1;
    }
    const e = evaluateWatch(series(r), t);
    expect(e.errorRate).toBeCloseTo(0.01, 10);
    expect(e.trigger).toBeNull();
  });
  it('handles a counter reset (app restarted) like PromQL increase()', () => {
    const r = rows(100, 10); // 10 %
    const reset = r.map(([p, m], i): Parameters<typeof series>[0][number] => [
      p,
      i >= 30 && m ? [m[0] - 3000, m[1] - 300, 0, 0] : m,
    ]);
    // the tick after the reset counts its whole value: still 10 % overall
    const e = evaluateWatch(series(reset), t);
    expect(e.errorRate).toBeCloseTo(0.1, 10);
    expect(e.trigger?.name).toBe('error-rate');
  });
  it('needs minRequests before judging', () => {
    const e = evaluateWatch(
      series(Array.from({ length: 61 }, (_, i) => [OK, [Math.floor(i / 4), Math.floor(i / 4), 0, 0]])),
      t,
    );
    expect(e.errorRate).toBeNull(); // 15 requests < 20
  });
  it('skips ticks whose scrape failed', () => {
    const r = rows(100, 10).map(([p, m], i): Parameters<typeof series>[0][number] => [p, i % 2 ? null : m]);
    expect(evaluateWatch(series(r), t).errorRate).toBeCloseTo(0.1, 10);
  });
});

describe('evaluateWatch: mean latency over 10 min', () => {
  // 121 samples x 5 s = 600 s
  const rows = (countPerTick: number, secondsPerTick: number): Parameters<typeof series>[0] =>
    Array.from({ length: 121 }, (_, i) => [OK, [i * countPerTick, 0, i * secondsPerTick, i * countPerTick]]);
  it('fires above 2 s mean', () => {
    const e = evaluateWatch(series(rows(10, 25)), t); // 2.5 s mean
    expect(e.meanLatencyMs).toBe(2500);
    expect(e.trigger).toEqual({
      name: 'latency',
      reason: 'mean latency 2500 ms over 1200 requests in the last 10.0 min exceeds 2000 ms',
    });
  });
  it('passes at 2 s and below', () => {
    expect(evaluateWatch(series(rows(10, 20)), t).trigger).toBeNull();
    expect(evaluateWatch(series(rows(10, 1)), t).meanLatencyMs).toBe(100);
  });
  it('is not judged with only 9 min of data', () => {
    expect(evaluateWatch(series(rows(10, 25).slice(0, 109)), t).meanLatencyMs).toBeNull();
  });
  it('honours milliseconds as the unit and custom thresholds', () => {
    const custom = resolveWatchThresholds({ latencyUnit: 'milliseconds', latencyMs: 50, latencyWindowMs: 10_000 });
    const e = evaluateWatch(
      series([
        [OK, [0, 0, 0, 0]],
        [OK, [30, 0, 1800, 30]],
        [OK, [60, 0, 3600, 60]],
      ]),
      custom,
    );
    expect(e.meanLatencyMs).toBe(60);
    expect(e.trigger?.name).toBe('latency');
  });
});
