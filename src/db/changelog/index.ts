/**
 * Changelog parsing entry point: a Liquibase master (XML, YAML, JSON or formatted SQL) and everything it includes
 * into the model of src/db/model.ts. Reads files only; never touches a database.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SlipwayError } from '../../errors.js';
import type { ChangeSet, Changelog, ParseWarning } from '../model.js';
import { builtinProperties, EnvironmentProperties, PropertyScope, type BuiltinPropertyFacts } from '../properties.js';
import { SchemaModel } from '../changes/schema-model.js';
import { isFormattedSql, normalizeLogicalPath } from './formatted-sql.js';
import { resolveInside } from './paths.js';
import {
  changeSetSelector,
  matchesContexts,
  matchesDbms,
  matchesLabels,
  selectChangeSets,
  type ReusableChangeSet,
} from './select.js';
import { TextSpool } from '../text-spool.js';
import { expressionKey, loadFile } from './walk.js';
import type { WalkState } from './walk-state.js';

export { selectChangeSets, matchesExpression, type SelectFilter } from './select.js';
export { parsePsqlScript } from './psql-include.js';
export { contextsColumn, labelsColumn } from './history-columns.js';

export interface ParseChangelogOptions {
  /** The search path: FILENAME values are relative to it, as Liquibase records them. */
  rootDir: string;
  /** Master file, relative to rootDir (xml | yaml | yml | json | sql). */
  changelog: string;
  /** Caller properties (like `liquibase -Dname=value`); they win over changelog `<property>` definitions. */
  properties?: Record<string, string>;
  /** Runtime contexts, used only to decide which context-limited `<property>` definitions apply. */
  contexts?: string[];
  /** Runtime label expression, for label-limited properties. */
  labels?: string;
  /** Target dbms for dbms-limited properties; default `postgresql`. */
  dbms?: string;
  /** database.customChanges: customChange class name → SQL file (relative to rootDir) run in its place. */
  customChanges?: Record<string, string>;
  /** Liquibase `--default-schema-name`: the schema generated SQL names for objects without schemaName (default public). */
  defaultSchema?: string;
  /** History table names for the `${database.…}` built-in properties (default: Liquibase's). */
  historyTables?: Omit<BuiltinPropertyFacts, 'defaultSchema'>;
  /** `--strict`: every warning (what Liquibase ignores or Slipway doubts) becomes an E_CHANGELOG error. */
  strict?: boolean;
  /**
   * database.propertiesFromEnv / --properties-from-env: `${NAME}` takes environment variables as Liquibase 4.28
   * does (over every other definition, names ignoring case). Off: they are only looked at to warn.
   */
  propertiesFromEnv?: boolean;
  /** The environment to read (default process.env). */
  environment?: Record<string, string | undefined>;
  /**
   * Takes each changeset as soon as it is read, instead of the result's changeSets (then empty): see ChangeSetSink.
   * The parse then keeps of each only what a later reused rollback and the duplicate check read (ReusableChangeSet).
   */
  onChangeSet?: ChangeSetSink;
}

/**
 * Where parseChangelog hands each changeset as it is read, in file order: whether the filters select it, and its
 * runOrder (the run order puts "first" ones before every other and "last" ones after, as applyRunOrder does). The
 * checks of the whole changelog (duplicates, validation, --strict) come after the last one: the sink's caller may
 * commit nothing before parseChangelog returns.
 */
export type ChangeSetSink = (cs: ChangeSet, selected: boolean, runOrder: 'first' | 'last' | null) => void;

/** What the duplicate and validation checks read of a selected changeset. */
type CheckedChangeSet = Pick<ChangeSet, 'id' | 'author' | 'filename' | 'location' | 'invalid'>;

/** Parses a master changelog and its includes; throws E_CHANGELOG (file, line, hint) on any error, returning nothing partial. */
export async function parseChangelog(opts: ParseChangelogOptions): Promise<Changelog> {
  const rootDir = path.resolve(opts.rootDir);
  const master = normalizeLogicalPath(resolveInside(rootDir, opts.changelog, opts.changelog, 0));
  const dbms = opts.dbms ?? 'postgresql';
  const sink = opts.onChangeSet;
  // Streamed (sink): the selected changesets' check records in run order, "first", plain, "last".
  const checked: Record<'first' | 'plain' | 'last', CheckedChangeSet[]> = { first: [], plain: [], last: [] };
  const state: WalkState = {
    rootDir,
    properties: new PropertyScope(
      opts.properties,
      builtinProperties({
        ...opts.historyTables,
        ...(opts.defaultSchema ? { defaultSchema: opts.defaultSchema } : {}),
      }),
      { env: new EnvironmentProperties(opts.environment ?? process.env), use: opts.propertiesFromEnv === true },
    ),
    filter: { contexts: opts.contexts, labels: opts.labels, dbms },
    changeSets: [],
    earlier: [],
    add: (cs) => {
      state.changeSets.push(cs);
      state.earlier.push(cs);
      return cs;
    },
    runOrder: new Map(),
    preconditions: [],
    files: [],
    expressionLines: new Map(),
    warnings: [],
    stack: [],
    read: new Set(),
    realDirs: new Map(),
    includeDirs: new Set([path.posix.dirname(master)]),
    customChanges: opts.customChanges,
    defaultSchema: opts.defaultSchema ?? 'public',
    schemaModel: new SchemaModel(),
    propertyApplies: (p) =>
      matchesContexts(p.context, opts.contexts) && matchesLabels(opts.labels, p.labels) && matchesDbms(p.dbms, dbms),
  };
  // Streamed: the statements of every changeset read so far, which only a reused rollback reads back (SpooledChangeSet).
  const spool = sink ? new TextSpool() : null;
  if (sink) {
    const isSelected = changeSetSelector({ ...state.filter });
    state.add = (cs) => {
      const order = state.runOrder.get(cs) ?? null;
      state.runOrder.delete(cs);
      const kept = new SpooledChangeSet(cs, spool!);
      const skipped = state.skippedBodies?.get(cs);
      if (skipped) {
        state.skippedBodies!.delete(cs);
        state.skippedBodies!.set(kept, skipped);
      }
      state.earlier.push(kept);
      const selected = isSelected(cs);
      if (selected) checked[order ?? 'plain'].push(kept);
      sink(cs, selected, order);
      return kept;
    };
  }
  try {
    await loadFile(state, { path: master, logicalFilePath: null, inheritedContexts: [], inheritedLabels: [] }, null);
  } finally {
    spool?.close();
  }
  state.changeSets = applyRunOrder(state.changeSets, state.runOrder);
  // Liquibase validates only the changesets its filters let through: two with the same key but disjoint contexts
  // (Fineract's `context="postgresql"` / `context="mysql"` twins) run fine (measured on the corpus).
  const selected: CheckedChangeSet[] = sink
    ? [...checked.first, ...checked.plain, ...checked.last]
    : selectChangeSets(state.changeSets, { ...state.filter });
  checkDuplicates(selected);
  checkValid(selected);
  state.warnings.push(...findUnincludedFiles(state));
  for (const [name, file] of state.properties.unknownAtBuild)
    state.warnings.push({
      code: 'W_PROPERTY_UNKNOWN_AT_BUILD',
      // Where `${name}` is first written in the file that asked (its line 1 when not there literally).
      ...(file === null ? { file: master, line: 1 } : locateExpression(state, name, file)),
      message: `\${${name}} depends on the server the package runs on (Liquibase reads it from the connection); Slipway leaves it as written. Pass the value with --property ${name}=… to expand it.`,
    });
  state.warnings.push(...outsideLookupWarnings(state));
  if (opts.strict) failOnWarnings(state.warnings);
  const fromEnv = [...state.properties.outside.taken.keys()].sort();
  return {
    master,
    changeSets: state.changeSets,
    files: state.files,
    warnings: state.warnings,
    properties: state.properties.visible(),
    ...(fromEnv.length ? { propertiesFromEnv: fromEnv } : {}),
    ...(state.preconditions.length ? { preconditions: state.preconditions } : {}),
  };
}

/**
 * What a streamed parse keeps of a changeset read (state.earlier, and the duplicate and validation checks): its key
 * and location, with its statements in a temporary file (read back, as a fresh array, only when a reused rollback
 * names it: rare). Held in memory they were most of what a streamed parse kept: for bench/db.bench.mjs's
 * 10,000-changeset changelog ~5 MB of its ~10 MB (each changeset's SQL, its statements' slices of it and their
 * arrays; heap snapshot at its last changeset), and 3.5 MB of `db package`'s peak RSS (GNU time, Node 20).
 */
class SpooledChangeSet implements CheckedChangeSet, ReusableChangeSet {
  readonly id: string;
  readonly author: string;
  readonly filename: string;
  readonly dbms: string | null;
  readonly location: ChangeSet['location'];
  readonly invalid: ChangeSet['invalid'];
  private readonly from: number;
  private readonly to: number;
  private readonly count: number;

  constructor(
    cs: ChangeSet,
    private readonly spool: TextSpool,
  ) {
    this.id = cs.id;
    this.author = cs.author;
    this.filename = cs.filename;
    this.dbms = cs.dbms;
    this.location = cs.location;
    this.invalid = cs.invalid;
    // The statements as they are, after a line of their lengths when there are several (not JSON: its escapes cost
    // 1 % of a package's instructions on the corpus registry unit, callgrind).
    const s = cs.statements;
    this.count = s.length;
    this.from = spool.bytes;
    if (s.length === 1) spool.append(s[0]!);
    else if (s.length > 1) {
      spool.append(`${s.map((x) => x.length).join(',')}\n`);
      for (const x of s) spool.append(x);
    }
    this.to = spool.bytes;
  }

  get statements(): string[] {
    if (this.count === 0) return [];
    const text = this.spool.slice(this.from, this.to);
    if (this.count === 1) return [text];
    const nl = text.indexOf('\n');
    const out: string[] = [];
    let at = nl + 1;
    for (const n of text.slice(0, nl).split(',')) out.push(text.slice(at, (at += Number(n))));
    return out;
  }
}

/**
 * The changesets in the order Liquibase 4.28 runs them: runOrder="first" ones before the rest and runOrder="last" ones
 * after it, each group in file order. DatabaseChangeLog.addChangeSet puts a "first" after the firsts, a plain one
 * before the lasts and a "last" at the end, in every file and again as an include adds its file's list to the
 * includer's, which comes to this stable partition of the whole tree (measured: an included file's first and last
 * go before and after the master's own changesets).
 */
function applyRunOrder(changeSets: ChangeSet[], runOrder: Map<ChangeSet, 'first' | 'last'>): ChangeSet[] {
  if (runOrder.size === 0) return changeSets;
  const first = changeSets.filter((c) => runOrder.get(c) === 'first');
  const last = changeSets.filter((c) => runOrder.get(c) === 'last');
  return [...first, ...changeSets.filter((c) => !runOrder.has(c)), ...last];
}

/**
 * Warnings for `${NAME}` that Liquibase would answer from outside the changelog: an environment variable (when not
 * opted in, or when it overrides a definition) or a JVM system property. They name the variable, never its value.
 */
function outsideLookupWarnings(state: WalkState): ParseWarning[] {
  const out: ParseWarning[] = [];
  const { notTaken, overriding, jvm } = state.properties.outside;
  const at = (name: string, file: string | null) => locateExpression(state, name, file);
  for (const [name, file] of notTaken)
    out.push({
      code: 'W_PROPERTY_IN_ENVIRONMENT',
      ...at(name, file),
      message: `\${${name}} stays as written, but an environment variable of that name is set and Liquibase 4.28 would substitute it (ignoring case, over any other definition). Set database.propertiesFromEnv: true or pass --properties-from-env to do the same, or --property ${name}=… to give the value.`,
    });
  for (const [name, file] of overriding)
    out.push({
      code: 'W_PROPERTY_ENV_OVERRIDES',
      ...at(name, file),
      message: `the environment variable ${name} overrides the property of the same name defined in the changelog, the config or --property (Liquibase 4.28 puts environment variables first)`,
    });
  for (const [name, file] of jvm)
    out.push({
      code: 'W_PROPERTY_JVM',
      ...at(name, file),
      message: `\${${name}} stays as written; Liquibase 4.28 substitutes the Java system property of that name from the JVM that runs it. Pass --property ${name}=… to give the value.`,
    });
  return out;
}

/**
 * The file and line where `${name}` is first written in `file` (noted when that file's parse ended: expressionLines);
 * the master's line 1 when it is not there literally (built by a nested expression, or in a file read through it).
 */
function locateExpression(state: WalkState, name: string, file: string | null): { file: string; line: number } {
  if (file === null) return { file: state.files[0]?.path ?? '', line: 1 };
  return { file, line: state.expressionLines.get(expressionKey(file, name)) ?? 1 };
}

/** The tolerance rule's other half: under --strict, warnings are errors (all of them listed, the first located). */
function failOnWarnings(warnings: ParseWarning[]): void {
  const first = warnings[0];
  if (!first) return;
  throw new SlipwayError('E_CHANGELOG', `${warnings.length} changelog warning(s), and --strict makes them errors`, {
    file: first.file,
    line: first.line,
    details: warnings.map((w) => `${w.file}:${w.line}: ${w.code}: ${w.message}`),
    hint: 'fix each listed place, or run without --strict (Liquibase accepts these)',
  });
}

/** Liquibase's validation failures ("… is not allowed on postgresql") of the changesets it would run. */
function checkValid(changeSets: readonly CheckedChangeSet[]): void {
  const bad = changeSets.find((cs) => cs.invalid);
  if (!bad?.invalid) return;
  const { message, hint, field, file, line } = bad.invalid;
  throw new SlipwayError('E_CHANGELOG', message, { file, line, hint, ...(field ? { field } : {}) });
}

function checkDuplicates(changeSets: readonly CheckedChangeSet[]): void {
  const seen = new Map<string, { file: string; line: number }>();
  for (const cs of changeSets) {
    const key = `${cs.id}::${cs.author}::${cs.filename}`;
    const first = seen.get(key);
    if (first) {
      throw new SlipwayError('E_CHANGELOG', `Duplicate changeset ${cs.filename}::${cs.id}::${cs.author}`, {
        file: cs.location.file,
        line: cs.location.line,
        hint: `First defined at ${first.file}:${first.line}; give one of them another id (or check the file is not included twice).`,
      });
    }
    seen.set(key, cs.location);
  }
}

/**
 * Formatted SQL changelogs next to included files that nothing reads: usually a forgotten include. Plain `.sql` files
 * are not changelogs (scripts, files another database's `<sqlFile dbms=…>` branch reads), so they are left alone.
 */
function findUnincludedFiles(state: WalkState): ParseWarning[] {
  const out: ParseWarning[] = [];
  for (const dir of [...state.includeDirs].sort()) {
    let names: string[];
    try {
      names = readdirSync(path.join(state.rootDir, dir));
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      const rel = dir === '.' ? name : `${dir}/${name}`;
      if (
        name.toLowerCase().endsWith('.sql') &&
        !state.read.has(rel) &&
        isFormattedSqlFile(path.join(state.rootDir, rel))
      ) {
        out.push({
          code: 'W_NOT_INCLUDED',
          file: rel,
          line: 1,
          message: `${rel} is a formatted SQL changelog next to included changelogs, but the master never includes it.`,
        });
      }
    }
  }
  return out;
}

/** Whether a file starts with Liquibase's formatted SQL header (the test walk.ts applies to an included .sql file). */
function isFormattedSqlFile(abs: string): boolean {
  try {
    return isFormattedSql(readFileSync(abs, 'utf8').slice(0, 4096));
  } catch {
    return false;
  }
}
