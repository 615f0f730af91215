import { z } from 'zod';
import { parseSelector } from '../../health/selector.js';

const selector = (field: string, def: string) =>
  z
    .string()
    .default(def)
    .superRefine((value, ctx) => {
      try {
        parseSelector(value, field);
      } catch (e) {
        ctx.addIssue({ code: 'custom', message: (e as Error).message });
      }
    });

/**
 * Watch-window thresholds. Defaults are the seed's automatic rollback triggers ("Rollback Procedures"):
 * HTTP 503 health responses, error rate > 5 % over 5 min, mean response time > 2 s over 10 min, database
 * connectivity loss. Exported for the target config (`deploy.targets.<name>.watch`).
 */
export const watchThresholdsSchema = z
  .object({
    /** Consecutive failing probes (HTTP 503 or any UNHEALTHY / UNREACHABLE result) that trigger a rollback. */
    consecutive503: z.number().int().min(1).default(3),
    /** Consecutive probes whose body reports the database component UNHEALTHY. */
    databaseFailures: z.number().int().min(1).default(2),
    /** Error ratio (0..1) over the error-rate window that triggers a rollback when exceeded. */
    errorRate: z.number().min(0).max(1).default(0.05),
    errorRateWindowMs: z.number().int().positive().default(300_000),
    /** Mean latency (ms) over the latency window that triggers a rollback when exceeded. */
    latencyMs: z.number().positive().default(2000),
    latencyWindowMs: z.number().int().positive().default(600_000),
    probeIntervalMs: z.number().int().positive().default(5000),
    probeTimeoutMs: z.number().int().positive().default(2000),
    /** Rates are judged only once the window saw this many requests: 1 error in 3 requests is not a 33 % outage. */
    minRequests: z.number().int().min(1).default(20),
    /** Counter of all requests (summed over its labels). */
    requestsSelector: selector('requestsSelector', 'http_requests_total'),
    /** The failed subset of the same counter. */
    errorsSelector: selector('errorsSelector', 'http_requests_total{status=~"5.."}'),
    /** Histogram or summary `_sum` and `_count` of request durations. */
    latencySumSelector: selector('latencySumSelector', 'http_request_duration_seconds_sum'),
    latencyCountSelector: selector('latencyCountSelector', 'http_request_duration_seconds_count'),
    /** Unit of the latency `_sum` (Prometheus convention: seconds). */
    latencyUnit: z.enum(['seconds', 'milliseconds']).default('seconds'),
    /** Component name in the health body whose UNHEALTHY status means database connectivity loss. */
    databaseComponent: z.string().min(1).default('database'),
  })
  .strict();

export type WatchThresholds = z.infer<typeof watchThresholdsSchema>;
export type WatchThresholdsInput = z.input<typeof watchThresholdsSchema>;

/** Watch-window settings of a target: how long to watch after a deploy (0 = no watch) and the thresholds. */
export const watchConfigSchema = z
  .object({
    durationMs: z.number().int().min(0).default(0),
    metricsUrl: z.url().optional(),
    thresholds: watchThresholdsSchema.prefault({}),
  })
  .strict();

export type WatchConfig = z.infer<typeof watchConfigSchema>;

/** Fills defaults and validates; throws ZodError listing every bad field. */
export function resolveWatchThresholds(partial: WatchThresholdsInput = {}): WatchThresholds {
  return watchThresholdsSchema.parse(partial);
}
