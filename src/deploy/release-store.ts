import { readdir } from 'node:fs/promises';
import { layoutOf } from './layout.js';
import { readJournal } from './journal.js';
import { readCurrent } from './switch.js';
import { isReleaseId } from './layout.js';
import { isPidAlive } from '../pid-alive.js';
import { readLock } from './lock.js';
import type { JournalEntry } from './types.js';

export type { ReleaseRecord } from './release-record.js';
import type { ReleaseRecord } from './release-record.js';

/** Runs that began but never wrote a final `run` entry. */
export function findUnfinishedRuns(entries: JournalEntry[]): JournalEntry[] {
  const ended = new Set(entries.filter((e) => e.step === 'run' && e.status !== 'begin').map((e) => e.run));
  return entries.filter((e) => e.step === 'run' && e.status === 'begin' && !ended.has(e.run));
}

/** Derives every release's record from the journal (pure; `current`/`present`/`liveRun` come from the disk). */
export function deriveReleases(
  entries: JournalEntry[],
  current: string | null,
  present: Set<string>,
  liveRun: string | null = null,
): ReleaseRecord[] {
  const byId = new Map<string, ReleaseRecord>();
  const unfinished = new Set(findUnfinishedRuns(entries).map((e) => e.run));
  entries.forEach((e, seq) => {
    const d = e.data ?? {};
    if (e.kind === 'deploy' && e.step === 'run' && e.status === 'begin' && e.release) {
      byId.set(e.release, {
        id: e.release,
        version: String(d.version ?? ''),
        sha256: String(d.sha256 ?? ''),
        packageName: String(d.packageName ?? ''),
        deployedAt: e.at,
        deployedBy: String(d.actor ?? ''),
        result: 'in-progress',
        completed: false,
        current: false,
        pinned: false,
        present: false,
        interrupted: unfinished.has(e.run) && e.run !== liveRun,
        reason: unfinished.has(e.run) && e.run !== liveRun ? 'interrupted before it finished' : null,
        lastLiveSeq: -1,
      });
      return;
    }
    const r = e.release ? byId.get(e.release) : undefined;
    if (e.step === 'run' && e.status !== 'begin' && r) {
      if (e.kind === 'deploy') {
        // A deploy that failed is `failed` even when it was live for a moment before the automatic rollback.
        r.result = e.status === 'ok' ? 'success' : 'failed';
        r.reason =
          e.status === 'ok'
            ? null
            : `${e.message ?? 'failed'}${d.wentLive ? ' (was live, rolled back automatically)' : ''}`;
        if (e.status === 'ok') {
          r.lastLiveSeq = seq;
          r.completed = true;
        }
      } else if (e.status === 'ok') {
        r.result = 'success';
        r.lastLiveSeq = seq;
        const from = typeof d.from === 'string' ? byId.get(d.from) : undefined;
        if (from && from.id !== r.id && from.result === 'success') {
          from.result = 'rolled-back';
          from.reason = `rolled back (${e.kind}) at ${e.at}`;
        }
      }
    }
    if (e.step === 'verify' && e.status === 'ok' && r && typeof d.version === 'string') r.version = d.version;
    if (e.step === 'pin' && e.status === 'ok' && r) r.pinned = d.pinned === true;
  });
  for (const r of byId.values()) {
    r.current = r.id === current;
    r.present = present.has(r.id);
    if (r.interrupted && r.result === 'in-progress') r.result = 'failed';
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
}

/** Releases a plain rollback may go to, best first: successful ones other than `current`, most recently live first. */
export function rollbackCandidates(releases: ReleaseRecord[], current: string | null): ReleaseRecord[] {
  return releases
    .filter((r) => r.id !== current && r.result === 'success' && r.present && r.lastLiveSeq >= 0)
    .sort((a, b) => b.lastLiveSeq - a.lastLiveSeq);
}

/** The release a plain rollback goes to: the most recently live successful one, other than `current`. */
export function pickRollbackTarget(releases: ReleaseRecord[], current: string | null): ReleaseRecord | null {
  return rollbackCandidates(releases, current)[0] ?? null;
}

/** The last release that went live successfully (retention never deletes it). */
export function lastGoodRelease(releases: ReleaseRecord[]): ReleaseRecord | null {
  return (
    releases
      .filter((r) => r.result === 'success' && r.lastLiveSeq >= 0)
      .sort((a, b) => b.lastLiveSeq - a.lastLiveSeq)[0] ?? null
  );
}

async function presentReleases(releasesDir: string): Promise<Set<string>> {
  try {
    return new Set((await readdir(releasesDir)).filter(isReleaseId));
  } catch {
    return new Set();
  }
}

/** Releases of a target, newest first, derived from the journal (never from mtimes). */
export async function listReleases(targetRoot: string): Promise<ReleaseRecord[]> {
  const layout = layoutOf(targetRoot);
  const [{ entries }, current, present, lock] = await Promise.all([
    readJournal(layout.journal),
    readCurrent(layout),
    presentReleases(layout.releases),
    readLock(layout.lock),
  ]);
  const liveRun = lock && isPidAlive(lock.pid) ? lock.run : null;
  return deriveReleases(entries, current, present, liveRun);
}

/** Journal entries of a target, oldest first. */
export async function readHistory(targetRoot: string): Promise<JournalEntry[]> {
  return (await readJournal(layoutOf(targetRoot).journal)).entries;
}
