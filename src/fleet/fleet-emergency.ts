/**
 * `slipway rollback --emergency --target <fleet>`: the local emergency rollback (rollback.ts: stop, switch, roll the
 * database back if safe, restart, validate, notify) applied to every host, on the fastest safe path. The bad release
 * is taken off every host first — stop and switch, host by host in REVERSE rollout order (a stop that fails is
 * reported and never blocks) — then the database is rolled back once from the controller, then every host is
 * restarted on the earlier release and health-gated (and smoke-tested from the controller) concurrently, `parallel`
 * at once. A host that does not come back does not stop the others; the run ends failed, naming it, and running
 * the same command again finishes it (hosts already on the release are only restarted and checked).
 * As locally, when the database rollback fails and databasechangelog still records every changeset, the hosts go
 * back to the release they came from (old code never runs on a schema it does not know).
 */
import { SlipwayError } from '../errors.js';
import { restartApp, validateRelease } from '../deploy/activate.js';
import type { ChangeSetKey, Contracts } from '../deploy/contracts.js';
import { rollbackChangeSets } from '../deploy/db-rollback.js';
import { changeSetKey, readAppliedOrFail, recordedAmong } from '../deploy/db-state.js';
import type { LocalTarget } from '../deploy/local-target.js';
import { warnIfSuperuser } from '../deploy/role-warning.js';
import type { planDatabaseRollback } from '../deploy/rollback.js';
import { notify, stopApp } from '../deploy/rollback.js';
import { settleTarget } from '../deploy/settle.js';
import { makeStepRunner, type StepRunner } from '../deploy/step-runner.js';
import type { DeployEvent } from '../deploy/types.js';
import { type ConnectedHost } from './fleet-connect.js';
import { mapSettled } from '../map-limit.js';
import { smokeFromController } from './fleet-deploy.js';
import type { FleetTarget } from './fleet-target.js';

export interface EmergencyInput {
  fleet: FleetTarget;
  contracts: Contracts;
  controller: LocalTarget;
  run: string;
  /** The fleet's release (the controller's record) and the release every host returns to. */
  from: string | null;
  to: string;
  /** Hosts in rollout order (the emergency takes the bad release off in reverse). */
  order: ConnectedHost[];
  db: Awaited<ReturnType<typeof planDatabaseRollback>>;
  databaseUrl: string | null;
  actor: string;
  emit: (e: DeployEvent & { host?: string }) => void;
}

export interface EmergencyHostResult {
  host: string;
  from: string | null;
  current: string | null;
  healthy: boolean | null;
}

const KIND = 'emergency-rollback' as const;
const msg = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Runs the emergency rollback of the fleet (see the module comment); throws E_ROLLBACK when a host did not come back. */
export async function emergencyRollbackFleet(
  x: EmergencyInput,
): Promise<{ hosts: EmergencyHostResult[]; databaseRolledBack: ChangeSetKey[]; notified: boolean }> {
  const { fleet, contracts, controller, run, to, emit } = x;
  const targetArg = `--target ${fleet.name}`;
  const reverse = [...x.order].reverse();
  const labels = reverse.map((h) => h.host.label);
  const fleetJournal = controller.journal(run, KIND);
  const fleetSteps = makeStepRunner({ journal: fleetJournal, release: to, onProgress: emit });
  // The hosts in the order this run changes them, for recovery if this controller stops (fleet-recover-plan.ts).
  await fleetJournal.write({
    step: 'run',
    status: 'begin',
    release: to,
    data: { from: x.from, actor: x.actor, emergency: true, hosts: labels.map((host) => ({ host })), batches: [labels] },
  });
  const hostFrom = new Map<ConnectedHost, string | null>();
  /** Hosts whose current could not be read back at the end (unreachable), and why. */
  const unverified = new Map<ConnectedHost, string>();
  const steps = new Map<ConnectedHost, StepRunner>();
  const problems = new Map<ConnectedHost, string>();

  // 1. The bad release off every host: stop, switch; reverse rollout order.
  for (const h of reverse) {
    const journal = h.target.journal(run, KIND);
    const s = makeStepRunner({ journal, release: to, onProgress: (e) => emit({ ...e, host: h.host.label }) });
    steps.set(h, s);
    try {
      const current = await h.target.readCurrent();
      hostFrom.set(h, current);
      await journal.write({
        step: 'run',
        status: 'begin',
        release: to,
        data: { from: current, actor: x.actor, fleetRun: run },
      });
      await stopApp(s, h.target, h.host.view, current, run);
      await s.run('switch', `point current at ${to}`, async () => {
        const r = await h.target.switchTo(to, { expected: current });
        return { value: r, message: `${r.ms.toFixed(1)} ms`, data: { from: current, switchMs: r.ms } };
      });
    } catch (e) {
      problems.set(h, `could not take ${hostFrom.get(h) ?? 'its release'} off: ${msg(e)}`);
    }
  }

  // 2. The database, once, from the controller (only what `to` does not contain; refused earlier when unsafe).
  let rolledBack: ChangeSetKey[] = [];
  let back = false;
  const dbLines: string[] = [];
  if (x.db && x.db.keys.length && x.databaseUrl) {
    const url = x.databaseUrl;
    const db = x.db;
    try {
      await warnIfSuperuser(contracts, fleetSteps, 'db-rollback', url);
      await fleetSteps.run(
        'db-rollback',
        `roll back the ${db.keys.length} changeset(s) ${to} does not contain`,
        async () => ({ value: await rollbackChangeSets(contracts, url, controller.releaseDir(db.of), db.keys) }),
        { beginData: { changesets: db.keys, of: db.of } },
      );
      rolledBack = db.keys;
    } catch (e) {
      const still = await readAppliedOrFail(url, db.tables)
        .then((a) => recordedAmong(db.keys, a))
        .catch(() => null);
      back = still !== null && still.length === db.keys.length;
      rolledBack = still ? db.keys.filter((k) => !still.some((s) => changeSetKey(s) === changeSetKey(k))) : [];
      dbLines.push(
        `database: the rollback failed (${msg(e)})` +
          (back
            ? `; databasechangelog still records all ${db.keys.length} changeset(s): every host goes back to the release it came from`
            : still
              ? `; ${still.length} changeset(s) stay recorded: ${still.map(changeSetKey).join(', ')}`
              : '; what databasechangelog records could not be read'),
      );
    }
  }

  // 3. Every host back up (on `to`, or where it came from when the database could not follow), concurrently.
  const results = await mapSettled(x.order, fleet.t.parallel, async (h): Promise<EmergencyHostResult> => {
    const s = steps.get(h)!;
    const view = h.host.view;
    if (back) {
      const r = await settleTarget({
        contracts,
        target: h.target,
        t: view,
        steps: s,
        run,
        to: hostFrom.get(h) ?? null,
        undo: null,
        databaseUrl: null,
        restart: true,
        targetArg,
      });
      if (!r.complete) problems.set(h, r.lines.join('; '));
      return { host: h.host.label, from: hostFrom.get(h) ?? null, current: r.current, healthy: r.healthy };
    }
    let healthy: boolean | null = null;
    if (!problems.has(h))
      try {
        await restartApp(s, h.target, view, to, run);
        await validateRelease(s, contracts, h.target, view, to, run, false);
        healthy = view.health.url ? true : null;
        await smokeFromController(s, h, controller, to, run, fleet.t.smokeRunAs);
      } catch (e) {
        if (view.health.url && healthy === null) healthy = false;
        problems.set(h, `${to} did not come back: ${msg(e)}`);
      }
    // Read back; a host that cannot be read is not verified — never reported as having no current.
    const current = await h.target.readCurrent().catch((e: unknown) => {
      unverified.set(h, msg(e));
      return null;
    });
    return { host: h.host.label, from: hostFrom.get(h) ?? null, current, healthy };
  });
  const hosts = results.map((r, i) => {
    if (r.status === 'fulfilled') return r.value;
    unverified.set(x.order[i]!, msg(r.reason));
    return { host: x.order[i]!.host.label, from: hostFrom.get(x.order[i]!) ?? null, current: null, healthy: null };
  });
  const complete = problems.size === 0 && !back && dbLines.length === 0 && unverified.size === 0;

  // 4. The record and the notification. A host not verified has no closing line of its own (it cannot be written)
  // and keeps the fleet run open: recovery finishes it once the host answers (fleet-recover-plan.ts).
  const lines = [
    ...dbLines,
    ...[...problems].filter(([h]) => !unverified.has(h)).map(([h, p]) => `${h.host.label}: ${p}`),
    ...[...unverified].map(
      ([h, why]) =>
        `${h.host.label}: not verified: its current could not be read back (${why}); where it points is not known${problems.has(h) ? ` (${problems.get(h)})` : ''}`,
    ),
  ];
  for (const h of x.order.filter((y) => !unverified.has(y)))
    await h.target
      .journal(run, KIND)
      .write({
        step: 'run',
        status: problems.has(h) || back ? 'failed' : 'ok',
        release: to,
        data: { from: hostFrom.get(h) ?? null },
        ...(problems.has(h) ? { message: problems.get(h) } : {}),
      })
      .catch((e: unknown) => lines.push(`${h.host.label}: journal: ${msg(e)}`));
  if (complete) await controller.switchTo(to);
  const labelsOf = (hs: Iterable<ConnectedHost>) => [...hs].map((h) => h.host.label);
  if (unverified.size)
    await fleetJournal.write({
      step: 'rollback',
      status: 'warning',
      release: to,
      message: `not finished: ${labelsOf(unverified.keys()).join(', ')} not verified; the run stays open for slipway recover`,
      data: {
        from: x.from,
        databaseRolledBack: rolledBack,
        returned: hosts.filter((h) => h.current === to && h.healthy !== false).map((h) => h.host),
        unverified: labelsOf(unverified.keys()),
        complete: false,
      },
    });
  else
    await fleetJournal.write({
      step: 'run',
      status: complete ? 'ok' : 'failed',
      release: to,
      data: { from: x.from, databaseRolledBack: rolledBack, hosts: hosts.map((h) => h.host) },
      ...(complete ? {} : { message: lines.join('; ') }),
    });
  const reason = complete
    ? `emergency rollback of ${fleet.name} from ${x.from ?? '(none)'} to ${to} on ${hosts.length} host(s)`
    : `emergency rollback of ${fleet.name} to ${to} FAILED: ${lines.join('; ')}`;
  const notified = await notify(fleet.controllerView, controller, KIND, x.from, to, reason, run).catch(() => false);
  if (!complete)
    throw new SlipwayError('E_ROLLBACK', `the emergency rollback of ${fleet.name} to ${to} did not complete`, {
      details: [
        ...lines,
        ...hosts
          .filter((h) => ![...unverified.keys()].some((u) => u.host.label === h.host))
          .map((h) => `${h.host}: current ${h.current ?? '(none)'}`),
        ...(unverified.size
          ? [
              `to finish: slipway recover ${targetArg} --yes once ${labelsOf(unverified.keys()).join(', ')} can be reached`,
            ]
          : []),
      ],
      hint: unverified.size
        ? `The fleet run stays open: slipway recover ${targetArg} --yes finishes it once every host answers.`
        : back
          ? `Fix the database rollback, then run it again: slipway rollback --emergency ${targetArg}`
          : `Fix what the details name, then run it again (hosts already on ${to} are only restarted and checked): slipway rollback --emergency ${targetArg} --release ${to}`,
    });
  return { hosts, databaseRolledBack: rolledBack, notified };
}
