/**
 * The changesets of a package as the parse reads them (parseChangelog's onChangeSet): each selected one is checked
 * for shell escapes, gives its index entry (when asked for), and its SQL and its checksum validation row go to
 * temporary files at once, so the package never holds the parsed changelog. What stays in memory is what the head
 * of the package needs (counts, the last changeset) and the rare runOrder "first"/"last" changesets.
 */
import type { ChangeSetSink } from './changelog/index.js';
import type { ChangeSet } from './model.js';
import { toIndexEntry, type ChangeSetIndexEntry } from './index-entry.js';
import { findChangeSetShellEscapes, type LocatedShellEscape } from './package-safety.js';
import { checksumValidationRow } from './render-bookkeeping.js';
import { fileLine, renderChangeSetChunks } from './render.js';
import type { FileLines } from './render-changeset.js';
import type { HistoryTables } from './history-tables.js';
import { collectedSkippedSql, SkippedSqlCollector, type SkippedSql } from './skipped-sql.js';
import { TextSpool } from './text-spool.js';

type Part = 'first' | 'plain' | 'last';
/** No file's text: the parser locates every statement itself (statementLocations) and keeps no file's text. */
const NO_TEXT: FileLines = { get: () => undefined };
/** renderChangeSetChunks' changelog, of which it reads no file. */
const NO_FILES = { files: [] };
const PARTS: readonly Part[] = ['first', 'plain', 'last'];

export interface StreamedChangeSetsOptions {
  tables: HistoryTables;
  /** Look for shell escapes (off with allowShellInSql). */
  checkShell: boolean;
  /** Keep the index entries (database/changesets.json). */
  index: boolean;
}

/**
 * The selected changesets of a streamed parse, in run order: those with runOrder "first" and "last" (rare) kept as
 * they are, the rest already rendered into a temporary file. `close()` removes it (chunks() does when it ends).
 */
export class StreamedChangeSets {
  readonly sink: ChangeSetSink;
  private readonly body = new TextSpool();
  private readonly firsts: ChangeSet[] = [];
  private readonly lasts: ChangeSet[] = [];
  /** The plain changesets' checksum validation rows, joined by ',\n'. */
  private readonly rows = new TextSpool();
  private readonly skipped = {
    first: new SkippedSqlCollector(),
    plain: new SkippedSqlCollector(),
    last: new SkippedSqlCollector(),
  };
  private readonly escapes: Record<Part, LocatedShellEscape[]> = { first: [], plain: [], last: [] };
  private readonly entries: Record<Part, ChangeSetIndexEntry[]> = { first: [], plain: [], last: [] };
  private plainCount = 0;
  private lastPlain: ChangeSet | undefined;
  private bodyFirstFile: string | null = null;
  private bodyLastFile: string | null = null;
  /** The first rendering failure of a plain changeset: thrown where the package reaches it (chunks). */
  private renderError: { error: unknown } | undefined;

  constructor(private readonly opts: StreamedChangeSetsOptions) {
    this.sink = (cs, selected, runOrder) => {
      const part: Part = runOrder ?? 'plain';
      this.skipped[part].add(cs, selected);
      if (!selected) return;
      if (opts.checkShell) {
        const found = findChangeSetShellEscapes([cs]);
        if (found.length > 0) this.escapes[part].push(...found);
      }
      if (opts.index) this.entries[part].push(toIndexEntry(cs));
      if (runOrder === null) return this.addPlain(cs);
      // Rendered at the end, in run order.
      (runOrder === 'first' ? this.firsts : this.lasts).push(cs);
    };
  }

  private addPlain(cs: ChangeSet): void {
    if (this.plainCount > 0) this.rows.append(',\n');
    this.rows.append(checksumValidationRow(cs));
    this.plainCount++;
    this.lastPlain = cs;
    if (this.renderError) return;
    try {
      for (const piece of renderChangeSetChunks(cs, this.bodyLastFile, NO_FILES, NO_TEXT, this.opts.tables))
        this.body.append(piece);
    } catch (error) {
      this.renderError = { error };
    }
    this.bodyFirstFile ??= cs.location.file;
    this.bodyLastFile = cs.location.file;
  }

  /** How many changesets were selected. */
  get count(): number {
    return this.firsts.length + this.plainCount + this.lasts.length;
  }

  /** The last changeset of the run. */
  get head(): ChangeSet | undefined {
    return this.lasts[this.lasts.length - 1] ?? this.lastPlain ?? this.firsts[this.firsts.length - 1];
  }

  /** Shell escapes of the selected changesets, in run order. */
  get shellEscapes(): LocatedShellEscape[] {
    return PARTS.flatMap((p) => this.escapes[p]);
  }

  get skippedSql(): SkippedSql {
    return collectedSkippedSql(PARTS.map((p) => this.skipped[p]));
  }

  /** The index entries in run order (empty unless asked for). */
  get index(): ChangeSetIndexEntry[] {
    return PARTS.flatMap((p) => this.entries[p]);
  }

  /** The checksum validation rows in run order, joined by ',\n', in pieces (renderChecksumValidationRows). */
  *validationRows(): Generator<string> {
    let any = false;
    for (const cs of this.firsts) {
      yield (any ? ',\n' : '') + checksumValidationRow(cs);
      any = true;
    }
    if (this.plainCount > 0) {
      if (any) yield ',\n';
      yield* this.rows.read();
      any = true;
    }
    for (const cs of this.lasts) {
      yield (any ? ',\n' : '') + checksumValidationRow(cs);
      any = true;
    }
  }

  /** The changesets' part of the package, in run order (renderChangeSetChunks of each); removes the file at the end. */
  *chunks(): Generator<string> {
    try {
      let file: string | null = null;
      for (const cs of this.firsts) {
        yield* renderChangeSetChunks(cs, file, NO_FILES, NO_TEXT, this.opts.tables);
        file = cs.location.file;
      }
      if (this.renderError) throw this.renderError.error;
      if (this.plainCount > 0) {
        // The file starts with the FILE line of its first changeset, which a "first" one from that file already gave.
        const from = file !== null && file === this.bodyFirstFile ? Buffer.byteLength(fileLine(file)) : 0;
        yield* this.body.read(from);
        file = this.bodyLastFile;
      }
      for (const cs of this.lasts) {
        yield* renderChangeSetChunks(cs, file, NO_FILES, NO_TEXT, this.opts.tables);
        file = cs.location.file;
      }
    } finally {
      this.close();
    }
  }

  close(): void {
    this.body.close();
    this.rows.close();
  }
}
