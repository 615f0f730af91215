/**
 * What recovery does about fleet runs a killed controller left (pure). The decision is the fleet's, never a host's
 * alone: a deploy that did not finish is ROLLED BACK AS ONE — every host returns to the release it ran before the
 * run, in reverse rollout order, then the database loses exactly the changesets the run applied — unless every host
 * of the run had already switched and passed its health gate and smoke tests (only the run's closing lines are
 * missing): then it is kept and its record completed. A deploy every host closed on its own side (`finish`, which
 * also gave the host's lock back) is kept without touching any host. Never "finish the remaining batches": the
 * operator who ran the rollout is gone, and a half-rolled-out fleet is what Capistrano's `deploy:failed` and Kamal's
 * rollback put back (issue 13: "a failing batch stops the rollout and rolls back every host already switched").
 * An interrupted fleet rollback follows the local rule (recover.ts): forward (every host to its target, then the
 * database undo) once it began undoing database changesets, else back to where each host came from.
 */
import type { ChangeSetKey } from '../deploy/contracts.js';
import { passedGates } from '../deploy/recover.js';
import { findUnfinishedRuns } from '../deploy/release-store.js';
import type { JournalEntry } from '../deploy/types.js';

/** One host's state as recovery reads it. */
export interface FleetHostView {
  label: string;
  current: string | null;
  entries: JournalEntry[];
}

export interface FleetHostRecovery {
  host: string;
  current: string | null;
  /** The release this host must end on. */
  to: string | null;
  /** The run touched the app (switch or restart began) or current is elsewhere: restart `to`. */
  restart: boolean;
  /** The host's journal holds an unfinished entry for this run (closed by recovery). */
  open: boolean;
}

export interface FleetRecoveryAction {
  run: string;
  kind: JournalEntry['kind'];
  release: string | null;
  decision: 'keep' | 'settle' | 'close';
  /** The release the controller's record (its `current`) ends on. */
  fleetTo: string | null;
  /** In the order recovery settles them: reverse rollout order. */
  hosts: FleetHostRecovery[];
  undo: { release: string; candidates: ChangeSetKey[] } | null;
  /** Configured hosts the run involved that recovery could not read (recovery refuses while there are any). */
  missing: string[];
  why: string;
}

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const began = (mine: JournalEntry[], ...steps: string[]) =>
  mine.some((e) => steps.includes(e.step) && e.status === 'begin');

/**
 * Plans recovery of every unfinished run in the fleet journal. `hosts` are the hosts recovery could read (a host
 * the run involved that is not among them is listed in `missing`); `back` forces the deploy decision to 'settle'
 * (a kept candidate that failed its health probe).
 */
export function planFleetRecovery(
  fleetEntries: JournalEntry[],
  hosts: FleetHostView[],
  o: { back?: Set<string> } = {},
): FleetRecoveryAction[] {
  const actions: FleetRecoveryAction[] = [];
  for (const begin of findUnfinishedRuns(fleetEntries)) {
    const run = begin.run;
    const release = begin.release ?? null;
    const mine = fleetEntries.filter((e) => e.run === run);
    const recorded = Array.isArray(begin.data?.hosts)
      ? (begin.data.hosts as { host?: unknown; previous?: unknown }[])
      : [];
    const order = Array.isArray(begin.data?.batches) ? (begin.data.batches as string[][]).flat() : [];
    const involvedLabels = new Set([
      ...recorded.map((h) => String(h.host)),
      ...hosts.filter((h) => h.entries.some((e) => e.run === run)).map((h) => h.label),
    ]);
    const missing = [...involvedLabels].filter((l) => !hosts.some((h) => h.label === l));
    const involved = hosts
      .filter((h) => involvedLabels.has(h.label))
      .map((h) => ({ h, mine: h.entries.filter((e) => e.run === run) }));
    // Reverse rollout order (hosts the batches do not name last in config order, then reversed with the rest).
    const rank = (l: string) => (order.includes(l) ? order.indexOf(l) : order.length);
    involved.sort((a, b) => rank(b.h.label) - rank(a.h.label));
    const open = (m: JournalEntry[]) => findUnfinishedRuns(m).length > 0;
    const base = { run, kind: begin.kind, release, missing };

    if (begin.kind === 'admin') {
      actions.push({ ...base, decision: 'close', fleetTo: null, hosts: [], undo: null, why: 'an admin run' });
      continue;
    }
    if (begin.kind === 'deploy') {
      const previousOf = (x: (typeof involved)[number]) => {
        const r = recorded.find((h) => h.host === x.h.label);
        if (r) return str(r.previous);
        return str(x.mine.find((e) => e.step === 'run' && e.status === 'begin')?.data?.previous);
      };
      // Every host closed its run `ok` (finishHost: gates, watch window and retention done there, its lock given
      // back in the same command): only the fleet's own record is missing. Kept without touching a host — one may
      // run a later deploy's release by now, which this run's recovery must not undo.
      if (
        release !== null &&
        involved.length > 0 &&
        involved.every((x) => x.mine.some((e) => e.step === 'run' && e.status === 'ok'))
      ) {
        actions.push({
          ...base,
          decision: 'keep',
          fleetTo: release,
          hosts: [],
          undo: null,
          why: `every host had closed its run of ${release} before the controller stopped (only the fleet's record was missing): kept`,
        });
        continue;
      }
      const keep =
        release !== null &&
        !o.back?.has(run) &&
        involved.length > 0 &&
        involved.every((x) => x.h.current === release && passedGates(x.mine));
      if (keep) {
        actions.push({
          ...base,
          decision: 'keep',
          fleetTo: release,
          hosts: involved.map((x) => ({
            host: x.h.label,
            current: x.h.current,
            to: release,
            restart: false,
            open: open(x.mine),
          })),
          undo: null,
          why: `every host had switched to ${release} and passed its health gate and smoke tests before the controller stopped: kept (after a health probe)`,
        });
        continue;
      }
      const pending = mine.find((e) => e.step === 'migrate' && e.status === 'begin')?.data?.pending;
      const candidates = Array.isArray(pending) ? (pending as ChangeSetKey[]) : [];
      const switched = involved.filter((x) => began(x.mine, 'switch', 'restart'));
      actions.push({
        ...base,
        decision: 'settle',
        fleetTo: str(begin.data?.previous),
        hosts: involved.map((x) => {
          const to = previousOf(x);
          return {
            host: x.h.label,
            current: x.h.current,
            to,
            restart: began(x.mine, 'switch', 'restart', 'rollback') || x.h.current !== to,
            open: open(x.mine),
          };
        }),
        undo: release && candidates.length ? { release, candidates } : null,
        why: `the rollout of ${release ?? '?'} did not finish (${switched.length} of ${involved.length} host(s) had begun switching): the fleet goes back as one`,
      });
      continue;
    }
    // A fleet rollback (recover.ts's rule): forward once the database undo began, else back.
    const dbBegin = mine.find((e) => e.step === 'db-rollback' && e.status === 'begin');
    const forward = Boolean(dbBegin) || str(begin.data?.from) === null;
    const of = str(dbBegin?.data?.of);
    const changesets = Array.isArray(dbBegin?.data?.changesets) ? (dbBegin.data.changesets as ChangeSetKey[]) : [];
    actions.push({
      ...base,
      decision: 'settle',
      fleetTo: forward ? release : str(begin.data?.from),
      hosts: involved.map((x) => {
        const hostBegin = x.mine.find((e) => e.step === 'run' && e.status === 'begin');
        const to = forward ? release : hostBegin ? str(hostBegin.data?.from) : x.h.current;
        return {
          host: x.h.label,
          current: x.h.current,
          to,
          // A host this run switched but never restarted (its connection lost in between) runs the release it
          // came from on the database the run left: restarted too, even when current is already `to`.
          restart: began(x.mine, 'switch', 'rollback', 'restart') || x.h.current !== to,
          open: open(x.mine),
        };
      }),
      undo: forward && of && changesets.length ? { release: of, candidates: changesets } : null,
      why: forward
        ? `the fleet ${begin.kind} to ${release ?? '?'} had begun rolling back the database: completing it`
        : `the fleet ${begin.kind} to ${release ?? '?'} did not finish: every host back to where it came from`,
    });
  }
  return actions;
}

/** One line per planned action (what `slipway recover --target <fleet>` shows without --yes). */
export function describeFleetRecovery(actions: FleetRecoveryAction[]): string[] {
  const out: string[] = [];
  for (const a of actions) {
    const head = `${a.kind} run ${a.run} (release ${a.release ?? '?'}) of the fleet was interrupted`;
    if (a.decision === 'close') {
      out.push(`${head}: close it in the journal`);
      continue;
    }
    out.push(
      `${head}: ${a.why}` +
        (a.undo
          ? `; undo the changesets of ${a.undo.release} it applied, if still recorded (${a.undo.candidates.length} candidate(s))`
          : ''),
    );
    for (const h of a.hosts)
      out.push(
        `  ${h.host}: current ${h.current ?? '(none)'} → ${h.to ?? '(none)'}${h.restart ? ', restart' : ''}, health-check`,
      );
    if (a.missing.length) out.push(`  cannot be read (recovery waits for them): ${a.missing.join(', ')}`);
  }
  return out;
}

/**
 * Release directories on a host that no journal line records as installed (pure): the host's journal shows an install
 * of the release begun (`extract` begin) and never finished (`extract` ok), and nothing refers to it — not current,
 * not a release a run started from or returns to. A total partition leaves one: the controller cannot reach the
 * host (its sshd too), journals the rollout as failed, and cannot give the host's lock back, so the install, whose
 * lease still holds, publishes it. Every run that got as far as a switch has its `extract` ok on the host (the line
 * goes ahead of the switch), so no live or kept release is ever one of these. Returns [release, the run that began
 * its install] pairs.
 */
export function strayReleases(v: {
  current: string | null;
  entries: JournalEntry[];
  dirs: readonly string[];
}): { release: string; run: string }[] {
  const installed = new Set(
    v.entries.filter((e) => e.step === 'extract' && e.status === 'ok' && e.release).map((e) => e.release!),
  );
  const referenced = new Set<string>(v.current ? [v.current] : []);
  for (const e of v.entries)
    for (const k of ['previous', 'from', 'to'] as const) {
      const r = str(e.data?.[k]);
      if (r) referenced.add(r);
    }
  const out: { release: string; run: string }[] = [];
  for (const id of v.dirs) {
    if (installed.has(id) || referenced.has(id)) continue;
    const began = v.entries.find((e) => e.step === 'extract' && e.status === 'begin' && e.release === id);
    if (began) out.push({ release: id, run: began.run });
  }
  return out;
}
