/**
 * Reconciliation: what crashed or interrupted runs left, decided from the three sources of truth — the journal
 * (history: how far each run got), `current` (what is live) and databasechangelog (what the database holds) — and
 * completed with settleTarget, the same code a failing deploy uses. Called with the lock held.
 */
import type { TargetConfig } from '../config/sections/deploy.js';
import type { ChangeSetKey, Contracts } from './contracts.js';
import { readHistoryTables, refuseUnsafeRollbackSql } from './db-rollback.js';
import { changeSetKey, readAppliedOrFail, recordedAmong } from './db-state.js';
import { appendJournal, type JournalRead } from './journal.js';
import { findUnfinishedRuns } from './release-store.js';
import { journaledSettle, settleTarget } from './settle.js';
import { makeStepRunner } from './step-runner.js';
import type { Target } from './target.js';
import type { DeployEvent, JournalEntry } from './types.js';

/** What recovery will do about one unfinished run (pure data: `slipway recover` prints it). */
export interface RecoveryAction {
  run: string;
  kind: JournalEntry['kind'];
  release: string | null;
  /** The last step the run began, e.g. `restart (begin)`. */
  at: string;
  /** keep: the release passed its gates before the run stopped and is live; settle: put the target on `to`. */
  decision: 'keep' | 'settle' | 'close';
  to: string | null;
  undo: { release: string; candidates: ChangeSetKey[] } | null;
  restart: boolean;
  why: string;
  /** The run had ended, but its own undo did not complete (it told the operator to run `slipway recover --yes`). */
  unsettled: boolean;
  /** Journaled on the closing line: the run was interrupted (always, unless an unsettled run's failure was not). */
  interrupted: boolean;
}

export interface RecoveryPlan {
  tail: JournalRead['tail'];
  corrupt: JournalRead['problems'];
  actions: RecoveryAction[];
}

export interface RecoveryReport {
  /** One line per finding and action, for progress output. */
  messages: string[];
  /** The release `current` was restored to, if recovery switched it. */
  restored: string | null;
  /** False when a run could not be settled (the messages say what remains and the command that finishes it). */
  complete: boolean;
  plan: RecoveryPlan;
}

/** The last step an unfinished run began (for "interrupted at step X"). */
function lastStep(mine: JournalEntry[]): string {
  const steps = mine.filter((e) => e.step !== 'run');
  const last = steps[steps.length - 1];
  return last ? `${last.step} (${last.status})` : 'start';
}

const lastIndex = (mine: JournalEntry[], f: (e: JournalEntry) => boolean) => {
  for (let i = mine.length - 1; i >= 0; i--) if (f(mine[i]!)) return i;
  return -1;
};

/**
 * True when, after its switch, the run's release passed the health gate and the smoke tests (ok or skipped), with
 * nothing failing or left open afterwards except retention: it was a good live release when the run stopped.
 */
export function passedGates(mine: JournalEntry[]): boolean {
  const sw = lastIndex(mine, (e) => e.step === 'switch' && e.status === 'ok');
  const smoke = lastIndex(mine, (e) => e.step === 'smoke' && (e.status === 'ok' || e.status === 'skipped'));
  if (sw < 0 || smoke < sw) return false;
  if (mine.some((e) => e.step === 'rollback' || e.step === 'db-rollback' || e.status === 'failed')) return false;
  // A watch window (a second `health` step) that began must have ended ok.
  const after = mine.slice(smoke + 1);
  const watchBegan = after.some((e) => e.step === 'health' && e.status === 'begin');
  return !watchBegan || after.some((e) => e.step === 'health' && e.status === 'ok');
}

const changesetsOf = (e: JournalEntry | undefined, field: string): ChangeSetKey[] =>
  Array.isArray(e?.data?.[field]) ? (e.data[field] as ChangeSetKey[]) : [];

/**
 * Runs that ended but whose last closing line says their undo did not complete (`settled.complete: false`): the
 * run's message ended with `slipway recover … --yes`, so recovery settles them again, as it does an unfinished run.
 * A later closing line (the recovery's own) that is complete ends that.
 */
export function findUnsettledRuns(entries: JournalEntry[]): { begin: JournalEntry; closing: JournalEntry }[] {
  const closing = new Map<string, JournalEntry>();
  for (const e of entries) if (e.step === 'run' && e.status !== 'begin') closing.set(e.run, e);
  const out: { begin: JournalEntry; closing: JournalEntry }[] = [];
  for (const e of entries) {
    const c = e.step === 'run' && e.status === 'begin' ? closing.get(e.run) : undefined;
    const settled = c?.data?.settled as { complete?: unknown } | null | undefined;
    if (c && settled && settled.complete === false) out.push({ begin: e, closing: c });
  }
  return out;
}

const runBegin = (entries: JournalEntry[], run: string) =>
  entries.find((e) => e.run === run && e.step === 'run' && e.status === 'begin')!;

/** Decides what to do about each unfinished run, and each run whose own undo did not complete (pure). */
export function planRecovery(entries: JournalEntry[], current: string | null, read?: JournalRead): RecoveryPlan {
  const actions: RecoveryAction[] = [];
  const unsettled = new Map(findUnsettledRuns(entries).map((u) => [u.begin.run, u.closing]));
  for (const begin of [...findUnfinishedRuns(entries), ...[...unsettled.keys()].map((run) => runBegin(entries, run))]) {
    const mine = entries.filter((e) => e.run === begin.run);
    const at = lastStep(mine);
    const release = begin.release ?? null;
    const began = (step: string) => mine.some((e) => e.step === step && e.status === 'begin');
    const closing = unsettled.get(begin.run);
    // An undo that did not complete may have left any release's app running: always restart what it settles on.
    const touched = Boolean(closing) || began('switch') || began('restart') || began('stop') || began('rollback');
    const base = {
      run: begin.run,
      kind: begin.kind,
      release,
      at,
      unsettled: Boolean(closing),
      interrupted: closing ? closing.data?.interrupted === true : true,
    };
    const settledTo = (closing?.data?.settled as { to?: unknown } | undefined)?.to;
    if (begin.kind === 'admin') {
      actions.push({ ...base, decision: 'close', to: current, undo: null, restart: false, why: 'an admin run' });
      continue;
    }
    if (release && current === release && passedGates(mine)) {
      actions.push({
        ...base,
        decision: 'keep',
        to: release,
        undo: null,
        restart: false,
        why: `${release} passed its health gate and smoke tests before the run stopped, and is live`,
      });
      continue;
    }
    if (begin.kind === 'deploy') {
      const previous = typeof begin.data?.previous === 'string' ? begin.data.previous : null;
      const migrate = mine.find((e) => e.step === 'migrate' && e.status === 'begin');
      const pending = changesetsOf(migrate, 'pending');
      // An unsettled deploy is settled where its own undo was going: not always the previous release (a refused
      // switch leaves `current` where the change under the run put it, and its undo ends there).
      const to = typeof settledTo === 'string' || settledTo === null ? settledTo : previous;
      actions.push({
        ...base,
        decision: 'settle',
        to,
        undo: release && pending.length ? { release, candidates: pending } : null,
        restart: touched || current !== to,
        why: closing
          ? `the deploy of ${release ?? '?'} failed and its undo did not complete: ${to === previous ? 'back to' : 'on'} ${to ?? '(nothing live)'}`
          : `the deploy of ${release ?? '?'} did not finish: back to ${to ?? '(nothing live)'}`,
      });
      continue;
    }
    // A rollback (plain or emergency): once it began undoing database changesets it is completed forward (to its
    // target), since going back would need them re-applied; before that it goes back to where it came from.
    const from = typeof begin.data?.from === 'string' ? begin.data.from : null;
    const dbBegin = mine.find((e) => e.step === 'db-rollback' && e.status === 'begin');
    const of = typeof dbBegin?.data?.of === 'string' ? dbBegin.data.of : from;
    // An unsettled rollback is settled where its own undo was going (it went back when its rollback SQL had
    // undone nothing).
    const forward =
      typeof settledTo === 'string' || settledTo === null ? settledTo === release : Boolean(dbBegin) || from === null;
    const to = forward ? release : from;
    actions.push({
      ...base,
      decision: 'settle',
      to,
      undo: forward && of ? { release: of, candidates: changesetsOf(dbBegin, 'changesets') } : null,
      restart: touched || current !== to,
      why: forward
        ? `the ${begin.kind} to ${release ?? '?'} had begun rolling back the database: completing it`
        : `the ${begin.kind} to ${release ?? '?'} did not finish: back to ${from ?? '(nothing live)'}`,
    });
  }
  return {
    tail: read?.tail ?? null,
    corrupt: read?.problems.filter((p) => !read.tail || p.offset < read.tail.offset) ?? [],
    actions,
  };
}

/** One line per planned action (for `slipway recover` without --yes). */
export function describeRecovery(plan: RecoveryPlan): string[] {
  const out: string[] = [];
  if (plan.tail)
    out.push(
      `journal: ${plan.tail.bytes} unreadable byte(s) at its end (offset ${plan.tail.offset}, ${plan.tail.lines} line(s): torn or corrupt); they will be moved aside, and do not change what is live`,
    );
  for (const p of plan.corrupt)
    out.push(`journal: line ${p.line} (offset ${p.offset}) is invalid (${p.reason}); skipped`);
  for (const a of plan.actions) {
    const head = `${a.kind} run ${a.run} (release ${a.release ?? '?'}) ${a.unsettled ? 'ended with its undo incomplete' : 'was interrupted'} at ${a.at}`;
    if (a.decision === 'keep') out.push(`${head}: keep ${a.to} live (${a.why}), after a health probe`);
    else if (a.decision === 'close') out.push(`${head}: close it in the journal`);
    else
      out.push(
        `${head}: ${a.why}; ${a.restart ? 'restart and ' : ''}health-check ${a.to ?? '(nothing)'}` +
          (a.undo
            ? `; undo the changesets of ${a.undo.release} it applied, if still recorded (${a.undo.candidates.length} candidate(s))`
            : ''),
      );
  }
  return out;
}

export interface RecoverInput {
  target: Target;
  t: TargetConfig;
  contracts: Contracts;
  /** The run doing the recovery (journaled as `recoveredBy`). */
  byRun: string;
  databaseUrl: string | null;
  targetArg: string;
  onProgress?: ((e: DeployEvent) => void) | undefined;
}

/**
 * Checked before recovery changes anything: returns the first settle action with changesets to undo whose database
 * cannot be read now, and why (else null); throws E_UNSAFE_SQL when the rollback SQL it would run (of a release on
 * disk) runs a shell.
 */
async function checkBeforeRecovery(
  r: RecoverInput,
  actions: RecoveryAction[],
): Promise<{ a: RecoveryAction; e: Error } | null> {
  if (!r.databaseUrl) return null;
  for (const a of actions) {
    if (a.decision !== 'settle' || !a.undo?.candidates.length) continue;
    // A release whose history-table settings cannot be read is left to settleTarget, which reports it.
    const tables = await readHistoryTables(r.target.releaseDir(a.undo.release)).catch(() => null);
    if (!tables) continue;
    let applied: ChangeSetKey[];
    try {
      applied = await readAppliedOrFail(r.databaseUrl, tables);
    } catch (e) {
      return { a, e: e as Error };
    }
    if (r.t.rollbackDatabase && recordedAmong(a.undo.candidates, applied).length)
      await refuseUnsafeRollbackSql(
        r.target.releaseDir(a.undo.release),
        r.t.allowShellInSql,
        `Nothing was changed: recovery would run the rollback SQL of release ${a.undo.release} on disk.`,
      );
  }
  return null;
}

/**
 * Finishes what crashed or interrupted runs left: moves a torn journal tail aside (reported; it never changes what
 * is live), removes staging leftovers, and for each unfinished run either keeps its release (it passed its gates
 * and a health probe now agrees) or settles the target on the release it should be on — switch, undo exactly the
 * run's changesets, restart, health gate — then closes the run in the journal.
 */
export async function recoverInterruptedRuns(r: RecoverInput): Promise<RecoveryReport> {
  const { target } = r;
  const messages: string[] = [];
  const read = await target.inspectJournal();
  const current = await target.readCurrent();
  const plan = planRecovery(read.entries, current, read);
  const blocked = await checkBeforeRecovery(r, plan.actions);
  if (blocked) {
    // Undoing needs databasechangelog (what is recorded is what gets undone); switching or restarting without
    // it would put the previous app on the new tables. So nothing at all is changed, and that is what is said.
    const { a, e } = blocked;
    const keys = a.undo!.candidates.map(changeSetKey).join(', ');
    messages.push(
      `nothing was recovered: ${a.kind} run ${a.run} has ${a.undo!.candidates.length} changeset(s) to undo if still recorded (${keys}), and the database that records them cannot be read (${e.message}); current is ${current ? `still ${current}` : '(none)'}, no app was restarted, the journal is unchanged; run \`slipway recover ${r.targetArg} --yes\` once the database answers`,
    );
    return { messages, restored: null, complete: false, plan };
  }
  if (read.tail) {
    const aside = await target.setAsideJournalTail(read.tail);
    const note = `journal: ${read.tail.bytes} unreadable byte(s) at its end (offset ${read.tail.offset}: torn or corrupt) moved to ${aside}; nothing live was changed because of them`;
    await appendJournal(target.layout.journal, {
      run: r.byRun,
      kind: 'admin',
      step: 'recover',
      status: 'info',
      message: note,
      data: { tail: read.tail, aside },
    });
    messages.push(note);
  }
  for (const p of plan.corrupt) messages.push(`journal: line ${p.line} is invalid (${p.reason}); skipped`);
  const leftovers = await target.cleanLeftovers();
  if (leftovers.length) messages.push(`removed leftovers of an interrupted run: ${leftovers.join(', ')}`);
  let restored: string | null = null;
  let complete = true;
  for (const a of plan.actions) {
    const journal = target.journal(a.run, a.kind);
    const steps = makeStepRunner({ journal, release: a.release ?? a.to ?? '', onProgress: r.onProgress });
    let note = `${a.kind} run ${a.run} (release ${a.release ?? '?'}) ${a.unsettled ? 'ended with its undo incomplete' : 'was interrupted'} at ${a.at}`;
    let settled: Awaited<ReturnType<typeof settleTarget>> | null = null;
    let kept = false;
    if (a.decision === 'keep' && a.to) {
      kept = true;
      const url = r.t.health.url;
      if (url) {
        const p = await r.contracts.probeHealth(url, {
          timeoutMs: Math.min(5000, r.t.health.timeoutMs),
          ...(r.t.health.expect ? { expect: r.t.health.expect } : {}),
        });
        kept = p.status === 'HEALTHY' || (p.status === 'DEGRADED' && r.t.health.allowDegraded);
        if (!kept) note += `; ${a.to} had passed its gates but is ${p.status} now (${p.reason})`;
      }
      if (kept) note += `; ${a.why}: kept${url ? ' (healthy now)' : ''}`;
    }
    if (a.decision === 'settle' || (a.decision === 'keep' && !kept)) {
      let to = a.to;
      let undo = a.undo;
      if (a.decision === 'keep') {
        // The kept candidate failed its probe: fall back to what the run replaced.
        const begin = read.entries.find((e) => e.run === a.run && e.step === 'run' && e.status === 'begin');
        to =
          typeof begin?.data?.previous === 'string'
            ? begin.data.previous
            : typeof begin?.data?.from === 'string'
              ? begin.data.from
              : null;
        const migrate = read.entries.find((e) => e.run === a.run && e.step === 'migrate' && e.status === 'begin');
        const pending = changesetsOf(migrate, 'pending');
        undo = a.release && pending.length ? { release: a.release, candidates: pending } : null;
      }
      await steps.info('recover', `recovering (by ${r.byRun}): ${a.why}`, { recoveredBy: r.byRun });
      settled = await settleTarget({
        contracts: r.contracts,
        target,
        t: r.t,
        steps,
        run: a.run,
        to,
        undo,
        databaseUrl: r.databaseUrl,
        restart: a.restart || a.decision === 'keep',
        targetArg: r.targetArg,
      });
      if (settled.current === to && to !== a.release) restored = to;
      complete &&= settled.complete;
      note += `; ${settled.lines.join('; ')}`;
    }
    await appendJournal(target.layout.journal, {
      run: a.run,
      kind: a.kind,
      step: 'run',
      status: kept ? 'ok' : 'failed',
      ...(a.release ? { release: a.release } : {}),
      message: a.unsettled
        ? `settled again after its undo did not complete (at ${a.at})`
        : `interrupted at ${a.at}${kept ? '; kept: it had passed its gates' : ''}`,
      data: {
        interrupted: a.interrupted,
        recoveredBy: r.byRun,
        wentLive: read.entries.some((e) => e.run === a.run && e.step === 'switch' && e.status === 'ok'),
        restored,
        kept,
        ...(settled ? { settled: journaledSettle(settled) } : {}),
      },
    });
    messages.push(note);
  }
  return { messages, restored, complete, plan };
}
