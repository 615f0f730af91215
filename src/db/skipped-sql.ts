/**
 * The SQL a changelog holds that Liquibase 4.28 would not run with the caller's contexts, labels and PostgreSQL: the
 * `.sql` files read only for changesets its filters leave out (`<sqlFile>` of a `dbms="oracle"` or unselected-context
 * changeset) and the left-out changesets of formatted SQL changelogs. Compile's syntax check passes over them (with a
 * warning): Liquibase never runs them, so their Oracle or MySQL syntax is no error.
 */
import { matchesDbms } from './changelog/select.js';
import type { ChangeSet } from './model.js';
import { changeSetKey } from './sql-text.js';

export interface SkippedSql {
  /** `.sql` file (relative to the search path) → why it is not run: the first changeset that reads it and its filter. */
  files: Record<string, string>;
  /** Formatted SQL changelog file → 1-based line of each left-out changeset's `--changeset` → its filter. */
  changeSets: Record<string, Record<number, string>>;
}

export const NO_SKIPPED_SQL: SkippedSql = { files: {}, changeSets: {} };

/** Why `cs` is left out, in words for a warning. */
function filterOf(cs: ChangeSet): string {
  if (!matchesDbms(cs.dbms, 'postgresql')) return `dbms ${cs.dbms}`;
  if (cs.ignore) return 'ignore';
  if (cs.contexts) return `context ${cs.contexts}`;
  if (cs.labels) return `labels ${cs.labels}`;
  return 'the contexts or labels of its include';
}

const isSql = (file: string) => file.toLowerCase().endsWith('.sql');

/** What of `all` the filters that chose `selected` leave out, by file (see SkippedSql). */
export function skippedSql(all: readonly ChangeSet[], selected: readonly ChangeSet[]): SkippedSql {
  const chosen = new Set(selected);
  const run = new Set<string>();
  // Consecutive statements mostly share one file: a Set#add per statement hashed the same path again each time
  // (~1 % of generating a 10,000-changeset package, CPU profile).
  let last: string | null = null;
  for (const cs of selected)
    for (const l of cs.statementLocations ?? []) {
      if (l.file === last) continue;
      last = l.file;
      run.add(last);
    }
  const out: SkippedSql = { files: {}, changeSets: {} };
  const note = (file: string, why: string) => {
    if (isSql(file) && !run.has(file) && out.files[file] === undefined) out.files[file] = why;
  };
  for (const cs of all) {
    if (chosen.has(cs)) {
      // A <sqlFile dbms="…"> for another database in a changeset that runs.
      for (const file of cs.notRunSqlFiles ?? []) note(file, `${changeSetKey(cs)} (a change for another dbms)`);
      continue;
    }
    const why = `${changeSetKey(cs)} (left out by ${filterOf(cs)})`;
    if (isSql(cs.location.file)) (out.changeSets[cs.location.file] ??= {})[cs.location.line] = filterOf(cs);
    for (const file of cs.notRunSqlFiles ?? []) note(file, why);
    for (const { file } of cs.statementLocations ?? []) if (file !== cs.location.file) note(file, why);
  }
  return out;
}
