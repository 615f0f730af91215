/**
 * Finishing fleet runs a killed controller left (the decision: fleet-recover-plan.ts). Every host is put on its
 * release through settle.ts (switch, restart, health gate) in reverse rollout order, then the controller's record
 * and the database (settle.ts on the controller: exactly the run's changesets), then — when changesets were undone —
 * every host's health gate again on that final state, then every journal the run opened is closed with
 * `interrupted` and `recoveredBy`. Run with the controller lock and every host's lock held: by
 * `slipway recover --target <fleet> --yes`, and first thing by every fleet deploy and rollback.
 */
import type { Config } from '../config/schema.js';
import { SlipwayError } from '../errors.js';
import { loadContracts, type Contracts } from '../deploy/contracts.js';
import { incompleteRecovery } from '../deploy/deploy.js';
import type { LocalTarget } from '../deploy/local-target.js';
import { settleTarget } from '../deploy/settle.js';
import { makeStepRunner } from '../deploy/step-runner.js';
import { targetDatabaseUrl } from '../deploy/target-settings.js';
import type { DeployEvent } from '../deploy/types.js';
import { startControllerRun } from './controller-run.js';
import type { ConnectedHost, OpenFleet } from './fleet-connect.js';
import { readFleetState } from './fleet-releases.js';
import {
  describeFleetRecovery,
  planFleetRecovery,
  strayReleases,
  type FleetRecoveryAction,
} from './fleet-recover-plan.js';
import { resolveFleet, type FleetTarget } from './fleet-target.js';
import { gateAfterDatabase, gateFailureLines } from './rollout-undo.js';

export interface FleetRecoverInput {
  fleet: FleetTarget;
  hosts: ConnectedHost[];
  /** Hosts of the target that could not be reached, and why. */
  unreachable: { host: string; reason: string }[];
  controller: LocalTarget;
  contracts: Contracts;
  byRun: string;
  databaseUrl: string | null;
  onProgress?: ((e: DeployEvent & { host?: string }) => void) | undefined;
}

export interface FleetRecoverReport {
  messages: string[];
  complete: boolean;
  actions: FleetRecoveryAction[];
}

/** Each host's current and journal: what openFleet read under the lock, else one round trip per host. */
async function hostViews(hosts: ConnectedHost[]) {
  return Promise.all(
    hosts.map(async (h) => {
      const s = h.target.openedState() ?? (await h.target.readState());
      return { label: h.host.label, current: s.current, entries: s.journal.entries, dirs: s.releases };
    }),
  );
}

/** Recovers every unfinished fleet run (see the module comment). Refuses while a host the run involved is unreachable. */
export async function recoverFleetRuns(r: FleetRecoverInput): Promise<FleetRecoverReport> {
  const emit = (e: DeployEvent & { host?: string }) => r.onProgress?.(e);
  const messages: string[] = [];
  const fleetEntries = await r.controller.readJournal();
  let views = await hostViews(r.hosts);
  // Read before any action changes a host; an action's `to` is a release its run started from, never a stray.
  const strays = views.map((v) => strayReleases(v));
  let actions = planFleetRecovery(fleetEntries, views);
  if (!actions.length) {
    messages.push(...(await removeStrays(r.hosts, strays, r.byRun, emit)));
    return { messages, complete: true, actions };
  }
  const missing = [...new Set(actions.flatMap((a) => a.missing))];
  if (missing.length) {
    const gone = missing.filter((l) => !r.unreachable.some((u) => u.host === l));
    const why = (l: string) =>
      `${l}: ${r.unreachable.find((u) => u.host === l)?.reason ?? `no longer a host of ${r.fleet.name} in the config`}`;
    const parts = [
      missing.length > gone.length ? `${missing.length - gone.length} that cannot be reached` : '',
      gone.length ? `${gone.length} no longer configured` : '',
    ].filter(Boolean);
    throw new SlipwayError(
      'E_SSH',
      `an interrupted run of ${r.fleet.name} involved host(s) recovery cannot read (${parts.join(', ')}); no host was switched and no journal or database was changed`,
      {
        details: missing.map(why),
        hint: `Recovery puts every host of the run on one release; ${gone.length ? `put the host(s) back in deploy.targets.${r.fleet.name}.hosts` : 'fix the connection'}, then run \`slipway recover --target ${r.fleet.name} --yes\`.`,
      },
    );
  }
  // A kept candidate must answer its health probe on every host now; otherwise the fleet goes back as one.
  const back = new Set<string>();
  for (const a of actions.filter((x) => x.decision === 'keep'))
    for (const h of r.hosts.filter((x) => a.hosts.some((y) => y.host === x.host.label))) {
      const url = h.host.view.health.url;
      if (!url) continue;
      const p = await r.contracts.probeHealth(url, {
        timeoutMs: Math.min(5000, h.host.view.health.timeoutMs),
        ...(h.host.view.health.expect ? { expect: h.host.view.health.expect } : {}),
      });
      if (!(p.status === 'HEALTHY' || (p.status === 'DEGRADED' && h.host.view.health.allowDegraded))) {
        back.add(a.run);
        messages.push(`${h.host.label}: ${a.release} had passed its gates but is ${p.status} now (${p.reason})`);
      }
    }
  if (back.size) {
    views = await hostViews(r.hosts);
    actions = planFleetRecovery(fleetEntries, views, { back });
  }
  const targetArg = `--target ${r.fleet.name}`;
  let complete = true;
  for (const h of r.hosts) {
    const left = await h.target.cleanLeftovers();
    if (left.length) messages.push(`${h.host.label}: removed leftovers of an interrupted run: ${left.join(', ')}`);
  }
  for (const a of actions) {
    const kept = a.decision === 'keep';
    const lines: string[] = [];
    /** Hosts on their release through their own gate: gated again after the database (gateAfterDatabase). */
    const settled: { h: ConnectedHost; to: string }[] = [];
    for (const hr of a.hosts) {
      const h = r.hosts.find((x) => x.host.label === hr.host)!;
      const steps = makeStepRunner({
        journal: h.target.journal(a.run, a.kind),
        release: a.release ?? hr.to ?? '',
        onProgress: (e) => emit({ ...e, host: hr.host }),
      });
      await steps.info('recover', `recovering (by ${r.byRun}): ${a.why}`, { recoveredBy: r.byRun });
      const s = await settleTarget({
        contracts: r.contracts,
        target: h.target,
        t: h.host.view,
        steps,
        run: a.run,
        to: hr.to,
        undo: null,
        databaseUrl: null,
        restart: hr.restart,
        targetArg,
      });
      complete &&= s.complete;
      if (s.complete && hr.to !== null && s.current === hr.to) settled.push({ h, to: hr.to });
      lines.push(`${hr.host}: ${s.lines.filter((l) => !l.startsWith('to finish')).join('; ')}`);
      if (hr.open)
        await h.target.journal(a.run, a.kind).write({
          step: 'run',
          status: kept && s.complete ? 'ok' : 'failed',
          ...(a.release ? { release: a.release } : {}),
          message: `interrupted (the controller stopped); ${kept ? 'kept' : `put back on ${hr.to ?? '(none)'}`}`,
          data: { interrupted: true, recoveredBy: r.byRun, fleetRun: a.run, current: s.current, complete: s.complete },
        });
    }
    const steps = makeStepRunner({
      journal: r.controller.journal(a.run, a.kind),
      release: a.release ?? a.fleetTo ?? '',
      onProgress: emit,
    });
    await steps.info('recover', `recovering (by ${r.byRun}): ${a.why}`, { recoveredBy: r.byRun });
    let dbLines: string[] = [];
    if (a.decision !== 'close') {
      const s = await settleTarget({
        contracts: r.contracts,
        target: r.controller,
        t: r.fleet.controllerView,
        steps,
        run: a.run,
        to: a.fleetTo,
        undo: a.undo,
        databaseUrl: r.databaseUrl,
        restart: false,
        targetArg,
      });
      complete &&= s.complete;
      dbLines = s.lines.filter((l) => l.startsWith('database'));
      // The hosts passed their gates before the database went back: the gate on the final state, journaled in the
      // fleet run (the hosts' runs are closed above).
      if (s.dbRolledBack.length) {
        const unhealthy = await gateAfterDatabase(
          settled.map(({ h, to }) => ({
            h,
            release: to,
            steps: makeStepRunner({
              journal: r.controller.journal(a.run, a.kind),
              release: to,
              onProgress: (e) => emit({ ...e, host: h.host.label }),
            }),
          })),
          r.contracts,
          a.run,
        );
        if (unhealthy.size) complete = false;
        dbLines.push(...gateFailureLines(unhealthy, 'the database undo'));
      }
    }
    const ok = kept && complete;
    await r.controller.journal(a.run, a.kind).write({
      step: 'run',
      status: ok ? 'ok' : 'failed',
      ...(a.release ? { release: a.release } : {}),
      message: `interrupted (the controller stopped); ${kept ? 'kept' : `the fleet put back on ${a.fleetTo ?? '(none)'}`}`,
      data: {
        interrupted: true,
        recoveredBy: r.byRun,
        kept,
        complete,
        hosts: a.hosts.map((h) => ({ host: h.host, to: h.to })),
        wentLive: a.hosts.some((h) => h.restart),
      },
    });
    messages.push(
      `${a.kind} run ${a.run} (release ${a.release ?? '?'}) was interrupted: ${a.why}`,
      ...lines,
      ...dbLines,
    );
  }
  messages.push(...(await removeStrays(r.hosts, strays, r.byRun, emit)));
  if (!complete) messages.push(`to finish: slipway recover ${targetArg} --yes`);
  return { messages, complete, actions };
}

/**
 * Removes the stray releases of each host (strayReleases: an install begun, never recorded as finished, nothing
 * referring to it), each journaled on the host under the run that began its install. Returns what it removed.
 */
async function removeStrays(
  hosts: ConnectedHost[],
  strays: { release: string; run: string }[][],
  byRun: string,
  emit: (e: DeployEvent & { host?: string }) => void,
): Promise<string[]> {
  const out: string[] = [];
  for (const [i, h] of hosts.entries())
    for (const s of strays[i] ?? []) {
      const why = `its install (run ${s.run}) was never recorded as finished on the host and nothing refers to it`;
      const steps = makeStepRunner({
        journal: h.target.journal(s.run, 'deploy'),
        release: s.release,
        onProgress: (e) => emit({ ...e, host: h.host.label }),
      });
      await steps.run('recover', `remove releases/${s.release} (by ${byRun}): ${why}`, async () => {
        await h.target.removeRelease(s.release);
        return {
          value: undefined,
          message: `removed releases/${s.release}`,
          data: { removed: s.release, recoveredBy: byRun },
        };
      });
      out.push(`${h.host.label}: removed releases/${s.release}: ${why}`);
    }
  return out;
}

export interface FleetRecoverOptions {
  config: Config;
  target: string;
  yes?: boolean | undefined;
  wait?: boolean | undefined;
  onProgress?: ((e: DeployEvent & { host?: string }) => void) | undefined;
}

export interface FleetRecoverResult {
  target: string;
  findings: string[];
  applied: boolean;
  complete: boolean;
  hosts: { host: string; current: string | null; error: string | null }[];
}

/** `slipway recover --target <fleet>`: shows (read-only, no locks) or with `yes` completes what interrupted runs left. */
export async function recoverFleet(opts: FleetRecoverOptions): Promise<FleetRecoverResult> {
  const fleet = resolveFleet(opts.config, opts.target);
  if (!opts.yes) {
    const state = await readFleetState(opts.config, opts.target);
    const readable = state.hosts.filter((h) => !h.error);
    const actions = planFleetRecovery(
      state.history,
      readable.map((h) => ({ label: h.host, current: h.current, entries: h.journal ?? [] })),
    );
    const strays = readable.flatMap((h) =>
      strayReleases({
        current: h.current,
        entries: h.journal ?? [],
        dirs: (h.releases ?? []).filter((x) => x.present).map((x) => x.id),
      }).map(
        (x) =>
          `${h.host}: releases/${x.release} was never recorded as installed (its install, run ${x.run}, did not finish) and nothing refers to it: \`slipway recover --target ${fleet.name} --yes\` removes it`,
      ),
    );
    const todo = [...describeFleetRecovery(actions), ...strays];
    return {
      target: fleet.name,
      findings: [
        ...state.hosts.map(
          (h) => `${h.host}: ${h.error ? `unreachable: ${h.error}` : `current ${h.current ?? '(none)'}`}`,
        ),
        ...(todo.length ? todo : ['fleet journal: no unfinished run: nothing to recover']),
      ],
      applied: false,
      complete: todo.length === 0,
      hosts: state.hosts.map((h) => ({ host: h.host, current: h.current, error: h.error })),
    };
  }
  const cr = await startControllerRun(fleet, { command: `recover --target ${fleet.name}`, wait: opts.wait });
  const { run, lock: held, controller } = cr;
  try {
    const open = await cr.openHosts({ skipUnreachable: true });
    const findings: string[] = [];
    if (held.recovered)
      findings.push(`controller: removed a stale lock of pid ${held.recovered.pid} (${held.recovered.command})`);
    for (const l of open.locks)
      if (l.recovered) findings.push(`removed a stale host lock of pid ${l.recovered.pid} (${l.recovered.command})`);
    const r = await recoverFleetRuns({
      fleet,
      hosts: open.hosts,
      unreachable: open.unreachable.map((u) => ({ host: u.host.label, reason: u.reason })),
      controller,
      contracts: await loadContracts(),
      byRun: run,
      databaseUrl: targetDatabaseUrl(opts.config, fleet.controllerView),
      onProgress: opts.onProgress,
    });
    findings.push(...(r.messages.length ? r.messages : ['nothing to recover']));
    const hosts = [
      ...(await Promise.all(
        open.hosts.map(async (h) => ({ host: h.host.label, current: await h.target.readCurrent(), error: null })),
      )),
      ...open.unreachable.map((u) => ({ host: u.host.label, current: null, error: u.reason })),
    ];
    return { target: fleet.name, findings, applied: true, complete: r.complete, hosts };
  } finally {
    await cr.end();
  }
}

/**
 * The recovery a fleet deploy or rollback runs first, with the locks it holds: reports what it did as `recover`
 * progress and refuses to go on when it could not finish (the error says what remains).
 */
export async function recoverFirst(o: {
  fleet: FleetTarget;
  open: OpenFleet;
  controller: LocalTarget;
  contracts: Contracts;
  run: string;
  databaseUrl: string | null;
  emit: (e: DeployEvent & { host?: string }) => void;
}): Promise<void> {
  const r = await recoverFleetRuns({
    fleet: o.fleet,
    hosts: o.open.hosts,
    unreachable: o.open.unreachable.map((u) => ({ host: u.host.label, reason: u.reason })),
    controller: o.controller,
    contracts: o.contracts,
    byRun: o.run,
    databaseUrl: o.databaseUrl,
    onProgress: o.emit,
  });
  for (const m of r.messages) o.emit({ step: 'recover', status: 'info', message: m });
  if (!r.complete) throw incompleteRecovery(r.messages, `--target ${o.fleet.name}`);
}
