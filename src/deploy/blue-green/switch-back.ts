/**
 * switchBack: instant rollback for blue-green when the previous slot was kept running (keepPrevious: true).
 * No process start: health-check the idle slot, move traffic back, drain and stop the slot that was live.
 */
import { waitForHealthy } from '../../health/probe.js';
import { type BlueGreenConfigInput, type Slot, blueGreenConfigSchema } from '../../config/sections/blue-green.js';
import { drainUpstream, fixedDrain } from './drain.js';
import { applyNginxUpstream } from './nginx.js';
import { ensureProxy, switchProxy } from './proxy-control.js';
import { stopSlotProcess } from './slot-process.js';
import { isPidAlive } from '../../pid-alive.js';
import { blueGreenPaths, readBlueGreenState, writeBlueGreenState } from './state.js';
import type { SwitchSlotsResult } from './switch.js';

/** A switch back has no plan and no start log: the previous slot is already running. */
export type SwitchBackResult = Omit<SwitchSlotsResult, 'plan' | 'logFile'>;

/** Moves traffic back to the idle slot if its process is still running and healthy; ok:false (nothing changed) otherwise. */
export async function switchBack(opts: {
  targetRoot: string;
  config: BlueGreenConfigInput;
}): Promise<SwitchBackResult> {
  const started = Date.now();
  const config = blueGreenConfigSchema.parse(opts.config);
  const paths = blueGreenPaths(opts.targetRoot);
  const state = await readBlueGreenState(paths.state);
  const none = { health: null, switchMs: null, drain: null, stopped: null };
  const fail = (reason: string, extra: Partial<SwitchBackResult> = {}): SwitchBackResult => ({
    ...none,
    ok: false,
    live: state.live,
    reason,
    ms: Date.now() - started,
    ...extra,
  });
  if (!state.live) return fail('no slot is live');
  const from = state.live;
  const to: Slot = from === 'blue' ? 'green' : 'blue';
  const target = state.slots[to];
  if (!target || target.status !== 'idle' || !target.pid || !isPidAlive(target.pid)) {
    return fail(
      `slot ${to} is not running (${target?.status ?? 'never used'}); switch-back needs blueGreen.keepPrevious: true — deploy the previous release instead`,
    );
  }
  const health = await waitForHealthy({
    url: `http://127.0.0.1:${target.port}${config.health.path}`,
    timeoutMs: Math.min(config.health.timeoutMs, 5000),
    intervalMs: config.health.intervalMs,
    allowDegraded: config.health.allowDegraded,
  });
  if (!health.ok) return fail(`slot ${to} is not healthy, traffic stays on ${from}: ${health.last.reason}`, { health });

  const proxy = config.proxy.enabled ? await ensureProxy(opts.targetRoot, config) : null;
  const switchStarted = performance.now();
  const previous = state.slots[from]!;
  state.live = to;
  state.generation++;
  state.slots[to] = { ...target, status: 'live' };
  state.slots[from] = { ...previous, status: 'idle' };
  await writeBlueGreenState(paths.state, state);
  if (proxy) await switchProxy(proxy, { slot: to, port: target.port, generation: state.generation });
  if (config.nginx) await applyNginxUpstream({ ...config.nginx, slot: to, port: target.port });
  const switchMs = Math.round((performance.now() - switchStarted) * 10) / 10;

  // The slot we leave is the bad release: drain it and stop it (keeping it would only invite a switch back to it).
  const drain = proxy
    ? await drainUpstream(proxy, previous.port, config.drainTimeoutMs)
    : await fixedDrain(config.nginx?.drainMs ?? 0);
  const stopped = previous.pid ? await stopSlotProcess(previous.pid, config.stopTimeoutMs) : null;
  state.slots[from] = { ...previous, pid: null, status: 'stopped' };
  await writeBlueGreenState(paths.state, state);
  return { ok: true, live: to, reason: null, health, switchMs, drain, stopped, ms: Date.now() - started };
}
