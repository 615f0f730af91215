import path from 'node:path';
import { NO_SKIPPED_SQL, skippedSql, type SkippedSql } from '../../db/skipped-sql.js';
import type { Config } from '../../config/schema.js';
import { changelogSourceOf } from '../../config/changelog-source.js';
import { SlipwayError } from '../../errors.js';
import { comparePaths, type CheckResult, type FileEntry, type FileSet } from '../../fileset/types.js';
import type { ProgressListener } from '../../progress.js';
import { CompileCache } from './cache.js';
import { runBundleTask } from './bundle.js';
import { runFileTask, type FileKind, type FileTask, type TaskResult } from './file-task.js';
import { runGroovyStep } from './groovy-step.js';
import { formatProblem, sortProblems, type SyntaxProblem } from './position.js';
import { describeBundle, describeKinds, KindStats } from './findings.js';

export interface CompileResult {
  fileSet: FileSet;
  findings: CheckResult[];
  cache: { hits: number; misses: number };
  ok: boolean;
  ms: number;
}

export interface CompileOptions {
  /** Content-addressed cache; compiled outputs live here and FileEntry.absPath points into it. */
  cacheDir: string;
  /** Default build.compile.sourceMaps. */
  sourceMaps?: boolean;
  onProgress?: ProgressListener;
  /** For finding java (JAVA_HOME, PATH); default process.env. */
  env?: NodeJS.ProcessEnv;
  /**
   * Properties for `${name}` in SQL files: those of the changelog the build already parsed (DatabasePackageResult
   * .properties). Absent (`slipway compile` alone): the changelog is read here, once.
   */
  changelogProperties?: Record<string, string>;
  /**
   * The SQL that changelog holds and Liquibase would not run (DatabasePackageResult.skippedSql): not validated. Given
   * together with changelogProperties; absent, it is read with them.
   */
  skippedSql?: SkippedSql;
}

const EXT_KIND: Record<string, FileKind> = {
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.css': 'css',
  '.json': 'json',
  '.sql': 'sql',
};
const CONCURRENCY = 4;

/**
 * What compile does to each file: JS/CSS/JSON of the application component are minified (or only parsed when
 * their minify flag is off); SQL and Groovy files of every component are validated and kept as written.
 */
export function planFileTask(config: Config, entry: FileEntry): FileTask | null {
  const kind = EXT_KIND[path.posix.extname(entry.sourcePath).toLowerCase()];
  const c = config.build.compile;
  if (!kind) return null;
  if (kind === 'sql') return c.sql.validate ? { entry, kind, transform: false } : null;
  if (entry.component !== 'application') return null;
  return { entry, kind, transform: c[kind].minify };
}

async function runPool<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

/**
 * Phase 2: bundles declared entry points (files folded into a bundle are dropped from the package), minifies the
 * rest one by one, validates SQL and Groovy; throws E_SYNTAX listing every syntax error as file:line:col.
 */
export async function compileFileSet(config: Config, fileSet: FileSet, opts: CompileOptions): Promise<CompileResult> {
  const t0 = performance.now();
  const c = config.build.compile;
  const sourceMaps = opts.sourceMaps ?? c.sourceMaps;
  const cache = new CompileCache(path.resolve(opts.cacheDir), c.cache);
  await cache.init();
  const progress = (step: string, done?: number, total?: number): void =>
    opts.onProgress?.({
      phase: 'compile',
      step,
      ...(done !== undefined ? { done } : {}),
      ...(total !== undefined ? { total } : {}),
    });

  const bySource = new Map(fileSet.files.map((f) => [f.sourcePath, f]));
  const entryPoints = c.js.entryPoints.map((e) => path.posix.normalize(e.replace(/\\/g, '/')).replace(/^\.\//, ''));
  const missing = entryPoints.filter((e) => !bySource.has(e));
  if (missing.length) {
    throw new SlipwayError(
      'E_CONFIG',
      `build.compile.js.entryPoints: ${missing.join(', ')} not in the packaged files`,
      {
        field: 'build.compile.js.entryPoints',
        hint: 'Entry points are paths relative to the project root and must belong to a component (usually application).',
      },
    );
  }

  // The JVM runs while JS/CSS/SQL compile; a rejection is handled where it is awaited below.
  const groovy = runGroovyStep(
    config,
    fileSet.files.filter((f) => f.sourcePath.endsWith('.groovy')),
    cache,
    opts.env ?? process.env,
  );
  groovy.catch(() => undefined);
  const problems: SyntaxProblem[] = [];
  const findings: CheckResult[] = [];
  const replaced = new Map<string, FileEntry[]>();
  const dropped = new Set<string>();
  const jsOpts = { minify: c.js.minify, target: c.js.target, sourceMaps };
  for (const ep of entryPoints) {
    progress(`bundle ${ep}`);
    const b0 = performance.now();
    const r = await runBundleTask(fileSet.rootDir, bySource.get(ep)!, jsOpts, cache);
    problems.push(...r.problems);
    const folded = r.inputs.filter((i) => i !== ep && bySource.has(i) && !entryPoints.includes(i) && !dropped.has(i));
    for (const i of folded) dropped.add(i);
    if (!r.problems.length) {
      const main = r.entries[0]!; // a fresh entry, never the caller's
      // The bundle stands for the files folded into it, so sizes before/after still add up.
      main.sourceSize = (main.sourceSize ?? main.size) + folded.reduce((s, i) => s + bySource.get(i)!.size, 0);
      replaced.set(ep, r.entries);
      findings.push(describeBundle(ep, r, folded.length, main, jsOpts, Math.round(performance.now() - b0)));
    }
    for (const w of r.warnings) findings.push({ name: 'js-bundle', status: 'warn', reason: w });
  }

  const facts =
    opts.changelogProperties !== undefined
      ? { properties: opts.changelogProperties, skipped: opts.skippedSql ?? NO_SKIPPED_SQL }
      : await changelogFacts(config);
  const tasks = fileSet.files
    .filter((f) => !dropped.has(f.sourcePath) && !entryPoints.includes(f.sourcePath))
    .map((f) => planFileTask(config, f))
    .filter((t): t is FileTask => t !== null)
    .filter((t) => {
      // What Liquibase never runs is no syntax error (a warning says it was not checked).
      const why = t.kind === 'sql' ? facts.skipped.files[t.entry.sourcePath] : undefined;
      if (why !== undefined)
        findings.push({
          name: 'sql',
          status: 'warn',
          reason: `${t.entry.sourcePath}: not validated: only read for ${why}, which Liquibase does not run`,
        });
      return why === undefined;
    });
  const settings = {
    target: c.js.target,
    sourceMaps,
    properties: facts.properties,
    skippedChangeSets: facts.skipped.changeSets,
  };
  const stats = new KindStats();
  let done = 0;
  const results = await runPool(tasks, CONCURRENCY, async (task): Promise<TaskResult> => {
    const s0 = performance.now();
    const r = await runFileTask(task, settings, cache);
    stats.add(task, r, performance.now() - s0);
    progress(task.entry.sourcePath, ++done, tasks.length);
    return r;
  });
  for (const [i, r] of results.entries()) {
    problems.push(...r.problems);
    if (!r.problems.length) replaced.set(tasks[i]!.entry.sourcePath, r.entries);
    for (const note of r.notes) findings.push({ name: 'sql', status: 'warn', reason: note });
  }
  findings.push(...describeKinds(stats));
  if (!c.sql.validate && fileSet.files.some((f) => f.sourcePath.endsWith('.sql'))) {
    findings.push({
      name: 'sql',
      status: 'skip',
      reason: 'SQL files not validated: build.compile.sql.validate is false',
    });
  }
  progress('groovy');
  const g = await groovy;
  problems.push(...g.problems);
  if (g.finding) findings.push(g.finding);

  if (problems.length) {
    // A module that fails inside a bundle is also compiled on its own (the failed bundle folded nothing): one line.
    const unique = [...new Map(problems.map((p) => [formatProblem(p), p])).values()];
    const sorted = sortProblems(unique);
    const first = sorted[0]!;
    const files = new Set(sorted.map((p) => p.file)).size;
    throw new SlipwayError(
      'E_SYNTAX',
      `${sorted.length} syntax error${sorted.length > 1 ? 's' : ''} in ${files} file${files > 1 ? 's' : ''}; first: ${formatProblem(first)}`,
      {
        file: first.file,
        line: first.line,
        column: first.column,
        details: sorted.map(formatProblem),
        hint: 'Fix every file:line:col listed, then build again.',
      },
    );
  }

  const byPath = new Map<string, FileEntry>();
  for (const f of fileSet.files) if (!dropped.has(f.sourcePath) && !replaced.has(f.sourcePath)) byPath.set(f.path, f);
  // Generated outputs win over a same-named source (a stale app.js.map checked in beside app.js).
  for (const entries of replaced.values()) for (const e of entries) byPath.set(e.path, e);
  const files = [...byPath.values()].sort((a, b) => comparePaths(a.path, b.path));
  return {
    fileSet: { rootDir: fileSet.rootDir, files },
    findings,
    cache: { hits: cache.hits, misses: cache.misses },
    ok: !findings.some((f) => f.status === 'fail'),
    ms: Math.round(performance.now() - t0),
  };
}

/**
 * Properties for the SQL syntax check: those the changelog itself defines (`<property>`, `--property`) under the
 * configured ones, so `${name}` in a formatted-SQL file is checked with the value Liquibase would use; and the SQL
 * the changelog holds that Liquibase would not run with the configured contexts/labels (not checked). A changelog
 * that does not parse is not this phase's error to report (the database phase names it with file:line), so the
 * configured properties are used alone then, and every SQL file is checked.
 */
async function changelogFacts(config: Config): Promise<{ properties: Record<string, string>; skipped: SkippedSql }> {
  const given = config.database.properties;
  if (!config.database.changelog) return { properties: given, skipped: NO_SKIPPED_SQL };
  try {
    const { readChangelog } = await import('../../db/read-changelog.js');
    const { parsed, selected } = await readChangelog(changelogSourceOf(config)!);
    return { properties: { ...parsed.properties, ...given }, skipped: skippedSql(parsed.changeSets, selected) };
  } catch {
    return { properties: given, skipped: NO_SKIPPED_SQL };
  }
}
