import type { ChildProcess } from 'node:child_process';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type WatchClock, watchRelease } from '../../src/deploy/watch.js';
import { startApp, stopChild } from '../fixtures/health/processes.js';
import { reservedPort } from '../helpers/ports.js';

let app: ChildProcess | undefined;
let base = '';

beforeAll(async () => {
  const port = await reservedPort();
  base = `http://127.0.0.1:${port}`;
  app = await startApp({ PORT: String(port), APP_VERSION: 'v1' });
});

afterAll(async () => {
  await stopChild(app);
});

afterEach(async () => {
  if (app?.exitCode === null) await control('health=healthy&db=up&errorEvery=0&delayMs=0');
});

async function control(query: string): Promise<void> {
  const res = await fetch(`${base}/control?${query}`, { method: 'POST' });
  expect(res.status).toBe(200);
}

/**
 * Virtual time (the watch's one seam): each sleep sends `perTick` real requests to the app, then advances the
 * clock by the interval, so a 10-minute window runs in a second against a real server and real metrics.
 */
function trafficClock(perTick: number, onTick?: (tick: number) => Promise<void>): WatchClock & { ticks: number } {
  let now = 1_000_000;
  const clock = {
    ticks: 0,
    now: () => now,
    sleep: async (ms: number) => {
      clock.ticks++;
      await onTick?.(clock.ticks);
      for (let i = 0; i < perTick; i++) await fetch(`${base}/`).then((r) => r.arrayBuffer());
      now += ms;
    },
  };
  return clock;
}

describe('watchRelease against a real app', () => {
  it('passes a healthy 10-minute window: 121 probes at 5 s', async () => {
    const clock = trafficClock(5);
    const r = await watchRelease({
      healthUrl: `${base}/api/health`,
      metricsUrl: `${base}/metrics`,
      durationMs: 600_000,
      clock,
    });
    expect(r).toMatchObject({ ok: true, trigger: null, probes: 121, aborted: false, ms: 600_000, scrapeErrors: [] });
    expect(r.last?.errorRate).toBe(0);
    expect(r.last?.meanLatencyMs).not.toBeNull();
  });

  it('rolls back on error rate > 5 % once 5 minutes are covered', async () => {
    await control('errorEvery=10'); // every 10th request answers 500: 10 %
    const clock = trafficClock(10);
    const r = await watchRelease({
      healthUrl: `${base}/api/health`,
      metricsUrl: `${base}/metrics`,
      durationMs: 600_000,
      clock,
    });
    expect(r.ok).toBe(false);
    expect(r.trigger?.name).toBe('error-rate');
    expect(r.trigger?.reason).toBe('error rate 10.00 % (60 of 600 requests) over the last 5.0 min exceeds 5.00 %');
    expect(r.probes).toBe(61); // first judged at the tick that completes the 5-minute window
  });

  it('rolls back after 3 consecutive failed health probes', async () => {
    const clock = trafficClock(0, async (tick) => {
      if (tick === 4) await control('health=unhealthy');
    });
    const r = await watchRelease({ healthUrl: `${base}/api/health`, durationMs: 600_000, clock });
    expect(r.trigger).toEqual({
      name: 'health',
      reason: '3 consecutive failed health probes (threshold 3); last: HTTP 503, overall.status UNHEALTHY',
    });
    expect(r.probes).toBe(7); // probes 5, 6, 7 failed
  });

  it('rolls back on database connectivity loss', async () => {
    const clock = trafficClock(0, async (tick) => {
      if (tick === 2) await control('db=down');
    });
    const r = await watchRelease({
      healthUrl: `${base}/api/health`,
      durationMs: 600_000,
      clock,
      thresholds: { consecutive503: 5 },
    });
    expect(r.trigger).toEqual({
      name: 'database',
      reason: 'database component UNHEALTHY in 2 consecutive health probes (threshold 2)',
    });
    expect(r.probes).toBe(4);
  });

  it('rolls back on mean latency above the threshold (real 40 ms delay, 25 ms threshold)', async () => {
    await control('delayMs=40');
    const clock = trafficClock(3);
    const r = await watchRelease({
      healthUrl: `${base}/api/health`,
      metricsUrl: `${base}/metrics`,
      durationMs: 600_000,
      clock,
      thresholds: { latencyMs: 25, latencyWindowMs: 60_000, minRequests: 30 },
    });
    expect(r.trigger?.name).toBe('latency');
    expect(r.probes).toBe(13); // 60 s window at 5 s = 12 intervals
    expect(r.last?.meanLatencyMs).toBeGreaterThanOrEqual(40);
  });

  it('keeps going when the metrics URL is broken and says why', async () => {
    const clock = trafficClock(0);
    const r = await watchRelease({
      healthUrl: `${base}/api/health`,
      metricsUrl: `${base}/api/health`,
      durationMs: 20_000,
      clock,
    });
    expect(r.ok).toBe(true);
    expect(r.probes).toBe(5);
    expect(r.scrapeErrors[0]).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/health:1:1: expected a metric name$/);
  });

  it('stops on abort without a trigger', async () => {
    const ac = new AbortController();
    const clock = trafficClock(0, async (tick) => {
      if (tick === 3) ac.abort();
    });
    const r = await watchRelease({ healthUrl: `${base}/api/health`, durationMs: 600_000, clock, signal: ac.signal });
    expect(r).toMatchObject({ ok: false, trigger: null, aborted: true, probes: 3 });
  });

  it('runs on the real clock too (short window)', async () => {
    const r = await watchRelease({
      healthUrl: `${base}/api/health`,
      durationMs: 1000,
      thresholds: { probeIntervalMs: 100 },
    });
    expect(r.ok).toBe(true);
    // The window lasted its duration on the real clock; the probes keep a fixed 100 ms schedule, so there are at most
    // 11 of them (a loaded machine only makes fewer) and more than one.
    expect(r.ms).toBeGreaterThanOrEqual(1000);
    expect(r.probes).toBeGreaterThanOrEqual(2);
    expect(r.probes).toBeLessThanOrEqual(11);
  });

  it('rolls back when the app dies (UNREACHABLE)', async () => {
    const clock = trafficClock(0, async (tick) => {
      if (tick === 1) await stopChild(app);
    });
    const r = await watchRelease({ healthUrl: `${base}/api/health`, durationMs: 600_000, clock });
    expect(r.trigger?.name).toBe('health');
    expect(r.trigger?.reason).toMatch(
      /^3 consecutive failed health probes \(threshold 3\); last: connection refused by /,
    );
    expect(r.probes).toBe(4);
  });
});
