import type { TargetConfig } from '../config/sections/deploy.js';
import { SlipwayError } from '../errors.js';
import type { Contracts } from './contracts.js';
import { packageCommandEnv, resolveRunAs, type CommandUser } from './command-env.js';
import { describeFailure } from './run-command.js';
import { runSmokeTests } from './smoke.js';
import type { StepRunner } from './step-runner.js';
import type { Target } from './target.js';
import path from 'node:path';

/**
 * The whole environment every restart/stop/smoke command gets: the allowlist of command-env.ts (never the
 * deployer's secrets), the SLIPWAY_* variables below and the target's `env:`.
 */
export function releaseEnv(target: Target, releaseId: string | null, t: TargetConfig): Record<string, string> {
  const env: Record<string, string> = {
    SLIPWAY_TARGET_ROOT: target.layout.root,
    SLIPWAY_RELEASE_ID: releaseId ?? '',
    SLIPWAY_RELEASE_DIR: releaseId ? target.releaseDir(releaseId) : '',
    SLIPWAY_CURRENT_DIR: target.layout.current,
  };
  if (t.health.url) {
    env.SLIPWAY_HEALTH_URL = t.health.url;
    env.SLIPWAY_BASE_URL = new URL(t.health.url).origin;
  }
  return packageCommandEnv(env, t.env, commandUser(t));
}

/** The OS user package commands run as (`runAs`), or null for the deploying user. */
export function commandUser(t: TargetConfig): CommandUser | null {
  return resolveRunAs(t.runAs);
}

/** Runs the configured restart command for `releaseId` (journaled); throws E_DEPLOY when it fails. */
export async function restartApp(
  steps: StepRunner,
  target: Target,
  t: TargetConfig,
  releaseId: string | null,
  run: string,
): Promise<void> {
  if (!t.restart) return steps.skip('restart', 'no restart command configured');
  const cmd = t.restart;
  await steps.run('restart', 'run the restart command', async () => {
    // cwd = the release, so a package's own scripts (`bash scripts/start.sh`) resolve as written.
    const r = await target.exec(cmd, {
      env: releaseEnv(target, releaseId, t),
      user: commandUser(t),
      timeoutMs: t.commandTimeoutMs,
      log: `${run}-restart.log`,
      ...(steps.signal ? { signal: steps.signal } : {}),
      ...(releaseId ? { cwd: target.releaseDir(releaseId) } : {}),
    });
    if (r.code !== 0 || r.timedOut) {
      throw new SlipwayError('E_DEPLOY', describeFailure('restart command', r, t.commandTimeoutMs), {
        details: r.tail,
        hint: `See ${path.join(target.layout.state, 'logs', `${run}-restart.log`)}.`,
      });
    }
    return { value: undefined, data: { exit: r.code } };
  });
}

/** Post-switch validation: health gate, then smoke tests. Throws E_HEALTH / E_DEPLOY with the reason. */
export async function validateRelease(
  steps: StepRunner,
  contracts: Contracts,
  target: Target,
  t: TargetConfig,
  releaseId: string,
  run: string,
  smoke: boolean,
): Promise<void> {
  const url = t.health.url;
  if (!url) await steps.skip('health', 'no health URL configured');
  else {
    await steps.run('health', `wait for ${url}`, async () => {
      const w = await contracts.waitForHealthy({
        url,
        timeoutMs: t.health.timeoutMs,
        intervalMs: t.health.intervalMs,
        allowDegraded: t.health.allowDegraded,
        ...(t.health.expect ? { expect: t.health.expect } : {}),
        ...(steps.signal ? { signal: steps.signal } : {}),
      });
      if (!w.ok) {
        throw new SlipwayError(
          'E_HEALTH',
          `release ${releaseId} is not healthy: ${w.last.status} (${w.last.reason}) after ${w.attempts} probe(s)`,
          {
            hint:
              w.last.hint ??
              (t.health.allowDegraded
                ? 'Check the application log.'
                : 'Check the application log; DEGRADED only passes with health.allowDegraded.'),
          },
        );
      }
      return {
        value: undefined,
        message: `${w.last.status} after ${w.attempts} probe(s)`,
        data: { attempts: w.attempts, status: w.last.status },
      };
    });
  }
  if (!smoke) return;
  if (!t.smokeTests) return steps.skip('smoke', 'smokeTests is off');
  await steps.run('smoke', 'run the package smoke tests', async () => {
    const r = await runSmokeTests({
      releaseDir: target.releaseDir(releaseId),
      env: releaseEnv(target, releaseId, t),
      user: commandUser(t),
      timeoutMs: t.commandTimeoutMs,
      logDir: path.join(target.layout.state, 'logs', run),
      ...(steps.signal ? { signal: steps.signal } : {}),
    });
    if (!r.ok) {
      const failed = r.tests.find((x) => !x.ok);
      throw new SlipwayError('E_DEPLOY', failed?.reason ?? 'smoke test failed', {
        hint: `See ${path.join(target.layout.state, 'logs', run)}.`,
      });
    }
    return {
      value: undefined,
      message: r.tests.length ? `${r.tests.length} smoke test(s) passed` : 'the package has no tests/smoke',
      data: { tests: r.tests },
    };
  });
}
