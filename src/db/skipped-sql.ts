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
  const collector = new SkippedSqlCollector();
  for (const cs of all) collector.add(cs, chosen.has(cs));
  return collectedSkippedSql([collector]);
}

type SkippedNote = { file: string; why: string } | { file: string; line: number; filter: string };

/**
 * skippedSql one changeset at a time, for a parse that hands them on as it reads them (parseChangelog's onChangeSet):
 * `add` them in run order, or in one collector per part of it, which collectedSkippedSql takes in run order.
 */
export class SkippedSqlCollector {
  /** The files the selected changesets' statements come from (a left-out changeset's file there is run after all). */
  readonly run = new Set<string>();
  readonly notes: SkippedNote[] = [];
  private lastRun: string | null = null;

  add(cs: ChangeSet, chosen: boolean): void {
    if (chosen) {
      // Consecutive statements mostly share one file: a Set#add per statement hashed the same path again each time
      // (~1 % of generating a 10,000-changeset package, CPU profile).
      for (const l of cs.statementLocations ?? []) {
        if (l.file === this.lastRun) continue;
        this.lastRun = l.file;
        this.run.add(l.file);
      }
      // A <sqlFile dbms="…"> for another database in a changeset that runs.
      for (const file of cs.notRunSqlFiles ?? [])
        this.notes.push({ file, why: `${changeSetKey(cs)} (a change for another dbms)` });
      return;
    }
    if (isSql(cs.location.file))
      this.notes.push({ file: cs.location.file, line: cs.location.line, filter: filterOf(cs) });
    let why: string | undefined;
    const note = (file: string) =>
      this.notes.push({ file, why: (why ??= `${changeSetKey(cs)} (left out by ${filterOf(cs)})`) });
    for (const file of cs.notRunSqlFiles ?? []) note(file);
    for (const { file } of cs.statementLocations ?? []) if (file !== cs.location.file) note(file);
  }
}

/** The SkippedSql of collectors that took the changesets in run order, one part each. */
export function collectedSkippedSql(parts: readonly SkippedSqlCollector[]): SkippedSql {
  const run = new Set<string>();
  for (const p of parts) for (const file of p.run) run.add(file);
  const out: SkippedSql = { files: {}, changeSets: {} };
  for (const p of parts)
    for (const n of p.notes) {
      if ('line' in n) (out.changeSets[n.file] ??= {})[n.line] = n.filter;
      else if (isSql(n.file) && !run.has(n.file) && out.files[n.file] === undefined) out.files[n.file] = n.why;
    }
  return out;
}
