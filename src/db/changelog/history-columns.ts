/**
 * The CONTEXTS and LABELS values Liquibase 4.28 writes into databasechangelog for a changeset
 * (ChangeSet.buildFullContext / buildFullLabels, read from liquibase-core bytecode and checked by
 * test/integration/db-checksum-oracle.test.ts): inherited expressions first, then the changeset's own. Liquibase
 * collects the inherited ones walking from the changeset's own file up to the master (per file: its root element's
 * context, then the include's), so the innermost comes first; our lists are kept outermost first, hence the reverse.
 */
import type { ChangeSet } from '../model.js';

/** CONTEXTS column: each expression as written, wrapped in parentheses when it holds "," or " ", joined with " AND ". */
export function contextsColumn(cs: Pick<ChangeSet, 'contexts' | 'inheritedContexts'>): string | null {
  if (!cs.contexts && !cs.inheritedContexts?.length) return null;
  const parts = [
    ...(cs.inheritedContexts ?? []).toReversed(),
    ...(cs.contexts && cs.contexts.split(',').some((p) => p.trim()) ? [cs.contexts] : []),
  ];
  const out = parts.map((p) => (p.includes(',') || p.includes(' ') ? `(${p})` : p)).join(' AND ');
  return out.trim() || null;
}

/** LABELS column: each label list normalised (trimmed, lower-case, de-duplicated), joined with ",". */
export function labelsColumn(cs: Pick<ChangeSet, 'labels' | 'inheritedLabels'>): string | null {
  if (!cs.labels && !cs.inheritedLabels?.length) return null;
  const lists = [...(cs.inheritedLabels ?? []).toReversed(), ...(cs.labels ? [cs.labels] : [])]
    .map(normaliseLabels)
    .filter((l) => l !== '');
  return lists.join(',').trim() || null;
}

function normaliseLabels(labels: string): string {
  return [
    ...new Set(
      labels
        .split(',')
        .map((l) => l.trim().toLowerCase())
        .filter(Boolean),
    ),
  ].join(',');
}
