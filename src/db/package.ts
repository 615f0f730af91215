import { parsePsqlScript } from './changelog/index.js';
import { readChangelog, type ChangelogInput } from './read-changelog.js';
import { maskUrl } from '../errors.js';
import type { Changelog, ParseWarning } from './model.js';
import { readHistory, selectMissing, selectSince, selectSinceTag } from './delta.js';
import { toIndexEntry, type ChangeSetIndexEntry } from './index-entry.js';
import {
  renderPackageChunks,
  renderPackageEnd,
  renderPackageHead,
  type PackageHeadFacts,
  type RenderedChangelog,
  type RenderPackageOptions,
} from './render.js';
import { StreamedChangeSets } from './package-stream.js';
import {
  DEFAULT_HISTORY_TABLES,
  defaultSchemaOf,
  historyTables,
  type HistoryTableNames,
  type HistoryTables,
} from './history-tables.js';
import { findChangeSetShellEscapes, findScriptShellEscapes, refuseShellEscapes } from './package-safety.js';
import { NO_SKIPPED_SQL, skippedSql, type SkippedSql } from './skipped-sql.js';

export type { ChangeSetIndexEntry } from './index-entry.js';

/** The history table names (HistoryTableNames) are Liquibase's `--database-changelog-table-name`… */
export interface DatabasePackageOptions extends ChangelogInput, HistoryTableNames {
  /** plain = psql \i script inlined */
  mode?: 'liquibase' | 'plain';
  application: string;
  /** The application's version for the header; null when it has none (the header says so). */
  version: string | null;
  /** generated-at comes from sourceDateEpoch */
  sourceDateEpoch: number;
  sinceTag?: string;
  since?: string;
  databaseUrl?: string;
  /** Whether index() is wanted (database/changesets.json); default true. */
  index?: boolean;
}

/** What a package is, besides its SQL: counts, head, warnings, properties, tables. */
export interface DatabasePackageFacts {
  changeSets: number;
  files: number;
  /** last changeset (for version-compatibility.json) */
  head: { id: string; author: string; filename: string } | null;
  warnings: ParseWarning[];
  /** Properties in effect after the whole changelog was read (its definitions under the caller's); plain: the caller's. */
  properties: Record<string, string>;
  /** Names (never values) of the environment variables `${NAME}` took (database.propertiesFromEnv); sorted. */
  propertiesFromEnv: string[];
  /** SQL the changelog holds that Liquibase would not run with these contexts/labels (compile does not check it). */
  skippedSql: SkippedSql;
  /** The history tables the SQL writes (recorded in version-compatibility.json for deploy, rollback and health). */
  tables: HistoryTables;
}

export interface DatabasePackageResult extends DatabasePackageFacts {
  sql: string;
  /** written as database/changesets.json in every build package */
  index: ChangeSetIndexEntry[];
}

/** A parsed and selected package whose SQL is not rendered yet. */
export interface PreparedDatabasePackage extends DatabasePackageFacts {
  /**
   * The package SQL in pieces, rendered as they are asked for (renderPackageChunks): joined, they are
   * DatabasePackageResult.sql. Written as they come, the whole text is never in memory. Call it once: a package
   * streamed from its parse (streamDatabasePackage) reads its temporary files once and closes them.
   */
  chunks(): Generator<string>;
  /** The entries of database/changesets.json. */
  index(): ChangeSetIndexEntry[];
}

// Checked on the sources, before anything is rendered or run: the error names the changelog file:line.
const SHELL_REFUSAL = { field: 'database.allowShellInSql', consequence: 'Nothing was packaged or run.' };

/**
 * Parses the changelog, keeps the changesets for the contexts/labels (and delta), renders the package SQL. SQL
 * that would run a shell is refused (E_UNSAFE_SQL) unless `allowShellInSql`.
 */
export async function buildDatabasePackage(opts: DatabasePackageOptions): Promise<DatabasePackageResult> {
  const { chunks, index, ...facts } = await prepareDatabasePackage(opts);
  return { ...facts, sql: joinChunks(chunks()), index: index() };
}

/** Pieces joined into batches of at least this many UTF-16 units (twice V8's largest regular object, 128 kB). */
const JOIN_BATCH = 1 << 18;

/**
 * The pieces as one string. Joined in batches as they come, each batch big enough that V8 allocates it in its
 * large-object space, which no scavenge copies: the pieces themselves die young. All pieces kept until one final
 * join (Array.from) survived every scavenge of the rendering, each copied twice (semi-space, then old space).
 */
function joinChunks(pieces: Iterable<string>): string {
  const batches: string[] = [];
  let batch: string[] = [];
  let size = 0;
  for (const piece of pieces) {
    batch.push(piece);
    size += piece.length;
    if (size >= JOIN_BATCH) {
      batches.push(batch.join(''));
      batch = [];
      size = 0;
    }
  }
  batches.push(batch.join(''));
  return batches.length === 1 ? batches[0]! : batches.join('');
}

/**
 * buildDatabasePackage up to the rendering: parses, selects and checks (the same errors), and leaves the SQL to
 * `chunks()`, for a caller that streams it to a file instead of holding it as one string.
 */
export async function prepareDatabasePackage(opts: DatabasePackageOptions): Promise<PreparedDatabasePackage> {
  const render = { application: opts.application, version: opts.version, sourceDateEpoch: opts.sourceDateEpoch };
  if (opts.mode === 'plain') {
    const { files, warnings } = await parsePsqlScript({ rootDir: opts.rootDir, script: opts.changelog });
    if (!opts.allowShellInSql) refuseShellEscapes(findScriptShellEscapes(files), SHELL_REFUSAL);
    const changelog: RenderedChangelog = { master: opts.changelog, changeSets: [], files, warnings };
    return {
      chunks: () => renderPackageChunks(changelog, { ...render, mode: 'plain' }),
      index: () => [],
      changeSets: 0,
      files: files.length,
      head: null,
      warnings,
      properties: { ...(opts.properties ?? {}) },
      propertiesFromEnv: [],
      skippedSql: NO_SKIPPED_SQL,
      tables: DEFAULT_HISTORY_TABLES,
    };
  }
  const tables = historyTables(opts);
  const defaultSchema = defaultSchemaOf(opts);
  const input: ChangelogInput = {
    ...opts,
    ...(defaultSchema ? { defaultSchema } : {}),
    historyTables: {
      changelogTable: tables.changelog,
      changelogLockTable: tables.lock,
      ...(opts.changelogSchema ? { changelogSchema: opts.changelogSchema } : {}),
    },
  };
  const renderOpts = { ...render, tables, ...(defaultSchema ? { defaultSchema } : {}) };
  if (opts.sinceTag === undefined && opts.since === undefined && opts.databaseUrl === undefined)
    return streamDatabasePackage(opts, input, renderOpts);
  const { parsed, selected } = await readChangelog(input);
  // Every selected changeset, also those a delta leaves out: the same changelog must not pass only sometimes.
  if (!opts.allowShellInSql) refuseShellEscapes(findChangeSetShellEscapes(selected), SHELL_REFUSAL);
  let changeSets = selected;
  let delta: string | undefined;
  if (opts.sinceTag !== undefined) {
    changeSets = selectSinceTag(changeSets, opts.sinceTag);
    delta = `changesets after tag ${opts.sinceTag}`;
  } else if (opts.since !== undefined) {
    changeSets = selectSince(changeSets, opts.since);
    delta = `changesets after ${opts.since}`;
  } else if (opts.databaseUrl !== undefined) {
    changeSets = selectMissing(changeSets, await readHistory(opts.databaseUrl, tables));
    delta = `changesets missing from ${maskUrl(opts.databaseUrl)}`;
  }
  const changelog: RenderedChangelog = { ...parsed, changeSets };
  return {
    chunks: () => renderPackageChunks(changelog, { ...renderOpts, ...(delta ? { delta } : {}) }),
    index: () => changeSets.map(toIndexEntry),
    ...changelogFacts(parsed, opts, {
      changeSets: changeSets.length,
      head: changeSets[changeSets.length - 1],
      skippedSql: skippedSql(parsed.changeSets, selected),
      tables,
    }),
  };
}

/**
 * The facts of a package read from a changelog, for both ways of preparing it (whole, or streamed from its parse):
 * what the changelog says (files, warnings, properties) and what the selection gave.
 */
function changelogFacts(
  parsed: Changelog,
  opts: DatabasePackageOptions,
  selection: {
    changeSets: number;
    head: { id: string; author: string; filename: string } | null | undefined;
    skippedSql: SkippedSql;
    tables: HistoryTables;
  },
): DatabasePackageFacts {
  const { head } = selection;
  return {
    changeSets: selection.changeSets,
    files: parsed.files.length,
    head: head ? { id: head.id, author: head.author, filename: head.filename } : null,
    warnings: parsed.warnings,
    properties: parsed.properties ?? { ...(opts.properties ?? {}) },
    propertiesFromEnv: parsed.propertiesFromEnv ?? [],
    skippedSql: selection.skippedSql,
    tables: selection.tables,
  };
}

/**
 * prepareDatabasePackage of a whole changelog (no delta), written as it is read: each selected changeset's SQL goes
 * to a temporary file as soon as the parse has it (StreamedChangeSets), so what stays in memory is per changeset what
 * the head of the package and the checks need, not the parsed changelog (10,000 changesets: ~14 MB of it). Everything
 * is checked before chunks() gives the first piece; a parse that fails leaves nothing behind.
 */
async function streamDatabasePackage(
  opts: DatabasePackageOptions,
  input: ChangelogInput,
  renderOpts: RenderPackageOptions,
): Promise<PreparedDatabasePackage> {
  const streamed = new StreamedChangeSets({
    tables: renderOpts.tables ?? DEFAULT_HISTORY_TABLES,
    checkShell: !opts.allowShellInSql,
    index: opts.index !== false,
  });
  try {
    const { parsed } = await readChangelog(input, streamed.sink);
    // Every selected changeset, as the other path checks them: after the parse and its own checks.
    if (!opts.allowShellInSql) refuseShellEscapes(streamed.shellEscapes, SHELL_REFUSAL);
    const head = streamed.head;
    const facts: PackageHeadFacts = {
      master: parsed.master,
      head,
      changeSets: streamed.count,
      files: parsed.files.length,
      propertiesFromEnv: parsed.propertiesFromEnv,
      preconditions: parsed.preconditions,
    };
    return {
      chunks: function* () {
        yield* renderPackageHead(facts, streamed.validationRows(), renderOpts);
        yield* streamed.chunks();
        yield renderPackageEnd(streamed.count);
      },
      index: () => {
        if (opts.index === false)
          throw new Error('prepareDatabasePackage: index() of a package prepared with index: false');
        return streamed.index;
      },
      ...changelogFacts(parsed, opts, {
        changeSets: streamed.count,
        head,
        skippedSql: streamed.skippedSql,
        tables: renderOpts.tables ?? DEFAULT_HISTORY_TABLES,
      }),
    };
  } catch (e) {
    streamed.close();
    throw e;
  }
}
