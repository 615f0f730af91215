import type { TargetConfig } from '../config/sections/deploy.js';
import { maskUrl } from '../errors.js';
import type { DeployPlan, PlannedStep } from './types.js';

export interface PlanDeployInput {
  root: string;
  releaseId: string;
  packageName: string;
  previous: string | null;
  target: TargetConfig;
  databaseUrl: string | null;
  /** The package carries database/package.sql. */
  hasDatabasePackage: boolean;
  watchMs: number;
  force: boolean;
}

/** The steps a deploy will take and why any is skipped (pure; `--dry-run` prints exactly this). */
export function planDeploy(input: PlanDeployInput): DeployPlan {
  const t = input.target;
  const health = t.health.url;
  const db = input.databaseUrl;
  const steps: PlannedStep[] = [
    { step: 'verify', action: `verify the archive digest and every SHA256SUMS line of ${input.packageName}` },
    {
      step: 'extract',
      action: `extract into releases/.staging-${input.releaseId}, verify again, link ${t.shared.length} shared path(s), rename to releases/${input.releaseId}`,
    },
    {
      step: 'compat',
      action: `check version-compatibility.json against ${input.previous ?? 'no live release'}${db ? ' and the database' : ''}`,
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
    { step: 'switch', action: `point current at releases/${input.releaseId} (was ${input.previous ?? 'none'})` },
    t.restart
      ? { step: 'restart', action: `run the restart command (timeout ${t.commandTimeoutMs} ms)` }
      : { step: 'restart', action: 'run the restart command', skip: 'no restart command configured' },
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
  return { root: input.root, releaseId: input.releaseId, previous: input.previous, steps };
}
