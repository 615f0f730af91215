import path from 'node:path';
import type { Config } from '../config/schema.js';
import { describeConfiguredVerifyTarget } from '../db/verify-target.js';

export type PhaseName = 'clean' | 'stage' | 'compile' | 'database' | 'verify' | 'manifest' | 'package';

/** One phase of a build as planned: what it will do, with which inputs, or why it is skipped. */
export interface PlannedPhase {
  phase: PhaseName;
  action: string;
  inputs: Record<string, unknown>;
  skip?: string;
}

export interface BuildPlan {
  outDir: string;
  /** --strict, else build.strict: warnings fail the stage checks and the changelog parse alike. */
  strict: boolean;
  phases: PlannedPhase[];
}

export interface PlanBuildOptions {
  /** --out, else build.output relative to the config file. */
  outDir?: string;
  /** false: --no-clean. */
  clean?: boolean;
  strict?: boolean;
}

/** Where the build writes: --out, else config.build.output relative to the config file. */
export function resolveOutDir(config: Config, outDir?: string): string {
  return path.resolve(config.configDir, outDir ?? config.build.output);
}

/**
 * The phases a build of this config runs, in order, with their inputs and skip reasons (pure). `build --dry-run`
 * prints it, and build() (pipeline.ts) takes its run/skip decisions from it, so the two cannot disagree.
 */
export function planBuild(config: Config, opts: PlanBuildOptions = {}): BuildPlan {
  const outDir = resolveOutDir(config, opts.outDir);
  const b = config.build;
  const db = config.database;
  const c = b.compile;
  const noDatabase = !db.changelog && db.psqlScripts.length === 0;
  const strict = opts.strict ?? b.strict;
  const phases: PlannedPhase[] = [
    {
      phase: 'clean',
      action: `remove what an interrupted build of ${config.name} left under temporary names in the output directory`,
      inputs: { outDir },
      ...(opts.clean === false ? { skip: 'clean: false' } : {}),
    },
    {
      phase: 'stage',
      action: 'scan the project into components and run the environment checks',
      inputs: {
        rootDir: config.rootDir,
        components: Object.keys(b.components).sort(),
        checks: {
          env: b.checks.env.map((e) => e.name),
          tools: b.checks.tools,
          http: b.checks.http.map((h) => h.name),
          lockfile: b.checks.lockfile,
          database: b.checks.database && !!db.url,
        },
        strict,
      },
    },
    {
      phase: 'compile',
      action: 'bundle entry points, minify JS/CSS/JSON, validate SQL and Groovy',
      inputs: {
        entryPoints: c.js.entryPoints,
        minify: { js: c.js.minify, css: c.css.minify, json: c.json.minify },
        sql: c.sql.validate,
        groovy: c.groovy.validate,
        sourceMaps: c.sourceMaps,
        cache: c.cache,
      },
    },
    {
      phase: 'database',
      action: 'parse the changelog once and render database/package.sql (and each psql script)',
      inputs: { changelog: db.changelog ?? null, psqlScripts: db.psqlScripts, contexts: db.contexts, strict },
      ...(noDatabase ? { skip: 'no database.changelog or database.psqlScripts in the config' } : {}),
    },
    {
      phase: 'verify',
      action: 'apply database/package.sql to a throwaway database in a child process, concurrent with compile',
      inputs: { engine: describeConfiguredVerifyTarget(db.verifyUrl) },
      ...(!db.changelog
        ? { skip: 'no database.changelog in the config' }
        : !db.verify
          ? { skip: 'database.verify is false' }
          : {}),
    },
    {
      phase: 'manifest',
      action: 'write build-manifest.json, deployment-info.json and version-compatibility.json',
      inputs: { version: config.version, environment: config.environment },
    },
    {
      phase: 'package',
      action: 'write the reproducible archive, SHA256SUMS and the files beside it',
      inputs: { outDir, compressionLevel: b.compressionLevel },
    },
  ];
  return { outDir, strict, phases };
}

/** The planned phase `name` (every plan has each phase once). */
export function phaseOf(plan: BuildPlan, name: PhaseName): PlannedPhase {
  return plan.phases.find((p) => p.phase === name)!;
}
