/**
 * The plan of a fleet rollout (pure): what `slipway deploy PKG --target <fleet> --dry-run` prints without
 * connecting to any host — the controller's steps, then every batch with each host's root, health URL and steps.
 * The batches come from planBatches, the same function the rollout (fleet-deploy.ts) switches hosts by.
 */
import { maskUrl } from '../errors.js';
import type { PlannedStep } from '../deploy/types.js';
import type { FleetTarget } from './fleet-target.js';
import { planBatches } from './rollout-plan.js';

export interface FleetPlanHost {
  host: string;
  root: string;
  healthUrl: string | null;
  steps: PlannedStep[];
}

export interface FleetPlan {
  target: string;
  releaseId: string;
  packageName: string;
  /** The release the whole fleet last reached (the controller's record); hosts are not read by a plan. */
  previous: string | null;
  /** Before the first switch: on the controller and on every host. */
  steps: PlannedStep[];
  batches: { canary: boolean; pauseMsBefore: number; hosts: FleetPlanHost[] }[];
  /** After the last batch: the watch window (every host at once), retention. */
  after: PlannedStep[];
}

export interface PlanFleetInput {
  fleet: FleetTarget;
  releaseId: string;
  packageName: string;
  previous: string | null;
  databaseUrl: string | null;
  hasDatabasePackage: boolean;
  /** The watch window (ms; 0: none). */
  watchMs: number;
}

/** The rollout's steps per host and batch (see the module comment). */
export function planFleetDeploy(i: PlanFleetInput): FleetPlan {
  const { fleet, releaseId } = i;
  const t = fleet.t;
  const db = i.databaseUrl;
  const steps: PlannedStep[] = [
    { step: 'verify', action: `verify ${i.packageName} on the controller (digest, signature, archive rules, limits)` },
    {
      step: 'lock',
      action: `connect to all ${fleet.hosts.length} host(s) (pinned keys in ${fleet.ssh.knownHosts}) and take each host's lock; refuse if one is unreachable`,
    },
    {
      step: 'recover',
      action: 'finish what an interrupted run left (the fleet goes back as one), if anything',
    },
    {
      step: 'compat',
      action: `check the package's version-compatibility.json against every host's live release${db ? ' and the database' : ''}, before any host is touched`,
    },
    {
      step: 'extract',
      action: `extract on the controller what it reads of ${releaseId} (its metadata and database/; all of it when it ships smoke tests), while the hosts install`,
    },
    {
      step: 'extract',
      action: `upload (skipped when the host has it) and install releases/${releaseId} on every host, ${t.parallel} at once, before any switch`,
    },
    t.backupDatabase && db
      ? { step: 'backup', action: `pg_dump ${maskUrl(db)} once, from the controller, into its .slipway/backups/` }
      : {
          step: 'backup',
          action: 'pg_dump the database',
          skip: db ? 'backupDatabase is off' : 'no database configured',
        },
    db && i.hasDatabasePackage
      ? { step: 'migrate', action: `apply database/package.sql to ${maskUrl(db)} once, from the controller` }
      : {
          step: 'migrate',
          action: 'apply database/package.sql',
          skip: db ? 'the package has no database/package.sql' : 'no database configured',
        },
  ];
  const hostSteps = (h: FleetTarget['hosts'][number]): PlannedStep[] => {
    const v = h.view;
    return [
      { step: 'switch', action: `point ${h.root}/current at releases/${releaseId}` },
      v.restart
        ? { step: 'restart', action: `run the restart command on the host (timeout ${v.commandTimeoutMs} ms)` }
        : { step: 'restart', action: 'run the restart command', skip: 'no restart command configured' },
      v.health.url
        ? {
            step: 'health',
            action: `wait until ${maskUrl(v.health.url)} is HEALTHY${v.health.allowDegraded ? ' or DEGRADED' : ''} (timeout ${v.health.timeoutMs} ms)`,
          }
        : { step: 'health', action: 'health gate', skip: 'no health URL configured' },
      v.smokeTests
        ? { step: 'smoke', action: 'run the package smoke tests on the controller against this host' }
        : { step: 'smoke', action: 'smoke tests', skip: 'smokeTests is off' },
    ];
  };
  const batches = planBatches(fleet.hosts.length, t.rollout).map((b, bi) => ({
    canary: bi === 0 && t.rollout.canary > 0,
    pauseMsBefore: bi > 0 ? t.rollout.pauseMs : 0,
    hosts: b.map((hi) => {
      const h = fleet.hosts[hi]!;
      const url = h.view.health.url;
      return { host: h.label, root: h.root, healthUrl: url === undefined ? null : maskUrl(url), steps: hostSteps(h) };
    }),
  }));
  const watched = fleet.hosts.filter((h) => h.view.health.url).length;
  const after: PlannedStep[] = [
    ...(i.watchMs > 0
      ? [
          watched
            ? {
                step: 'health' as const,
                action: `watch ${watched} host(s) at once for ${Math.round(i.watchMs / 1000)} s (health${t.watch.metricsUrl ? ', metrics per host and aggregated' : ''}); a trigger rolls the fleet back as one`,
              }
            : { step: 'health' as const, action: 'watch window', skip: 'no host has a health URL' },
        ]
      : []),
    { step: 'retention', action: `keep the newest ${t.keep} releases on every host and on the controller` },
  ];
  return { target: fleet.name, releaseId, packageName: i.packageName, previous: i.previous, steps, batches, after };
}

/** The plan as text (what --dry-run prints on stdout). */
export function renderFleetPlan(p: FleetPlan, version: string | null): string {
  const step = (s: PlannedStep, n: number, indent: string) =>
    `${indent}${String(n).padStart(2)}. ${s.step.padEnd(10)} ${s.skip ? `skip: ${s.skip}` : s.action}`;
  const lines = [
    `plan: deploy ${version ?? '?'} as ${p.releaseId} to ${p.batches.flatMap((b) => b.hosts).length} host(s) of ${p.target} (the fleet's current: ${p.previous ?? 'none'})`,
    ...p.steps.map((s, i) => step(s, i + 1, '  ')),
  ];
  p.batches.forEach((b, bi) => {
    lines.push(
      `  batch ${bi + 1}/${p.batches.length}${b.canary ? ' (canary)' : ''}${b.pauseMsBefore ? `, after a ${b.pauseMsBefore} ms pause` : ''}: ${b.hosts.length} host(s) at once`,
    );
    for (const h of b.hosts) {
      lines.push(`    ${h.host}`);
      h.steps.forEach((s, i) => lines.push(step(s, i + 1, '      ')));
    }
  });
  p.after.forEach((s, i) => lines.push(step(s, i + 1, '  ')));
  lines.push(
    '  a failing batch puts every switched host back (reverse order) and undoes the changesets this run applied',
    'dry run: no host was contacted, nothing was changed',
  );
  return lines.join('\n') + '\n';
}
