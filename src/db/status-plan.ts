import type { ChangeSet } from './model.js';
import { isChecksumAccepted } from './checksum.js';
import { changeSetRowKey, recordedByKey, recordedRowKey, type RecordedRow } from './delta.js';

export interface ChangeSetStatus {
  id: string;
  author: string;
  filename: string;
  state: 'applied' | 'pending' | 'drift' | 'unknown';
  /** The recorded MD5SUM for applied/drift/unknown rows; the changelog's for pending ones. */
  checksum: string | null;
  /** What the changelog computes now (null for rows the changelog no longer has): differs from `checksum` on drift. */
  expectedChecksum: string | null;
  /** `<tagDatabase>` tag this changeset sets, if any. */
  tag: string | null;
  dateexecuted: string | null;
  orderexecuted: number | null;
  exectype: string | null;
}

export interface StatusResult {
  changeSets: ChangeSetStatus[];
  applied: number;
  pending: number;
  drift: number;
  unknown: number;
}

/** Whether a recorded MD5SUM is acceptable for `cs` (current, validCheckSum, ANY, NULL, or an "8:" sum Liquibase upgrades). */
export function isAcceptedChecksum(cs: ChangeSet, recorded: string | null): boolean {
  // Without a computed v8 sum an "8:" row cannot be checked; Liquibase would recompute it, so it is not drift.
  if (recorded !== null && recorded.startsWith('8:') && cs.checksumV8 === undefined) return true;
  return isChecksumAccepted(recorded, cs);
}

/** Pure: the status of every changeset against the recorded rows, plus rows the changelog no longer has. */
export function planStatus(selected: ChangeSet[], all: ChangeSet[], rows: RecordedRow[]): StatusResult {
  // Rows are found as Liquibase 4.28 finds them (recordedRowKey): also under a foreign spelling of the path.
  const recorded = recordedByKey(rows);
  const out: ChangeSetStatus[] = selected.map((cs) => {
    const row = recorded.get(changeSetRowKey(cs));
    const base = {
      id: cs.id,
      author: cs.author,
      filename: cs.filename,
      checksum: cs.checksum,
      expectedChecksum: cs.checksum,
      tag: cs.tag,
    };
    if (!row) return { ...base, state: 'pending', dateexecuted: null, orderexecuted: null, exectype: null };
    // Liquibase 4.28 ShouldRunChangeSetFilter: a runAlways changeset runs on every update, so `status` lists it as
    // not yet deployed each time, and ValidatingVisitor never reports its checksum (nor a runOnChange one's) as drift.
    const ok = isAcceptedChecksum(cs, row.md5sum);
    const state = cs.runAlways ? 'pending' : ok ? 'applied' : cs.runOnChange ? 'pending' : 'drift';
    return {
      ...base,
      checksum: row.md5sum,
      state,
      dateexecuted: row.dateexecuted,
      orderexecuted: row.orderexecuted,
      exectype: row.exectype,
    };
  });
  const known = new Set(all.map(changeSetRowKey));
  for (const r of rows) {
    if (!known.has(recordedRowKey(r)))
      out.push({
        id: r.id,
        author: r.author,
        filename: r.filename,
        state: 'unknown',
        checksum: r.md5sum,
        expectedChecksum: null,
        tag: r.tag ?? null,
        dateexecuted: r.dateexecuted,
        orderexecuted: r.orderexecuted,
        exectype: r.exectype,
      });
  }
  const count = (s: ChangeSetStatus['state']) => out.filter((c) => c.state === s).length;
  return {
    changeSets: out,
    applied: count('applied'),
    pending: count('pending'),
    drift: count('drift'),
    unknown: count('unknown'),
  };
}
