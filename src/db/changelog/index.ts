/**
 * Changelog parsing entry point: a Liquibase master (XML, YAML, JSON or formatted SQL) and everything it includes
 * into the model of src/db/model.ts. Reads files only; never touches a database.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { SlipwayError } from '../../errors.js';
import type { ChangeSet, Changelog, ParseWarning } from '../model.js';
import { builtinProperties, PropertyScope, type BuiltinPropertyFacts } from '../properties.js';
import { SchemaModel } from '../changes/schema-model.js';
import { isFormattedSql, normalizeLogicalPath } from './formatted-sql.js';
import { resolveInside } from './paths.js';
import { matchesContexts, matchesDbms, matchesLabels, selectChangeSets } from './select.js';
import { loadFile } from './walk.js';
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
}

/** Parses a master changelog and its includes; throws E_CHANGELOG (file, line, hint) on any error, returning nothing partial. */
export async function parseChangelog(opts: ParseChangelogOptions): Promise<Changelog> {
  const rootDir = path.resolve(opts.rootDir);
  const master = normalizeLogicalPath(resolveInside(rootDir, opts.changelog, opts.changelog, 0));
  const dbms = opts.dbms ?? 'postgresql';
  const state: WalkState = {
    rootDir,
    properties: new PropertyScope(
      opts.properties,
      builtinProperties({
        ...opts.historyTables,
        ...(opts.defaultSchema ? { defaultSchema: opts.defaultSchema } : {}),
      }),
    ),
    filter: { contexts: opts.contexts, labels: opts.labels, dbms },
    changeSets: [],
    runOrder: new Map(),
    preconditions: [],
    files: [],
    warnings: [],
    stack: [],
    read: new Set(),
    realDirs: new Map(),
    includeDirs: new Set([path.posix.dirname(master)]),
    keys: new Map(),
    customChanges: opts.customChanges,
    defaultSchema: opts.defaultSchema ?? 'public',
    schemaModel: new SchemaModel(),
    propertyApplies: (p) =>
      matchesContexts(p.context, opts.contexts) && matchesLabels(opts.labels, p.labels) && matchesDbms(p.dbms, dbms),
  };
  await loadFile(state, { path: master, logicalFilePath: null, inheritedContexts: [], inheritedLabels: [] }, null);
  state.changeSets = applyRunOrder(state.changeSets, state.runOrder);
  // Liquibase validates only the changesets its filters let through: two with the same key but disjoint contexts
  // (Fineract's `context="postgresql"` / `context="mysql"` twins) run fine (measured on the corpus).
  checkDuplicates(selectChangeSets(state.changeSets, { ...state.filter }));
  state.warnings.push(...findUnincludedFiles(state));
  for (const [name, file] of state.properties.unknownAtBuild)
    state.warnings.push({
      code: 'W_PROPERTY_UNKNOWN_AT_BUILD',
      file: file ?? master,
      line: 1,
      message: `\${${name}} depends on the server the package runs on (Liquibase reads it from the connection); Slipway leaves it as written. Pass the value with --property ${name}=… to expand it.`,
    });
  if (opts.strict) failOnWarnings(state.warnings);
  return {
    master,
    changeSets: state.changeSets,
    files: state.files,
    warnings: state.warnings,
    properties: state.properties.visible(),
    ...(state.preconditions.length ? { preconditions: state.preconditions } : {}),
  };
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

function checkDuplicates(changeSets: ChangeSet[]): void {
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
