import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { SlipwayError } from '../errors.js';
import type { CheckResult } from '../fileset/types.js';
import type { BuildManifest } from '../manifest/schema.js';
import { readNpmVersion } from '../manifest/generate.js';
import { packageFileSet, type EarlyDatabase, type PackageResult } from './package.js';
import { buildDbPackage } from './package-db.js';
import { prepareVerify, startVerify, type PreparedVerify, type VerifyRun } from './verify-run.js';
import { resolveVerifyTarget } from '../db/verify-target.js';
import { ioError } from './package-writer.js';
import { resolveBuildTime, type BuildTime } from '../manifest/package-time.js';
import type { ProgressListener } from '../progress.js';
import type { SizeReport } from './size-report.js';
import { runStage, type StageResult } from './stage.js';
import { phaseOf, planBuild, type BuildPlan, type PhaseName } from './plan.js';

export { resolveOutDir, type PhaseName } from './plan.js';

export interface BuildOptions {
  config: Config;
  outDir?: string;
  strict?: boolean;
  sourceDateEpoch?: number;
  onProgress?: ProgressListener;
  /** Remove temporary files an interrupted earlier build of this app left in outDir (default true). */
  clean?: boolean;
  /** Environment for SOURCE_DATE_EPOCH and the stage checks; default process.env. */
  env?: Record<string, string | undefined>;
}

export interface PhaseResult {
  name: PhaseName;
  ms: number;
  status: 'ok' | 'failed' | 'skipped';
  reason?: string;
  /** The verify phase's engine when it verified (resolveVerifyTarget says which and why; `reason` tells). */
  engine?: 'pglite' | 'postgresql';
}

export interface BuildResult {
  /** The plan this build walked (what `build --dry-run` prints). */
  plan: BuildPlan;
  package: { path: string; sha256: string; bytes: number };
  phases: PhaseResult[];
  sizes: SizeReport;
  /** `<package>.report.json` beside the archive: these sizes, for tools and the web UI. */
  report: string;
  manifest: BuildManifest;
  /** Extra facts for renderers (the contract's fields above are the stable part). */
  details: {
    buildTime: BuildTime;
    checks: CheckResult[];
    findings: CheckResult[];
    warnings: string[];
    cache: { hits: number; misses: number } | null;
    packaged: PackageResult;
  };
}

/** The compile phase, loaded on first use (esbuild, lightningcss, libpg_query) with its static type. */
export async function loadCompile(): Promise<typeof import('./compile/index.js')> {
  return import('./compile/index.js');
}

/**
 * Removes what an interrupted earlier build of this app left under temporary names in outDir, and nothing else: a
 * build never deletes an earlier package (its own outputs replace a same-named one by rename only once it succeeded).
 */
export async function cleanOutDir(config: Config, outDir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(outDir);
  } catch {
    return [];
  }
  const leftovers = names.filter((n) => n.startsWith(`.${config.name}-v`) && n.endsWith('.tmp'));
  await Promise.all(leftovers.map((n) => rm(path.join(outDir, n), { force: true })));
  return leftovers;
}

/** Fails fast (before a long stage/compile) when the output directory cannot be created or written. */
export async function checkOutDirWritable(outDir: string): Promise<void> {
  const probe = path.join(outDir, `.slipway-write-probe-${process.pid}.tmp`);
  try {
    await mkdir(outDir, { recursive: true });
    await writeFile(probe, '');
  } catch (error) {
    throw ioError(error, outDir);
  } finally {
    await rm(probe, { force: true }).catch(() => {});
  }
}

function failedChecks(checks: CheckResult[]): string[] {
  return checks.filter((c) => c.status === 'fail').map((c) => `${c.name}: ${c.reason}`);
}

/**
 * Applies the build plan (planBuild): clean → stage → compile → database/verify → manifest → package, each phase
 * timed, run or skipped as the plan says. Throws SlipwayError when a phase fails.
 */
export async function build(opts: BuildOptions): Promise<BuildResult> {
  const plan = planBuild(opts.config, {
    ...(opts.outDir ? { outDir: opts.outDir } : {}),
    ...(opts.clean === false ? { clean: false } : {}),
    ...(opts.strict !== undefined ? { strict: opts.strict } : {}),
  });
  // The verification process starts first: Node, its modules and PGlite (most of a verification's time) load while
  // this process stages, renders the package and compiles; startVerify sends it the package once rendered. Its engine
  // is decided first (database.verifyUrl auto probes the local server: a few milliseconds when one answers).
  const verifies = !phaseOf(plan, 'database').skip && !phaseOf(plan, 'verify').skip && !!opts.config.database.changelog;
  const prepared = verifies
    ? prepareVerify(await resolveVerifyTarget(opts.config.database.verifyUrl, opts.env ? { env: opts.env } : {}))
    : null;
  try {
    return await buildWith(opts, plan, prepared);
  } catch (e) {
    prepared?.cancel();
    throw e;
  }
}

async function buildWith(opts: BuildOptions, plan: BuildPlan, prepared: PreparedVerify | null): Promise<BuildResult> {
  const { config } = opts;
  const outDir = plan.outDir;
  const skipped = (name: PhaseName): string | undefined => phaseOf(plan, name).skip;
  const cacheDir = path.join(outDir, '.cache');
  const phases: PhaseResult[] = [];
  const timed = async <T>(name: PhaseName, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      const v = await fn();
      phases.push({ name, ms: Math.round(performance.now() - t0), status: 'ok' });
      return v;
    } catch (e) {
      phases.push({ name, ms: Math.round(performance.now() - t0), status: 'failed' });
      throw e;
    }
  };
  void readNpmVersion(); // overlaps the ~0.5 s npm spawn with stage and compile
  const buildTime = await resolveBuildTime({
    rootDir: config.rootDir,
    sourceDateEpoch: opts.sourceDateEpoch,
    env: opts.env,
  });

  const cleanSkip = skipped('clean');
  if (cleanSkip) phases.push({ name: 'clean', ms: 0, status: 'skipped', reason: cleanSkip });
  else await timed('clean', () => cleanOutDir(config, outDir));
  await checkOutDirWritable(outDir);

  let stage: StageResult | null = await timed('stage', async () => {
    const r = await runStage(config, {
      strict: plan.strict,
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      ...(opts.env ? { env: opts.env as NodeJS.ProcessEnv } : {}),
      skipDirs: [cacheDir],
    });
    if (!r.ok) {
      throw new SlipwayError('E_CHECK_FAILED', `stage failed: ${failedChecks(r.checks).length} check(s) failed`, {
        details: failedChecks(r.checks),
        hint: 'Fix the failed checks (or run `slipway stage` to see every check).',
      });
    }
    return r;
  });

  const { checks } = stage;
  const { inventory, warnings: scanWarnings } = stage.scan;
  let fileSet = stage.scan.fileSet;
  stage = null; // the staged FileSet is garbage once compile has produced its own (100k entries weigh megabytes)
  let findings: CheckResult[] = [];
  let cache: { hits: number; misses: number } | null = null;
  // The database package and its verification start now, before compile: the verification (seconds with PGlite)
  // runs in the child process started by build() meanwhile, so the build costs max(verify, compile + package), not
  // their sum.
  let early: EarlyDatabase | undefined;
  if (!skipped('database') && config.database.changelog) {
    const dbFrom = performance.now();
    const db = await buildDbPackage(config, config.database.changelog, 'liquibase', buildTime.epoch, plan.strict);
    early = {
      db,
      ms: performance.now() - dbFrom,
      verify: skipped('verify') ? null : startVerify(config, db, cacheDir, prepared),
    };
    early.verify?.result.catch(() => undefined); // awaited (and reported) by the package phase
  }
  try {
    return await compileAndPackage();
  } catch (e) {
    early?.verify?.cancel();
    throw e;
  }

  async function compileAndPackage(): Promise<BuildResult> {
    const compile = await loadCompile();
    const r = await timed('compile', async () => {
      const c = await compile.compileFileSet(config, fileSet, {
        cacheDir,
        sourceMaps: config.build.compile.sourceMaps,
        ...(early ? { changelogProperties: early.db.properties, skippedSql: early.db.skippedSql } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
      if (!c.ok) {
        throw new SlipwayError('E_CHECK_FAILED', `compile failed: ${failedChecks(c.findings).length} finding(s)`, {
          details: failedChecks(c.findings),
        });
      }
      return c;
    });
    fileSet = r.fileSet;
    findings = r.findings;
    cache = r.cache;

    const t0 = performance.now();
    let packaged: PackageResult;
    try {
      packaged = await packageFileSet({
        config,
        fileSet,
        outDir,
        buildTime,
        inventory,
        // SLIPWAY_BUILDER and USER for the provenance come from the same environment as SOURCE_DATE_EPOCH.
        ...(opts.env ? { env: opts.env } : {}),
        blockers: [...failedChecks(checks), ...failedChecks(findings)],
        ...(early ? { early } : {}),
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
      });
    } catch (e) {
      phases.push({ name: 'package', ms: Math.round(performance.now() - t0), status: 'failed' });
      throw e;
    }
    phases.push({
      name: 'database',
      ms: packaged.timings.database,
      ...(skipped('database') ? { status: 'skipped', reason: skipped('database') } : { status: 'ok' }),
    });
    const verified = packaged.manifest.components.database.healthStatus !== null;
    phases.push({
      name: 'verify',
      ms: packaged.timings.verify,
      status: verified
        ? packaged.manifest.components.database.healthStatus === 'HEALTHY'
          ? 'ok'
          : 'failed'
        : 'skipped',
      ...(verified && packaged.verifyRun
        ? { reason: describeVerifyRun(packaged.verifyRun), engine: packaged.verifyRun.verify.engine }
        : { reason: packaged.manifest.components.database.reason ?? 'not verified' }),
    });
    phases.push({ name: 'manifest', ms: packaged.timings.manifest, status: 'ok' });
    phases.push({ name: 'package', ms: packaged.timings.package, status: 'ok' });
    return {
      plan,
      package: { path: packaged.package.path, sha256: packaged.package.sha256, bytes: packaged.package.bytes },
      phases,
      sizes: packaged.sizes,
      report: packaged.reportPath,
      manifest: packaged.manifest,
      details: { buildTime, checks, findings, warnings: [...scanWarnings, ...packaged.warnings], cache, packaged },
    };
  }
}

/**
 * `PGlite in a child process, concurrent with compile; peak RSS 212 MB; database.verifyUrl is not set: …`: the
 * engine, what the child measured, and why that engine (resolveVerifyTarget).
 */
export function describeVerifyRun(run: VerifyRun): string {
  const engine = run.verify.engine === 'pglite' ? 'PGlite' : 'PostgreSQL scratch database';
  if (run.cached) return `cached result of an identical package (${engine}); ${run.target.reason}`;
  const rss =
    run.peakRssBytes !== null
      ? `peak RSS ${Math.round(run.peakRssBytes / 1e6)} MB`
      : `peak RSS not measured: ${run.memoryReason}`;
  return `${engine} in a child process, concurrent with compile; ${rss}; ${run.target.reason}`;
}
