import type { ReleaseRecord } from './release-store.js';

/**
 * Which present releases to delete: keep the newest `keep` by id, and always keep `current`, the last good
 * release, pinned ones and any still in progress (pure).
 */
export function planRetention(
  releases: ReleaseRecord[],
  presentIds: string[],
  keep: number,
  lastGood: string | null,
): string[] {
  const byId = new Map(releases.map((r) => [r.id, r]));
  const newestFirst = [...presentIds].sort().reverse();
  return newestFirst.slice(keep).filter((id) => {
    const r = byId.get(id);
    if (!r) return false; // a directory the journal never mentions: not ours to judge, leave it
    return !(r.current || r.pinned || r.id === lastGood || r.result === 'in-progress');
  });
}
