import type { TargetConfig } from '../config/sections/deploy.js';
import { SlipwayError } from '../errors.js';
import {
  blueGreenPaths,
  readBlueGreenState,
  switchBack,
  switchSlots,
  type BlueGreenConfig,
} from './blue-green/index.js';
import { probeHealth } from '../health/probe.js';
import { isPidAlive } from '../pid-alive.js';
import { commandUser, releaseEnv, restartApp } from './activate.js';
import type { StepRunner } from './step-runner.js';
import type { Target } from './target.js';

/** The blue-green settings of a target (validated when the config loaded; E_CONFIG when a target has none). */
export function blueGreenSettings(t: TargetConfig): BlueGreenConfig {
  if (!t.blueGreen) {
    throw new SlipwayError('E_CONFIG', 'strategy blue-green needs deploy.targets.<name>.blueGreen settings', {
      field: 'deploy.targets.*.blueGreen',
    });
  }
  return t.blueGreen;
}

/**
 * Makes `releaseId` the running release. symlink: the restart command (after `current` moved). blue-green: start
 * it in the idle slot, health-check it there, move traffic (HEALTH's switchSlots); traffic never moves to a slot
 * that failed its check, so a failure here leaves the live slot serving. When the idle slot still runs `releaseId`
 * (`keepPrevious`: an undo or a rollback to the release just replaced), traffic moves back to it without a start
 * (switchBack: health-checked there first); should that slot not answer healthy, it is started afresh as above.
 * When the live slot already runs `releaseId` (an undo where traffic never moved: the new slot failed its check, or a
 * refused switch left the run's own release live) and it answers its health check now, nothing is started or moved.
 * Returns how: `switched-back` only when traffic moved to the process that was already running, `kept` when the
 * live slot was left as it was.
 */
export async function startRelease(
  steps: StepRunner,
  target: Target,
  t: TargetConfig,
  releaseId: string,
  run: string,
): Promise<'restarted' | 'switched-back' | 'kept'> {
  if (t.strategy !== 'blue-green') {
    await restartApp(steps, target, t, releaseId, run);
    return 'restarted';
  }
  const config = blueGreenSettings(t);
  const targetRoot = target.layout.root;
  const state = await readBlueGreenState(blueGreenPaths(targetRoot).state).catch(() => null);
  const idleSlot = state?.live ? (state.live === 'blue' ? 'green' : 'blue') : null;
  const idle = idleSlot ? state?.slots[idleSlot] : undefined;
  const running = idle?.releaseId === releaseId && idle.status === 'idle' && !!idle.pid && isPidAlive(idle.pid);
  const live = state?.live ? state.slots[state.live] : undefined;
  const isLive = live?.releaseId === releaseId && live.status === 'live' && !!live.pid && isPidAlive(live.pid);
  let how: 'restarted' | 'switched-back' | 'kept' = 'restarted';
  await steps.run<unknown>(
    'restart',
    isLive
      ? `blue-green: ${releaseId} is live in ${state!.live}: health-check it there (started afresh if it fails)`
      : running
        ? `blue-green: move traffic back to ${releaseId}, still running in ${idleSlot}`
        : `blue-green: start ${releaseId} in the idle slot, health-check, move traffic`,
    async () => {
      // Answering is checked, never assumed from the state file: a live pid may be a hung or broken process.
      const probe = isLive
        ? await probeHealth(`http://127.0.0.1:${live.port}${config.health.path}`, {
            timeoutMs: Math.min(config.health.timeoutMs, 5000),
          })
        : null;
      if (probe && (probe.status === 'HEALTHY' || (probe.status === 'DEGRADED' && config.health.allowDegraded))) {
        how = 'kept';
        return {
          value: null,
          message: `${state!.live} still live with ${releaseId}, ${probe.status}: not restarted`,
          data: { slot: state!.live, kept: true },
        };
      }
      const back = running ? await switchBack({ targetRoot, config }) : null;
      if (back?.ok) {
        how = 'switched-back';
        return {
          value: back,
          message: `${back.live} live again (it was still running); switch ${back.switchMs?.toFixed(1) ?? '?'} ms`,
          data: { slot: back.live, switchMs: back.switchMs, drain: back.drain, switchedBack: true },
        };
      }
      const r = await switchSlots({
        targetRoot,
        config,
        release: { id: releaseId, dir: target.releaseDir(releaseId) },
        // Slots run package code: the same allowlisted environment and user as restart/stop and smoke tests.
        env: releaseEnv(target, releaseId, t),
        user: commandUser(t),
      });
      if (!r.ok)
        throw new SlipwayError('E_HEALTH', r.reason ?? 'blue-green switch failed', { hint: `See ${r.logFile}.` });
      return {
        value: r,
        message:
          `${r.live} live; switch ${r.switchMs?.toFixed(1) ?? '?'} ms` +
          (back ? ` (the running ${idleSlot} slot could not take it back: ${back.reason})` : '') +
          (probe ? ` (the live ${state!.live} slot running it answered ${probe.status}: ${probe.reason})` : ''),
        data: { slot: r.live, switchMs: r.switchMs, drain: r.drain },
      };
    },
  );
  return how;
}
