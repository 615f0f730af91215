import type { ProbeResult } from './probe.js';
import type { HealthStatus } from './status.js';
import type { WatchThresholds } from '../config/sections/watch.js';

/** One tick of the watch window: a health probe and, when a metrics URL is set, the counters read from a scrape. */
export interface WatchSample {
  atMs: number;
  probe: Pick<ProbeResult, 'status' | 'httpStatus' | 'reason'>;
  /** Database component status from the health body; undefined when the body does not report it. */
  database?: HealthStatus;
  /** null: no metrics URL, scrape failed, or a metric missing (then that tick is left out of the rates). */
  metrics: { requests: number; errors: number; latencySum: number; latencyCount: number } | null;
}

export type WatchTriggerName = 'database' | 'health' | 'error-rate' | 'latency';

export interface WatchTrigger {
  name: WatchTriggerName;
  reason: string;
}

export interface WatchEvaluation {
  /** The first trigger that fired, in the order database, health, error-rate, latency; null when all pass. */
  trigger: WatchTrigger | null;
  triggers: WatchTrigger[];
  consecutiveFailures: number;
  consecutiveDatabaseFailures: number;
  /** Over the error-rate window; null until the window is covered by samples with at least minRequests requests. */
  errorRate: number | null;
  /** Mean latency in ms over the latency window; null until covered (as errorRate). */
  meanLatencyMs: number | null;
}

/** Judges a sample series (oldest first) against the thresholds. Pure. */
export function evaluateWatch(samples: readonly WatchSample[], t: WatchThresholds): WatchEvaluation {
  const triggers: WatchTrigger[] = [];
  const consecutiveFailures = countTrailing(samples, (s) => isFailedProbe(s));
  const consecutiveDatabaseFailures = countTrailing(samples, (s) => s.database === 'UNHEALTHY');
  const last = samples.at(-1);
  if (last && consecutiveDatabaseFailures >= t.databaseFailures) {
    triggers.push({
      name: 'database',
      reason: `database component UNHEALTHY in ${consecutiveDatabaseFailures} consecutive health probes (threshold ${t.databaseFailures})`,
    });
  }
  if (last && consecutiveFailures >= t.consecutive503) {
    triggers.push({
      name: 'health',
      reason: `${consecutiveFailures} consecutive failed health probes (threshold ${t.consecutive503}); last: ${last.probe.reason}`,
    });
  }
  const errorWindow = windowIncrease(samples, t.errorRateWindowMs, (m) => [m.requests, m.errors]);
  let errorRate: number | null = null;
  if (errorWindow && errorWindow.increase[0]! >= t.minRequests) {
    errorRate = errorWindow.increase[1]! / errorWindow.increase[0]!;
    if (errorRate > t.errorRate) {
      triggers.push({
        name: 'error-rate',
        reason: `error rate ${pct(errorRate)} (${errorWindow.increase[1]} of ${errorWindow.increase[0]} requests) over the last ${seconds(errorWindow.spanMs)} exceeds ${pct(t.errorRate)}`,
      });
    }
  }
  const latencyWindow = windowIncrease(samples, t.latencyWindowMs, (m) => [m.latencyCount, m.latencySum]);
  let meanLatencyMs: number | null = null;
  if (latencyWindow && latencyWindow.increase[0]! >= t.minRequests) {
    const unit = t.latencyUnit === 'seconds' ? 1000 : 1;
    meanLatencyMs = (latencyWindow.increase[1]! / latencyWindow.increase[0]!) * unit;
    if (meanLatencyMs > t.latencyMs) {
      triggers.push({
        name: 'latency',
        reason: `mean latency ${Math.round(meanLatencyMs)} ms over ${latencyWindow.increase[0]} requests in the last ${seconds(latencyWindow.spanMs)} exceeds ${t.latencyMs} ms`,
      });
    }
  }
  return {
    trigger: triggers[0] ?? null,
    triggers,
    consecutiveFailures,
    consecutiveDatabaseFailures,
    errorRate,
    meanLatencyMs,
  };
}

/** A probe counts as failed when it got HTTP 503, no response, or any UNHEALTHY verdict. */
export function isFailedProbe(s: WatchSample): boolean {
  return s.probe.httpStatus === 503 || s.probe.status === 'UNHEALTHY' || s.probe.status === 'UNREACHABLE';
}

function countTrailing(samples: readonly WatchSample[], pred: (s: WatchSample) => boolean): number {
  let n = 0;
  for (let i = samples.length - 1; i >= 0 && pred(samples[i]!); i--) n++;
  return n;
}

/**
 * Increase of counters over the last `windowMs`, like PromQL increase() without extrapolation: summed over
 * consecutive scrapes, a counter that went down (process restart) counts from zero. Null until some sample with
 * metrics is at least windowMs older than the newest one, so a short watch never judges a rate on seconds of data.
 */
function windowIncrease(
  samples: readonly WatchSample[],
  windowMs: number,
  pick: (m: NonNullable<WatchSample['metrics']>) => number[],
): { increase: number[]; spanMs: number } | null {
  const withMetrics = samples.filter((s) => s.metrics !== null);
  const newest = withMetrics.at(-1);
  if (!newest) return null;
  let start = -1;
  for (let i = withMetrics.length - 1; i >= 0; i--) {
    if (newest.atMs - withMetrics[i]!.atMs >= windowMs) {
      start = i;
      break;
    }
  }
  if (start < 0) return null;
  const increase = pick(newest.metrics!).map(() => 0);
  for (let i = start + 1; i < withMetrics.length; i++) {
    const prev = pick(withMetrics[i - 1]!.metrics!);
    const cur = pick(withMetrics[i]!.metrics!);
    cur.forEach((v, k) => {
      const p = prev[k]!;
      increase[k] = (increase[k] ?? 0) + (v >= p ? v - p : v);
    });
  }
  return { increase, spanMs: newest.atMs - withMetrics[start]!.atMs };
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)} %`;
}

function seconds(ms: number): string {
  return ms >= 60_000 ? `${(ms / 60_000).toFixed(1)} min` : `${(ms / 1000).toFixed(1)} s`;
}
