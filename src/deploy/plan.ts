import type { Config } from '../config/schema.js';
import { buildVersion } from '../config/load.js';
import type { TargetConfig } from '../config/sections/deploy.js';
import { hostTargetView } from '../config/sections/ssh-view.js';
import { maskUrl } from '../errors.js';
import { SCHEMA_VERSION, type DeploymentInfo } from '../manifest/schema.js';
import { targetDatabaseUrl } from './target-settings.js';
import type { DeployPlan, PlannedStep } from './types.js';

export interface PlanDeployInput {
  root: string;
  releaseId: string;
  packageName: string;
  /** The live release: null when none, undefined when not known yet (deployment-info.json is written at build time). */
  previous: string | null | undefined;
  target: TargetConfig;
  databaseUrl: string | null;
  /** The package carries database/package.sql. */
  hasDatabasePackage: boolean;
  watchMs: number;
  force: boolean;
}

/**
 * The steps a deploy will take, in order, and why any is skipped (pure). This is the one deploy algorithm:
 * `--dry-run` and `--json` print it, apply (deploy-steps.ts) takes its run/skip decisions from it and journals
 * the same steps, and deployment-info.json lists it.
 */
export function planDeploy(input: PlanDeployInput): DeployPlan {
  const t = input.target;
  // Shown, never probed from here: a health URL may carry a password or ?token= (plan output, deployment-info.json).
  const health = t.health.url === undefined ? undefined : maskUrl(t.health.url);
  const db = input.databaseUrl;
  const live =
    input.previous === undefined ? 'the live release' : input.previous === null ? 'no live release' : input.previous;
  const restart: PlannedStep =
    t.strategy === 'blue-green'
      ? { step: 'restart', action: `blue-green: start ${input.releaseId} in the idle slot, health-check, move traffic` }
      : t.restart
        ? { step: 'restart', action: `run the restart command (timeout ${t.commandTimeoutMs} ms)` }
        : { step: 'restart', action: 'run the restart command', skip: 'no restart command configured' };
  const switchStep: PlannedStep = {
    step: 'switch',
    action: `point current at releases/${input.releaseId}${input.previous === undefined ? '' : ` (was ${input.previous ?? 'none'})`}`,
  };
  const steps: PlannedStep[] = [
    { step: 'verify', action: `verify the archive digest and every SHA256SUMS line of ${input.packageName}` },
    {
      step: 'extract',
      action: `extract into releases/.staging-${input.releaseId}, verify again, link ${t.shared.length} shared path(s)${t.shared.length ? ` (${t.shared.join(', ')})` : ''}, rename to releases/${input.releaseId}`,
    },
    {
      step: 'compat',
      action: `check version-compatibility.json against ${live}${db ? ' and the database' : ''}`,
    },
    health
      ? {
          step: 'precheck',
          action: `probe ${health} (live system must be healthy${input.force ? ', --force: only reported' : ''})`,
        }
      : { step: 'precheck', action: 'probe the live system', skip: 'no health URL configured' },
    t.backupDatabase && db
      ? { step: 'backup', action: `pg_dump ${maskUrl(db)} into .slipway/backups/` }
      : {
          step: 'backup',
          action: 'pg_dump the database',
          skip: db ? 'backupDatabase is off' : 'no database configured',
        },
    db && input.hasDatabasePackage
      ? { step: 'migrate', action: `apply database/package.sql to ${maskUrl(db)}` }
      : {
          step: 'migrate',
          action: 'apply database/package.sql',
          skip: db ? 'the package has no database/package.sql' : 'no database configured',
        },
    // blue-green moves traffic to a slot that passed its check first; `current` follows. symlink: switch, restart.
    ...(t.strategy === 'blue-green' ? [restart, switchStep] : [switchStep, restart]),
    health
      ? {
          step: 'health',
          action: `wait until ${health} is HEALTHY${t.health.allowDegraded ? ' or DEGRADED' : ''} (timeout ${t.health.timeoutMs} ms)`,
        }
      : { step: 'health', action: 'wait for health', skip: 'no health URL configured' },
    t.smokeTests
      ? { step: 'smoke', action: 'run tests/smoke/*.mjs|*.sh from the package, if any' }
      : { step: 'smoke', action: 'run smoke tests', skip: 'smokeTests is off' },
    ...(input.watchMs > 0
      ? [
          health
            ? { step: 'health' as const, action: `watch the release for ${Math.round(input.watchMs / 1000)} s` }
            : { step: 'health' as const, action: 'watch window', skip: 'no health URL configured' },
        ]
      : []),
    { step: 'retention', action: `keep the newest ${t.keep} releases (never current, the last good or a pinned one)` },
  ];
  return { root: input.root, releaseId: input.releaseId, previous: input.previous ?? null, steps };
}

/** deployment-info.json (pure): for each configured target, the steps planDeploy says a deploy of this package runs. */
export function planDeploymentInfo(config: Config, hasDatabasePackage: boolean): DeploymentInfo {
  const targets = Object.entries(config.deploy.targets)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, target]) => {
      // An ssh target's steps are each host's (its first host stands for all: only the root and health URL differ).
      const t = target.type === 'ssh' ? hostTargetView(target, target.hosts[0]!) : target;
      const plan = planDeploy({
        root: t.path,
        releaseId: '<release-id>',
        packageName: 'the package',
        previous: undefined,
        target: t,
        databaseUrl: targetDatabaseUrl(config, t),
        hasDatabasePackage,
        watchMs: t.watch.durationMs,
        force: false,
      });
      return {
        name,
        type: target.type,
        strategy: t.strategy,
        steps: plan.steps.filter((s) => !s.skip).map((s) => `${s.step}: ${s.action}`),
        healthUrl: t.health.url === undefined ? null : maskUrl(t.health.url),
        rollback: { keepReleases: t.keep, database: t.rollbackDatabase, backupDatabase: t.backupDatabase },
      };
    });
  return {
    schemaVersion: SCHEMA_VERSION,
    application: config.name,
    version: buildVersion(config),
    environment: config.environment,
    targets,
  };
}
