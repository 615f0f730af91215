import { appendJournal } from './journal.js';
import { findUnfinishedRuns } from './release-store.js';
import type { Target } from './target.js';
import type { JournalEntry } from './types.js';

export interface RecoveryReport {
  /** One line per interrupted run, for progress output. */
  messages: string[];
  /** The release `current` was restored to, if recovery switched it. */
  restored: string | null;
}

/** The last step an unfinished run began (for "interrupted at step X"). */
function lastStep(entries: JournalEntry[], run: string): string {
  const mine = entries.filter((e) => e.run === run && e.step !== 'run');
  const last = mine[mine.length - 1];
  return last ? `${last.step} (${last.status})` : 'start';
}

/**
 * Finishes what crashed runs left (called with the lock held, so no unfinished run can still be alive): closes
 * each one in the journal as failed + interrupted, removes staging leftovers, and when the crash came after the
 * switch of a deploy, points `current` back at the release that was live before it.
 */
export async function recoverInterruptedRuns(target: Target, byRun: string): Promise<RecoveryReport> {
  const entries = await target.readJournal();
  const unfinished = findUnfinishedRuns(entries);
  const messages: string[] = [];
  let restored: string | null = null;
  const leftovers = await target.cleanLeftovers();
  if (leftovers.length) messages.push(`removed leftovers of an interrupted run: ${leftovers.join(', ')}`);
  for (const begin of unfinished) {
    const mine = entries.filter((e) => e.run === begin.run);
    const switched = mine.some((e) => e.step === 'switch' && e.status === 'ok');
    const migrating =
      mine.some((e) => e.step === 'migrate' && e.status === 'begin') &&
      !mine.some((e) => e.step === 'migrate' && e.status !== 'begin');
    const previous = typeof begin.data?.previous === 'string' ? begin.data.previous : null;
    const current = await target.readCurrent();
    const at = lastStep(entries, begin.run);
    let note = `${begin.kind} run ${begin.run} (release ${begin.release ?? '?'}) was interrupted at ${at}`;
    if (
      begin.kind === 'deploy' &&
      switched &&
      current === begin.release &&
      previous &&
      (await target.listReleaseDirs()).includes(previous)
    ) {
      await target.switchTo(previous);
      restored = previous;
      note += `; current restored to ${previous}`;
    }
    if (migrating)
      note += '; the migration may be partly applied (each changeset is recorded when done, the next deploy resumes)';
    await appendJournal(target.layout.journal, {
      run: begin.run,
      kind: begin.kind,
      step: 'run',
      status: 'failed',
      ...(begin.release ? { release: begin.release } : {}),
      message: `interrupted at ${at}`,
      data: { interrupted: true, recoveredBy: byRun, wentLive: switched, restored },
    });
    messages.push(note);
  }
  return { messages, restored };
}
