import type { TargetConfig } from '../config/sections/deploy.js';
import { SlipwayError } from '../errors.js';
import { switchSlots, type BlueGreenConfig } from './blue-green/index.js';
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
 * that failed its check, so a failure here leaves the live slot serving.
 */
export async function startRelease(
  steps: StepRunner,
  target: Target,
  t: TargetConfig,
  releaseId: string,
  run: string,
): Promise<void> {
  if (t.strategy !== 'blue-green') return restartApp(steps, target, t, releaseId, run);
  const config = blueGreenSettings(t);
  await steps.run(
    'restart',
    `blue-green: start ${releaseId} in the idle slot, health-check, move traffic`,
    async () => {
      const r = await switchSlots({
        targetRoot: target.layout.root,
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
        message: `${r.live} live; switch ${r.switchMs?.toFixed(1) ?? '?'} ms`,
        data: { slot: r.live, switchMs: r.switchMs, drain: r.drain },
      };
    },
  );
}
