/** What a deploy does when a step fails or the run is interrupted: put the target back, journal, say what is true. */
import path from 'node:path';
import type { TargetConfig } from '../config/sections/deploy.js';
import { SlipwayError } from '../errors.js';
import type { Contracts } from './contracts.js';
import { undoDeploy, type ApplyState } from './deploy-steps.js';
import { toIoError } from './io-error.js';
import type { RunJournal } from './journal.js';
import { sendNotification } from './notify.js';
import { journaledSettle, unjournaledNote, type SettleResult } from './settle.js';
import { interruptedError, makeStepRunner } from './step-runner.js';
import type { Target } from './target.js';
import type { DeployOptions } from './types.js';

export interface FailContext {
  opts: DeployOptions;
  contracts: Contracts;
  target: Target;
  t: TargetConfig;
  journal: RunJournal;
  run: string;
  releaseId: string;
  previous: string | null;
  databaseUrl: string | null;
  state: ApplyState;
  targetArg: string;
}

/** One line saying what state the target is in (the last line an interrupted deploy prints). */
export function describeSettled(
  previous: string | null,
  s: SettleResult | null,
  untouched: boolean,
  /** `current` read after the run (undefined: it could not be read). */
  current?: string | null,
): string {
  if (!s)
    return untouched
      ? `${previous ? `${previous} is still live` : 'nothing is live'} (current unchanged, app not restarted, database not migrated)`
      : // The run stopped before touching anything live, yet `current` is not what it was: something else moved it.
        `current ${current === undefined ? 'could not be read' : `is ${current ?? '(none)'}`}, not ${previous ?? '(none)'} as when this run began; this run stopped before switching, restarting or migrating anything, and left it as it is`;
  return s.lines.join('; ');
}

/**
 * Puts the target back (previous release, exactly this run's changesets undone, restarted, health-gated), closes
 * the run in the journal (interrupted or failed), notifies, and returns the error to throw: the original one, with
 * the verified state in its details (a filesystem refusal becomes E_IO naming the path; a signal E_INTERRUPTED
 * with the state on its one line).
 */
export async function failDeploy(e: unknown, c: FailContext): Promise<unknown> {
  const { state, previous, releaseId, journal } = c;
  const interruptedBefore =
    (e instanceof SlipwayError && e.code === 'E_INTERRUPTED') || c.opts.signal?.aborted === true;
  const journalErrors: string[] = [];
  // No signal for the steps: undoing runs to its end even after Ctrl-C (a second one exits at once, in the CLI).
  // A first signal during an undo that a failure started cancels only its rollback SQL (which may be blocked on
  // another session's lock); the rest of the undo still runs, and the run ends as interrupted.
  const steps = makeStepRunner({
    journal,
    release: releaseId,
    onProgress: c.opts.onProgress,
    onJournalError: (x) => journalErrors.push((x as Error).message),
  });
  const needUndo = state.touchedApp || state.pending.length > 0;
  const settled = needUndo
    ? await undoDeploy({
        contracts: c.contracts,
        target: c.target,
        t: c.t,
        steps,
        run: c.run,
        releaseId,
        previous,
        databaseUrl: c.databaseUrl,
        state,
        targetArg: c.targetArg,
        signal: interruptedBefore ? undefined : c.opts.signal,
      })
    : null;
  const interrupted = interruptedBefore || c.opts.signal?.aborted === true;
  const current = await c.target.readCurrent().catch(() => undefined);
  const untouched = !needUndo && current === previous;
  const stateLine = describeSettled(previous, settled, untouched, current);
  // After a refused switch nothing is switched back: `current` stays where the change under the run put it.
  const left = state.currentChanged ? ' (current left where the change under this run put it)' : '';
  const header = !settled
    ? null
    : !settled.complete
      ? `automatic rollback INCOMPLETE${left}`
      : state.currentChanged
        ? `this run undone${settled.dbRemaining.length ? ', except the database' : ''}${left}`
        : settled.dbRemaining.length
          ? 'rolled back automatically, except the database'
          : 'rolled back automatically';
  const reason = e instanceof SlipwayError ? e.message : String((e as Error)?.message ?? e);
  let closed = true;
  await journal
    .write({
      step: 'run',
      status: 'failed',
      release: releaseId,
      message: reason,
      data: {
        wentLive: state.wentLive,
        interrupted,
        settled: settled ? journaledSettle(settled) : null,
        state: stateLine,
      },
    })
    .catch((x: Error) => {
      closed = false;
      journalErrors.push(x.message);
    });
  // Operators hear of an automatic rollback as they do of an emergency one (when a notify channel is configured).
  if (needUndo && (c.t.notify.webhook || c.t.notify.command)) {
    const n = await sendNotification(
      c.t.notify,
      {
        event: 'deploy-failed',
        root: c.target.layout.root,
        from: releaseId,
        to: previous,
        reason: `${reason}; ${header ? `${header}: ` : ''}${stateLine}`,
        at: new Date().toISOString(),
      },
      { logDir: path.join(c.target.layout.state, 'logs'), timeoutMs: c.t.commandTimeoutMs },
    ).catch(() => null);
    if (n)
      await journal
        .write({
          step: 'notify',
          status: n.errors.length ? 'failed' : 'ok',
          release: releaseId,
          message: [...n.sent.map((x) => `sent via ${x}`), ...n.errors].join('; '),
        })
        .catch((x: Error) => journalErrors.push(x.message));
  }
  const stateDetails = settled ? [`${header}: ${settled.lines[0]}`, ...settled.lines.slice(1)] : [stateLine];
  const journalNote = unjournaledNote(journalErrors, closed, c.targetArg);
  if (interrupted) {
    const by =
      e instanceof SlipwayError && e.code === 'E_INTERRUPTED'
        ? e.message
        : c.opts.signal?.aborted
          ? interruptedError(c.opts.signal).message +
            (interruptedBefore ? '' : ` while undoing a failed deploy (${reason})`)
          : 'interrupted';
    return new SlipwayError('E_INTERRUPTED', `${by}: ${stateLine}`, {
      details: journalNote,
      ...(settled && !settled.complete ? { hint: `Run: slipway recover ${c.targetArg} --yes` } : {}),
      cause: e,
    });
  }
  const out = toIoError(e, c.target.layout.root, 'write under');
  if (out instanceof SlipwayError) {
    out.details.push(...stateDetails, ...journalNote);
    return out;
  }
  return e;
}
