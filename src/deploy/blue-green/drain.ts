import { setTimeout as sleep } from 'node:timers/promises';
import { type ProxyHandle, proxyStatus } from './proxy-control.js';

export interface DrainResult {
  ok: boolean;
  /** Requests still in flight when the wait ended (0 when ok). */
  inflight: number;
  ms: number;
}

/** Waits (bounded) until the proxy has no request in flight to `port`. */
export async function drainUpstream(proxy: ProxyHandle, port: number, timeoutMs: number): Promise<DrainResult> {
  const started = Date.now();
  for (;;) {
    const inflight = (await proxyStatus(proxy)).inflight[String(port)] ?? 0;
    if (inflight === 0) return { ok: true, inflight: 0, ms: Date.now() - started };
    if (Date.now() - started >= timeoutMs) return { ok: false, inflight, ms: Date.now() - started };
    await sleep(25);
  }
}

/** nginx reports no in-flight counts: wait a fixed time instead. */
export async function fixedDrain(ms: number): Promise<DrainResult> {
  await sleep(ms);
  return { ok: true, inflight: 0, ms };
}
