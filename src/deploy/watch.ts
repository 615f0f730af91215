/**
 * Watch window after a deploy (issue 4): probe health and scrape metrics on an interval and report the first
 * automatic-rollback trigger. The decision is the pure evaluateWatch(); this file is the I/O loop. The clock is
 * the one seam (STYLE.md §12), so tests can run a 10-minute window against a real server in milliseconds.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { maskUrl } from '../errors.js';
import { probeHealth, type HealthExpect } from '../health/probe.js';
import { parsePrometheusText } from '../health/prometheus.js';
import { readComponentStatus } from '../health/read-body.js';
import { type Selector, parseSelector, sumSelected } from '../health/selector.js';
import { type WatchEvaluation, type WatchSample, type WatchTrigger, evaluateWatch } from '../health/watch-evaluate.js';
import { type WatchThresholds, type WatchThresholdsInput, resolveWatchThresholds } from '../config/sections/watch.js';

export {
  evaluateWatch,
  isFailedProbe,
  type WatchSample,
  type WatchTrigger,
  type WatchEvaluation,
} from '../health/watch-evaluate.js';
export {
  watchThresholdsSchema,
  watchConfigSchema,
  resolveWatchThresholds,
  type WatchThresholds,
  type WatchThresholdsInput,
  type WatchConfig,
} from '../config/sections/watch.js';

export interface WatchClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface WatchReleaseOptions {
  healthUrl: string;
  /** The target's health.expect (what a health answer must show). */
  expect?: HealthExpect;
  metricsUrl?: string;
  durationMs: number;
  thresholds?: WatchThresholdsInput;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  /** Defaults to the real clock. */
  clock?: WatchClock;
  /** Called after every tick with the sample and the verdict so far (progress output, journal). */
  onSample?: (sample: WatchSample, evaluation: WatchEvaluation) => void;
}

export interface WatchReleaseResult {
  /** True when the window ran to its end with no trigger. */
  ok: boolean;
  trigger: WatchTrigger | null;
  probes: number;
  /** The signal aborted the watch before its end (then ok is false and trigger null: the caller decides). */
  aborted: boolean;
  ms: number;
  last: WatchEvaluation | null;
  /** Scrape problems seen (metrics URL unreachable or malformed); they never trigger a rollback by themselves. */
  scrapeErrors: string[];
}

export const realClock: WatchClock = {
  now: () => Date.now(),
  sleep: async (ms, signal) => {
    await delay(ms, undefined, { signal }).catch(() => undefined);
  },
};

/** Runs the watch window; returns at the first trigger (ok:false), at the end (ok:true) or on abort. Never throws on I/O. */
export async function watchRelease(opts: WatchReleaseOptions): Promise<WatchReleaseResult> {
  const t = resolveWatchThresholds(opts.thresholds);
  const clock = opts.clock ?? realClock;
  const selectors = {
    requests: parseSelector(t.requestsSelector, 'requestsSelector'),
    errors: parseSelector(t.errorsSelector, 'errorsSelector'),
    latencySum: parseSelector(t.latencySumSelector, 'latencySumSelector'),
    latencyCount: parseSelector(t.latencyCountSelector, 'latencyCountSelector'),
  };
  // Keep only what the longest window needs (+ two ticks), so a long watch does not grow without bound.
  const keepMs = Math.max(t.errorRateWindowMs, t.latencyWindowMs) + 2 * t.probeIntervalMs;
  const started = clock.now();
  const samples: WatchSample[] = [];
  const scrapeErrors: string[] = [];
  let last: WatchEvaluation | null = null;
  const result = (ok: boolean, trigger: WatchTrigger | null, aborted = false): WatchReleaseResult => ({
    ok,
    trigger,
    probes: samples.length + dropped,
    aborted,
    ms: clock.now() - started,
    last,
    scrapeErrors,
  });
  let dropped = 0;
  for (;;) {
    if (opts.signal?.aborted) return result(false, null, true);
    const sample = await takeSample(opts, t, selectors, clock, scrapeErrors);
    samples.push(sample);
    while (samples.length > 2 && sample.atMs - samples[0]!.atMs > keepMs) {
      samples.shift();
      dropped++;
    }
    last = evaluateWatch(samples, t);
    opts.onSample?.(sample, last);
    if (last.trigger) return result(false, last.trigger);
    const left = opts.durationMs - (clock.now() - started);
    if (left <= 0) return result(true, null);
    // Ticks on a fixed schedule (start + n x interval), so slow probes do not stretch the windows.
    const nextTick = started + (samples.length + dropped) * t.probeIntervalMs;
    await clock.sleep(Math.max(0, Math.min(nextTick - clock.now(), left)), opts.signal);
    if (opts.signal?.aborted) return result(false, null, true);
  }
}

type Selectors = Record<'requests' | 'errors' | 'latencySum' | 'latencyCount', Selector>;

async function takeSample(
  opts: WatchReleaseOptions,
  t: WatchThresholds,
  sel: Selectors,
  clock: WatchClock,
  errors: string[],
): Promise<WatchSample> {
  const atMs = clock.now();
  const [probe, metrics] = await Promise.all([
    probeHealth(opts.healthUrl, {
      timeoutMs: t.probeTimeoutMs,
      ...(opts.headers ? { headers: opts.headers } : {}),
      ...(opts.expect ? { expect: opts.expect } : {}),
    }),
    opts.metricsUrl ? scrapeMetrics(opts.metricsUrl, t, sel, opts.headers, errors) : Promise.resolve(null),
  ]);
  const database = readComponentStatus(probe.body, t.databaseComponent);
  return {
    atMs,
    probe: { status: probe.status, httpStatus: probe.httpStatus, reason: probe.reason },
    ...(database ? { database } : {}),
    metrics,
  };
}

async function scrapeMetrics(
  url: string,
  t: WatchThresholds,
  sel: Selectors,
  headers: Record<string, string> | undefined,
  errors: string[],
): Promise<WatchSample['metrics']> {
  const note = (msg: string): null => {
    // Bounded: one scrape problem per tick is plenty to explain, a 10-minute watch must not hold thousands.
    if (errors.length < 20) errors.push(msg);
    return null;
  };
  let text: string;
  try {
    const res = await fetch(url, {
      headers: { accept: 'text/plain', ...headers },
      signal: AbortSignal.timeout(t.probeTimeoutMs),
    });
    text = await res.text();
    if (!res.ok) return note(`metrics ${maskUrl(url)}: HTTP ${res.status}`);
  } catch (e) {
    return note(`metrics ${maskUrl(url)}: ${(e as { cause?: { code?: string } }).cause?.code ?? (e as Error).message}`);
  }
  try {
    const exp = parsePrometheusText(text, maskUrl(url));
    const requests = sumSelected(exp, sel.requests);
    const errorsCount = sumSelected(exp, sel.errors) ?? (requests === null ? null : 0);
    const latencySum = sumSelected(exp, sel.latencySum);
    const latencyCount = sumSelected(exp, sel.latencyCount);
    if (requests === null || errorsCount === null)
      return note(`metrics ${maskUrl(url)}: no ${sel.requests.name} samples`);
    // A missing latency metric leaves latency unjudged (0/0 increase) but still lets the error rate work.
    return { requests, errors: errorsCount, latencySum: latencySum ?? 0, latencyCount: latencyCount ?? 0 };
  } catch (e) {
    return note((e as Error).message);
  }
}
