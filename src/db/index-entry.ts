import type { ChangeSet } from './model.js';

/** One line of database/changesets.json: what a deploy needs to know about a changeset without the changelog. */
export interface ChangeSetIndexEntry {
  id: string;
  author: string;
  filename: string;
  checksum: string;
  rollback: string[] | null;
  /** Present when rollback is null and the reason is known: said when a rollback of the changeset is refused. */
  noRollback?: string;
  tag: string | null;
}

/** The index entry for a changeset. */
export function toIndexEntry(cs: ChangeSet): ChangeSetIndexEntry {
  return {
    id: cs.id,
    author: cs.author,
    filename: cs.filename,
    checksum: cs.checksum,
    rollback: cs.rollback,
    ...(cs.rollback === null && cs.noRollback ? { noRollback: cs.noRollback } : {}),
    tag: cs.tag,
  };
}
