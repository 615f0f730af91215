/**
 * switchSlots: the apply half of a blue-green deploy. Start the release in the idle slot, health-check it, move
 * traffic (proxy and/or nginx), drain and stop the old slot. Traffic never moves to a slot that failed its check.
 */
import { connect } from 'node:net';
import { mkdir, readFile, rename, symlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { type WaitForHealthyResult, waitForHealthy } from '../../health/probe.js';
import {
  type BlueGreenConfig,
  type BlueGreenConfigInput,
  type Slot,
  blueGreenConfigSchema,
} from '../../config/sections/blue-green.js';
import { applyNginxUpstream } from './nginx.js';
import { type BlueGreenPlan, type BlueGreenRelease, planBlueGreen } from './plan.js';
import { type DrainResult, drainUpstream, fixedDrain } from './drain.js';
import { ensureProxy, stopProxy, switchProxy } from './proxy-control.js';
import { type StopResult, startSlotProcess, stopSlotProcess } from './slot-process.js';
import { type BlueGreenState, blueGreenPaths, readBlueGreenState, writeBlueGreenState } from './state.js';
import { type CommandUser, packageCommandEnv } from '../command-env.js';

export interface SwitchSlotsOptions {
  targetRoot: string;
  config: BlueGreenConfigInput;
  release: BlueGreenRelease;
  /**
   * The environment of package code for this release (activate.ts's releaseEnv: command-env.ts's allowlist, the
   * SLIPWAY_* variables and the target's `env:`); blueGreen.env and the slot variables go on top. Default: the
   * allowlist alone. Never the deployer's environment.
   */
  env?: Record<string, string>;
  /** The OS user the slot's app runs as (`runAs`), or null for the deploying user. */
  user?: CommandUser | null;
  signal?: AbortSignal;
  onProgress?: (event: { step: 'start' | 'health' | 'switch' | 'drain' | 'stop'; message: string }) => void;
}

export interface SwitchSlotsResult {
  ok: boolean;
  plan: BlueGreenPlan;
  /** Slot serving traffic afterwards (unchanged when ok is false). */
  live: Slot | null;
  reason: string | null;
  health: WaitForHealthyResult | null;
  /** From writing the new state to the proxy (or nginx reload) confirming the new upstream. */
  switchMs: number | null;
  drain: DrainResult | null;
  stopped: StopResult | null;
  logFile: string;
  ms: number;
}

/** Deploys `release` into the idle slot and moves traffic to it; never throws for an unhealthy release (ok:false). */
export async function switchSlots(opts: SwitchSlotsOptions): Promise<SwitchSlotsResult> {
  const started = Date.now();
  const config = blueGreenConfigSchema.parse(opts.config);
  const paths = blueGreenPaths(opts.targetRoot);
  const state = await readBlueGreenState(paths.state);
  const plan = planBlueGreen(state, opts.release, config);
  const logFile = paths.log(plan.slot);
  const progress = opts.onProgress ?? (() => undefined);
  const base = { plan, logFile, health: null, switchMs: null, drain: null, stopped: null };
  const fail = (reason: string, extra: Partial<SwitchSlotsResult> = {}): SwitchSlotsResult => ({
    ...base,
    ok: false,
    live: state.live,
    reason,
    ms: Date.now() - started,
    ...extra,
  });

  if (plan.stale) await stopSlotProcess(plan.stale.pid, config.stopTimeoutMs);
  if (await isListening(plan.port)) {
    return fail(
      `port ${plan.port} of slot ${plan.slot} is already in use by a process slipway did not start; stop it or change blueGreen.slots.${plan.slot}.port`,
    );
  }
  // The proxy comes up (serving the current live slot) before anything changes, so a proxy that cannot start
  // leaves the live release untouched.
  const proxy = config.proxy.enabled ? await ensureProxy(opts.targetRoot, config) : null;

  await pointSlot(paths.slotLink(plan.slot), opts.release.dir);
  progress({ step: 'start', message: `starting ${plan.slot} on port ${plan.port}` });
  const app = await startSlotProcess({
    command: config.start,
    cwd: opts.release.dir,
    port: plan.port,
    logFile,
    env: {
      ...(opts.env ?? packageCommandEnv({}, {}, null)),
      ...config.env,
      SLIPWAY_SLOT: plan.slot,
      SLIPWAY_RELEASE_ID: opts.release.id,
    },
    user: opts.user ?? null,
  });
  state.slots[plan.slot] = {
    releaseId: opts.release.id,
    releaseDir: opts.release.dir,
    port: plan.port,
    pid: app.pid,
    startedAt: new Date().toISOString(),
    status: 'starting',
  };
  await writeBlueGreenState(paths.state, state);

  progress({ step: 'health', message: `checking ${plan.healthUrl}` });
  const health = await healthUnlessExited(plan, config, app.exited, opts.signal);
  if (!health.ok) {
    const stopped = await stopSlotProcess(app.pid, config.stopTimeoutMs);
    state.slots[plan.slot] = { ...state.slots[plan.slot]!, pid: null, status: 'failed' };
    await writeBlueGreenState(paths.state, state);
    const tail = await readFile(logFile, 'utf8').then(
      (t) => t.trim().split('\n').slice(-5).join(' | '),
      () => '',
    );
    return fail(
      `${plan.slot} did not become healthy, traffic stays on ${state.live ?? 'nothing'}: ${health.last.reason}${tail ? `; log: ${tail}` : ''}`,
      { health, stopped },
    );
  }

  progress({ step: 'switch', message: `switching traffic to ${plan.slot}` });
  const switchStarted = performance.now();
  const previousLive = state.live;
  state.live = plan.slot;
  state.generation = plan.generation;
  state.slots[plan.slot]!.status = 'live';
  if (plan.previous) state.slots[plan.previous.slot]!.status = 'idle';
  await writeBlueGreenState(paths.state, state);
  try {
    if (proxy) await switchProxy(proxy, { slot: plan.slot, port: plan.port, generation: plan.generation });
    if (config.nginx) await applyNginxUpstream({ ...config.nginx, slot: plan.slot, port: plan.port });
  } catch (e) {
    // Put the state back (a newer generation, so the proxy's file poll follows) and remove the new slot.
    state.live = previousLive;
    state.generation = plan.generation + 1;
    if (plan.previous) state.slots[plan.previous.slot]!.status = 'live';
    state.slots[plan.slot] = { ...state.slots[plan.slot]!, pid: null, status: 'failed' };
    await writeBlueGreenState(paths.state, state);
    if (proxy && plan.previous)
      await switchProxy(proxy, {
        slot: plan.previous.slot,
        port: plan.previous.port,
        generation: state.generation,
      }).catch(() => undefined);
    const stopped = await stopSlotProcess(app.pid, config.stopTimeoutMs);
    return fail(`switching traffic to ${plan.slot} failed: ${(e as Error).message}`, { health, stopped });
  }
  const switchMs = Math.round((performance.now() - switchStarted) * 10) / 10;

  let drain: SwitchSlotsResult['drain'] = null;
  let stopped: StopResult | null = null;
  if (plan.previous && !config.keepPrevious) {
    progress({ step: 'drain', message: `draining ${plan.previous.slot}` });
    drain = proxy
      ? await drainUpstream(proxy, plan.previous.port, config.drainTimeoutMs)
      : await fixedDrain(config.nginx?.drainMs ?? 0);
    if (plan.previous.pid) {
      progress({ step: 'stop', message: `stopping ${plan.previous.slot} (pid ${plan.previous.pid})` });
      stopped = await stopSlotProcess(plan.previous.pid, config.stopTimeoutMs);
    }
    state.slots[plan.previous.slot] = { ...state.slots[plan.previous.slot]!, pid: null, status: 'stopped' };
    await writeBlueGreenState(paths.state, state);
  }
  return {
    ...base,
    ok: true,
    live: plan.slot,
    reason: null,
    health,
    switchMs,
    drain,
    stopped,
    ms: Date.now() - started,
  };
}

async function healthUnlessExited(
  plan: BlueGreenPlan,
  config: BlueGreenConfig,
  exited: Promise<{ code: number | null; signal: string | null }>,
  signal?: AbortSignal,
): Promise<WaitForHealthyResult> {
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  let exitInfo: { code: number | null; signal: string | null } | null = null;
  void exited.then((x) => {
    exitInfo = x;
    ac.abort(); // a crashed app will not get healthy: stop waiting at once
  });
  const r = await waitForHealthy({
    url: plan.healthUrl,
    timeoutMs: config.health.timeoutMs,
    intervalMs: config.health.intervalMs,
    allowDegraded: config.health.allowDegraded,
    signal: ac.signal,
  });
  signal?.removeEventListener('abort', onAbort);
  if (!r.ok && exitInfo) {
    const x = exitInfo as { code: number | null; signal: string | null };
    return {
      ...r,
      last: { ...r.last, reason: `the app exited (${x.signal ?? `code ${x.code}`}) before it was healthy` },
    };
  }
  return r;
}

/** slots/<slot> → release dir, replaced atomically (new link + rename). */
async function pointSlot(link: string, target: string): Promise<void> {
  await mkdir(path.dirname(link), { recursive: true });
  const tmp = `${link}.${process.pid}.tmp`;
  await unlink(tmp).catch(() => undefined);
  await symlink(target, tmp);
  await rename(tmp, link);
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

/** Stops both slots and the proxy of a target and marks nothing live (teardown; tests). */
export async function stopBlueGreen(targetRoot: string, stopTimeoutMs = 10_000): Promise<void> {
  const paths = blueGreenPaths(targetRoot);
  const state: BlueGreenState = await readBlueGreenState(paths.state);
  for (const slot of ['blue', 'green'] as const) {
    const s = state.slots[slot];
    if (s?.pid) await stopSlotProcess(s.pid, stopTimeoutMs);
    if (s) state.slots[slot] = { ...s, pid: null, status: 'stopped' };
  }
  await stopProxy(targetRoot);
  state.live = null;
  state.generation++;
  await writeBlueGreenState(paths.state, state);
}
