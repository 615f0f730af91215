/**
 * PerformanceMonitor — front-end timing of API calls and renders, reported to a monitoring hook.
 *
 * NOTE: only loaded by the diagnostics page (not by main.js), so the production bundle does not carry it.
 * Sends nothing unless a sink is configured; figures are measured with performance.now(), never estimated.
 */

import { SecurityUtils } from './SecurityUtils.js';

const SLOW_API_MS = 1000;

/** p50/p95/p99 and mean of a list of durations (nearest-rank percentiles); null when empty. */
export function summarizeDurations(durations) {
  if (!durations.length) return null;
  const sorted = [...durations].sort((a, b) => a - b);
  const rank = (p) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
  const mean = sorted.reduce((s, d) => s + d, 0) / sorted.length;
  return { count: sorted.length, mean, p50: rank(50), p95: rank(95), p99: rank(99), max: sorted[sorted.length - 1] };
}

export class PerformanceMonitor {
  static samples = new Map(); // category -> durations (bounded)
  static sink = null;
  static maxSamples = 500;

  static configure({ sink = null, maxSamples = 500 } = {}) {
    PerformanceMonitor.sink = sink;
    PerformanceMonitor.maxSamples = maxSamples;
  }

  static trackApiCall(endpoint, startTime, endTime, success) {
    const duration = endTime - startTime;
    PerformanceMonitor.#record(`api:${endpoint}`, duration);
    const metrics = {
      endpoint,
      duration,
      success,
      timestamp: new Date().toISOString(),
      userAgent: typeof navigator !== 'undefined' ? navigator.userAgent : 'node',
      sessionId: SecurityUtils.getSessionId(),
    };
    PerformanceMonitor.sendMetrics('api-performance', metrics);
    if (duration > SLOW_API_MS) PerformanceMonitor.alertSlowResponse(endpoint, duration);
    return metrics;
  }

  /** Measures a render function (sync or async) under a category name. */
  static async measure(category, fn) {
    const start = performance.now();
    try {
      return await fn();
    } finally {
      PerformanceMonitor.#record(category, performance.now() - start);
    }
  }

  static summary() {
    return Object.fromEntries([...PerformanceMonitor.samples].map(([k, v]) => [k, summarizeDurations(v)]));
  }

  static sendMetrics(category, data) {
    if (typeof PerformanceMonitor.sink === 'function') {
      try {
        PerformanceMonitor.sink(category, data);
      } catch (error) {
        console.warn('[PerformanceMonitor] sink failed', error);
      }
    }
  }

  static alertSlowResponse(endpoint, duration) {
    console.warn(`[PerformanceMonitor] slow API response: ${endpoint} took ${Math.round(duration)} ms`);
  }

  static #record(category, duration) {
    const list = PerformanceMonitor.samples.get(category) ?? [];
    list.push(duration);
    if (list.length > PerformanceMonitor.maxSamples) list.splice(0, list.length - PerformanceMonitor.maxSamples);
    PerformanceMonitor.samples.set(category, list);
  }
}

export default PerformanceMonitor;
