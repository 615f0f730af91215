/**
 * The undo of a failed fleet rollout: every host whose switch began put back on its previous release (in reverse
 * rollout order, through settle.ts), then exactly the changesets the run applied, then the health gate on that final
 * state, each host's run and the fleet run closed — or left open, honestly, for `slipway recover` where a host's
 * state could not be verified.
 */
import { validateRelease } from '../deploy/activate.js';
import type { ChangeSetKey, Contracts, loadContracts } from '../deploy/contracts.js';
import type { LocalTarget } from '../deploy/local-target.js';
import { settleTarget } from '../deploy/settle.js';
import { makeStepRunner, type StepRunner } from '../deploy/step-runner.js';
import type { DeployEvent } from '../deploy/types.js';
import { SlipwayError } from '../errors.js';
import type { ConnectedHost } from './fleet-connect.js';
import type { FleetTarget } from './fleet-target.js';

/** One host for {@link gateAfterDatabase}: the release it was put on, and the runner its gate is journaled through. */
export interface GateHost {
  h: ConnectedHost;
  release: string;
  steps: StepRunner;
}

/**
 * The health gate on a fleet's final state, once the database was undone or rolled back: settle.ts's order for one
 * target (the release live → the database → the gate), where a fleet puts every host back before the one database
 * step, so each host's own gate ran before it. The gate is the deploy's (`validateRelease`, no smoke tests); every
 * host with a health URL at once. Returns the hosts that failed it, and why; a host without a health URL is not
 * gated (nothing to check), as in settle.ts.
 */
export async function gateAfterDatabase(hosts: GateHost[], contracts: Contracts, run: string) {
  const failed = new Map<ConnectedHost, string>();
  await Promise.all(
    hosts
      .filter((g) => g.h.host.view.health.url)
      .map((g) =>
        validateRelease(g.steps, contracts, g.h.target, g.h.host.view, g.release, run, false).catch((e: unknown) => {
          failed.set(g.h, e instanceof Error ? e.message : String(e));
        }),
      ),
  );
  return failed;
}

/** The line naming the hosts that failed {@link gateAfterDatabase}'s gate: never reported as put back healthy. */
export function gateFailureLines(failed: Map<ConnectedHost, string>, what: string): string[] {
  return [...failed].map(
    ([h, why]) => `${h.host.label}: failed its health gate after ${what} (current is its release, not healthy): ${why}`,
  );
}

/** The journal kind and data shared by every host's `run` entries. */
export function hostRunData(f: FleetTarget, run: string, extra: Record<string, unknown>) {
  return { fleet: f.name, fleetRun: run, ...extra };
}

export interface UndoInput {
  fleet: FleetTarget;
  contracts: Awaited<ReturnType<typeof loadContracts>>;
  controller: LocalTarget;
  fleetJournal: ReturnType<LocalTarget['journal']>;
  hosts: ConnectedHost[];
  hostSteps: Map<ConnectedHost, StepRunner>;
  touched: ConnectedHost[];
  /** Hosts whose switch was refused because current had changed since the run read it (the refusal). */
  changedUnder: Map<ConnectedHost, string>;
  /** Hosts that refused to start the switch command (nothing of it ran there): why. */
  notStarted?: Map<ConnectedHost, string> | undefined;
  previous: Map<ConnectedHost, string | null>;
  fleetPrevious: string | null;
  releaseId: string;
  run: string;
  databaseUrl: string | null;
  pending: ChangeSetKey[];
  emit: (e: DeployEvent & { host?: string }) => void;
  /** Hosts in the order the rollout switches them. */
  rolloutOrder: ConnectedHost[];
}

/**
 * Puts every host whose switch began back on its previous release, in reverse switch order (settle.ts: switch,
 * restart, health gate), then undoes exactly the changesets this run applied (settle.ts on the controller), journals
 * the end of the run everywhere, and returns the error to throw, with what was verified in its details.
 *
 * A host whose `current` cannot be read back (its sshd died, its connection is gone) is reported as not verified —
 * never as put back — and while there is one the database is not undone (that host may still run the new release
 * on it; the previous release ran on it throughout the rollout) and the fleet run stays open, its lock and its run
 * on that host too: `slipway recover --yes` (or the next deploy) finishes it once the host answers. The same when a
 * host's run could not be closed on the host.
 */
export async function undoRollout(e: unknown, u: UndoInput): Promise<SlipwayError> {
  const lines: string[] = [];
  const journalErrors: string[] = [];
  const onJournalError = (x: unknown) => journalErrors.push(x instanceof Error ? x.message : String(x));
  const targetArg = `--target ${u.fleet.name}`;
  let complete = true;
  // Lines the forward path deferred (a gate's failure, say) go to each host first; a host that cannot take them
  // is reported, and its undo goes on.
  await Promise.all(u.hosts.map((h) => h.target.flushJournal().catch(onJournalError)));
  // Reverse rollout order (batch by batch, config order within a batch), whatever order concurrent switches began in.
  const order = (h: ConnectedHost) => u.rolloutOrder.indexOf(h);
  const unverified = new Map<ConnectedHost, string>(); // current not read back: why
  let unhealthy = new Map<ConnectedHost, string>(); // failed the gate after the database undo: why
  const back: ConnectedHost[] = []; // current read back as the previous release
  const settled = new Set<ConnectedHost>(); // back, restarted and through its gate: checked again after the database
  const stepsOf = new Map<ConnectedHost, StepRunner>();
  for (const h of [...u.touched].sort((a, b) => order(b) - order(a))) {
    const steps = makeStepRunner({
      journal: h.target.journal(u.run, 'deploy'),
      release: u.releaseId,
      onProgress: (e) => u.emit({ ...e, host: h.host.label }),
      onJournalError,
    });
    stepsOf.set(h, steps);
    const to = u.previous.get(h) ?? null;
    const s = await settleTarget({
      contracts: u.contracts,
      target: h.target,
      t: h.host.view,
      steps,
      run: u.run,
      to,
      undo: null,
      databaseUrl: null,
      restart: true,
      targetArg,
    });
    complete &&= s.complete;
    if (s.unreadable !== null) {
      unverified.set(h, s.unreadable);
      lines.push(
        `${h.host.label}: not verified: ${s.unreadable}; its switch to ${u.releaseId} had begun, so it may be on ${u.releaseId} or on ${to ?? '(none)'} — not known; its lock and this run stay for recover`,
      );
      continue;
    }
    if (s.current === to) back.push(h);
    if (s.current === to && to !== null && s.complete) settled.add(h);
    lines.push(`${h.host.label}: ${s.lines.filter((l) => !l.startsWith('to finish')).join('; ')}`);
  }
  if (u.pending.length && u.databaseUrl) {
    if (unverified.size) {
      complete = false;
      lines.push(
        `database: nothing undone yet: the changesets this run applied stay applied until every host of the run is verified back on its previous release (that release ran on them throughout the rollout; a host not verified may be running ${u.releaseId} on them)`,
      );
    } else {
      const steps = makeStepRunner({
        journal: u.fleetJournal,
        release: u.releaseId,
        onProgress: u.emit,
        onJournalError,
      });
      const s = await settleTarget({
        contracts: u.contracts,
        target: u.controller,
        t: u.fleet.controllerView,
        steps,
        run: u.run,
        to: u.fleetPrevious,
        undo: { release: u.releaseId, candidates: u.pending },
        databaseUrl: u.databaseUrl,
        restart: false,
        targetArg,
      });
      complete &&= s.complete;
      lines.push(...s.lines.filter((l) => l.startsWith('database')));
      // The hosts' gates ran before the database went back: gate the final state (an app that cannot run on the
      // undone schema is found here, and reported, never as put back).
      if (s.dbRolledBack.length)
        unhealthy = await gateAfterDatabase(
          [...settled].map((h) => ({ h, release: u.previous.get(h)!, steps: stepsOf.get(h)! })),
          u.contracts,
          u.run,
        );
      if (unhealthy.size) complete = false;
      lines.push(...gateFailureLines(unhealthy, 'the database undo'));
    }
  }
  for (const [h, why] of u.changedUnder)
    lines.push(`${h.host.label}: not switched and left as it is (this run did not change it): ${why}`);
  for (const [h, why] of u.notStarted ?? []) lines.push(await notStartedLine(h, why, u.previous.get(h) ?? null));
  const untouched = u.hosts
    .filter((h) => !u.touched.includes(h) && !u.changedUnder.has(h) && !u.notStarted?.has(h))
    .map((h) => h.host.label);
  if (untouched.length) lines.push(`never switched (still on their previous release): ${untouched.join(', ')}`);
  const err = e instanceof SlipwayError ? e : new SlipwayError('E_DEPLOY', String((e as Error)?.message ?? e));
  const message = `${err.code}: ${err.message}`;
  // Each host's run is closed on the host, except where the host's state is not known; a host that cannot take its
  // closing line keeps its run open too. Either way the fleet run stays open, so recovery finds them.
  const open = new Set<ConnectedHost>(unverified.keys());
  for (const h of u.hosts) {
    if (open.has(h)) continue;
    await h.target
      .journal(u.run, 'deploy')
      .write({
        step: 'run',
        status: 'failed',
        release: u.releaseId,
        message,
        data: hostRunData(u.fleet, u.run, { wentLive: u.touched.includes(h) }),
      })
      .catch((x: unknown) => {
        onJournalError(x);
        open.add(h);
      });
  }
  // Back on the previous release and through every gate: a host that failed the last one is named as such instead.
  const rolledBack = back.filter((h) => !unhealthy.has(h)).map((h) => h.host.label);
  const labels = (hs: Iterable<ConnectedHost>) => [...hs].map((h) => h.host.label);
  if (open.size) {
    complete = false;
    await u.fleetJournal
      .write({
        step: 'rollback',
        status: 'warning',
        release: u.releaseId,
        message: `${message}; not finished: ${labels(open).join(', ')} ${unverified.size ? 'not verified' : 'could not record the end of the run'}; the run stays open for slipway recover`,
        data: {
          unverified: labels(unverified.keys()),
          open: labels(open),
          rolledBack,
          databaseUndone: unverified.size === 0,
          complete: false,
        },
      })
      .catch(onJournalError);
  } else
    await u.fleetJournal
      .write({
        step: 'run',
        status: 'failed',
        release: u.releaseId,
        message,
        data: { wentLive: u.touched.length > 0, rolledBack, unhealthy: labels(unhealthy.keys()), complete },
      })
      .catch(onJournalError);
  return new SlipwayError(err.code, err.message, {
    ...(err.hint ? { hint: err.hint } : {}),
    details: [
      ...err.details,
      ...lines,
      ...(complete ? [] : ['the fleet was not fully put back: see the lines above']),
      ...journalErrors.map((j) => `journal: ${j}`),
      ...(open.size
        ? [
            `to finish: slipway recover ${targetArg} --yes once ${labels(open).join(', ')} can be reached: it puts every host of this run on its previous release, then undoes the database`,
          ]
        : []),
    ],
    cause: e,
  });
}

/**
 * What is known of a host that refused to start its switch: the switch did not run there (the refusal says so), and
 * its current as read back now — or, when the host refuses that read too, plainly not known.
 */
async function notStartedLine(h: ConnectedHost, why: string, previous: string | null): Promise<string> {
  const head = `${h.host.label}: not switched: the switch command was not started there (${why})`;
  try {
    const current = await h.target.readCurrent();
    return `${head}; current read back: ${current ?? '(none)'}${current === previous ? ' (its previous release)' : ''}`;
  } catch (e) {
    return `${head}; its current is not known: it could not be read back (${e instanceof Error ? e.message : String(e)})`;
  }
}
