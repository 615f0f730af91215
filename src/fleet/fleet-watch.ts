/**
 * The watch window of a fleet rollout (issue 13): once every host passed its gates, each host's health URL (and its
 * metrics URL, when `watch.metricsUrl` is set) is watched for the window with the local watch loop (watchRelease,
 * the local thresholds) — all hosts at once — and the fleet's metrics are judged aggregated too: at every host's
 * tick the latest counters of all hosts are summed into one series that evaluateWatch judges for error rate and
 * latency (the health and database triggers stay per host). Each host's counters are made monotonic before the sum
 * (a counter that went down — its process restarted — carries on from where it was), so the sum's increase is the
 * sum of the hosts' increases (Prometheus' sum(increase(x)), never increase(sum(x)), which would read one host's
 * restart as a reset of the whole fleet and count every host's lifetime totals as new). The first trigger, on a host
 * or on the aggregate, ends every watch; the caller rolls the fleet back as one.
 */
import { evaluateWatch, resolveWatchThresholds, watchRelease, type WatchClock } from '../deploy/watch.js';
import type { WatchEvaluation, WatchSample, WatchTrigger } from '../deploy/watch.js';
import type { ConnectedHost } from './fleet-connect.js';

export interface FleetWatchHost {
  host: string;
  probes: number;
  trigger: WatchTrigger | null;
  errorRate: number | null;
  meanLatencyMs: number | null;
  scrapeErrors: string[];
}

export interface FleetWatchResult {
  ok: boolean;
  /** Where the first trigger fired: a host's label, or `fleet` for the aggregated metrics; null when none did. */
  triggeredOn: string | null;
  trigger: WatchTrigger | null;
  aborted: boolean;
  hosts: FleetWatchHost[];
  /** The fleet's error rate and mean latency over the windows (null until the windows are covered). */
  aggregate: { samples: number; errorRate: number | null; meanLatencyMs: number | null };
  ms: number;
}

/** Watches every host with a health URL for `durationMs` (see the module comment). Never throws on I/O. */
export async function watchFleet(o: {
  hosts: ConnectedHost[];
  durationMs: number;
  signal?: AbortSignal | undefined;
  clock?: WatchClock;
}): Promise<FleetWatchResult> {
  const t0 = performance.now();
  const watched = o.hosts.filter((h) => h.host.view.health.url);
  const stop = new AbortController();
  const onOuter = () => stop.abort();
  o.signal?.addEventListener('abort', onOuter, { once: true });
  const thresholds = resolveWatchThresholds(watched[0]?.host.view.watch.thresholds);
  const latest = new Map<ConnectedHost, Counters>();
  const aggregate: WatchSample[] = [];
  let aggregateEval: WatchEvaluation | null = null;
  let first: { on: string; trigger: WatchTrigger } | null = null;
  const fire = (on: string, trigger: WatchTrigger) => {
    first ??= { on, trigger };
    stop.abort();
  };
  const results = await Promise.all(
    watched.map(async (h) => {
      const v = h.host.view;
      const r = await watchRelease({
        healthUrl: v.health.url!,
        ...(v.health.expect ? { expect: v.health.expect } : {}),
        ...(v.watch.metricsUrl ? { metricsUrl: v.watch.metricsUrl } : {}),
        durationMs: o.durationMs,
        thresholds: v.watch.thresholds,
        signal: stop.signal,
        ...(o.clock ? { clock: o.clock } : {}),
        onSample: (sample, own) => {
          // A sample that trips its own host names that host, not the fleet's sum it is a part of (the sum would trip
          // on it too when the other hosts' traffic has left its window).
          if (own.trigger) return fire(h.host.label, own.trigger);
          if (!v.watch.metricsUrl || !sample.metrics) return; // a failed scrape keeps the host's last counters
          latest.set(h, monotonic(latest.get(h), sample.metrics));
          const all = watched.map((x) => latest.get(x));
          if (all.some((m) => !m)) return; // a host without counters yet: the sum would undercount
          const sum = (k: CounterName) => all.reduce((n, m) => n + m!.value[k], 0);
          aggregate.push({
            atMs: sample.atMs,
            probe: { status: 'HEALTHY', httpStatus: 200, reason: 'aggregate of the hosts’ counters' },
            metrics: {
              requests: sum('requests'),
              errors: sum('errors'),
              latencySum: sum('latencySum'),
              latencyCount: sum('latencyCount'),
            },
          });
          aggregateEval = evaluateWatch(aggregate, thresholds);
          const agg = aggregateEval.triggers.find((x) => x.name === 'error-rate' || x.name === 'latency');
          if (agg) fire('fleet', { name: agg.name, reason: `the fleet's aggregated metrics: ${agg.reason}` });
        },
      });
      if (r.trigger) fire(h.host.label, r.trigger);
      return { h, r };
    }),
  );
  o.signal?.removeEventListener('abort', onOuter);
  const f = first as { on: string; trigger: WatchTrigger } | null;
  const agg = aggregateEval as WatchEvaluation | null;
  return {
    ok: f === null && !o.signal?.aborted && results.every((x) => x.r.ok),
    triggeredOn: f?.on ?? null,
    trigger: f?.trigger ?? null,
    aborted: f === null && results.some((x) => x.r.aborted),
    hosts: results.map(({ h, r }) => ({
      host: h.host.label,
      probes: r.probes,
      trigger: r.trigger,
      errorRate: r.last?.errorRate ?? null,
      meanLatencyMs: r.last?.meanLatencyMs ?? null,
      scrapeErrors: r.scrapeErrors,
    })),
    aggregate: {
      samples: aggregate.length,
      errorRate: agg?.errorRate ?? null,
      meanLatencyMs: agg?.meanLatencyMs ?? null,
    },
    ms: performance.now() - t0,
  };
}

type CounterName = 'requests' | 'errors' | 'latencySum' | 'latencyCount';
type Scraped = NonNullable<WatchSample['metrics']>;
/** A host's counters as last scraped (`raw`) and carried on across restarts (`value`, never decreasing). */
interface Counters {
  raw: Scraped;
  value: Scraped;
}

/** The host's next monotonic counters: a counter below its last scrape restarted from 0, so all of it is new. */
function monotonic(prev: Counters | undefined, raw: Scraped): Counters {
  if (!prev) return { raw, value: { ...raw } };
  const next = (k: CounterName) => prev.value[k] + (raw[k] >= prev.raw[k] ? raw[k] - prev.raw[k] : raw[k]);
  return {
    raw,
    value: {
      requests: next('requests'),
      errors: next('errors'),
      latencySum: next('latencySum'),
      latencyCount: next('latencyCount'),
    },
  };
}
