import type { Config } from '../../config/schema.js';
import type { CheckResult } from '../../fileset/types.js';
import type { ProgressListener } from '../../progress.js';
import { checkEnvVars } from './env.js';
import { checkVersionRange, readNpmVersion } from './versions.js';
import { checkTools } from './tools.js';
import { checkDatabase } from './database.js';
import { checkHttpEndpoint } from './http.js';
import { checkLockfile } from './lockfile.js';

export interface RunChecksOptions {
  /** Environment for env-var checks, PATH lookup and npm; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Node version to check; default process.versions.node. */
  nodeVersion?: string;
  onProgress?: ProgressListener;
}

type Job = () => Promise<CheckResult | CheckResult[]>;

async function timed(job: Job): Promise<CheckResult[]> {
  const t0 = performance.now();
  const r = await job();
  const ms = Math.round(performance.now() - t0);
  return (Array.isArray(r) ? r : [r]).map((c) => ({ ...c, ms: c.ms ?? ms }));
}

/** Runs every configured environment check concurrently; each is bounded by its own timeout. */
export async function runChecks(config: Config, opts: RunChecksOptions = {}): Promise<CheckResult[]> {
  const checks = config.build.checks;
  const env = opts.env ?? process.env;
  const engines = config.packageJson.engines;
  const nodeRange = checks.node ?? engines.node;
  const npmRange = checks.npm ?? engines.npm;
  const src = (tool: 'node' | 'npm'): string => (checks[tool] ? `build.checks.${tool}` : `engines.${tool}`);
  const dbUrl = config.database.url;
  const jobs: Job[] = [
    async () => checkEnvVars(checks.env, env),
    async () => checkVersionRange('node', opts.nodeVersion ?? process.versions.node, nodeRange, src('node')),
    async () =>
      checkVersionRange('npm', npmRange ? await readNpmVersion(checks.timeoutMs, env) : null, npmRange, src('npm')),
    () => checkTools(checks.tools, env.PATH),
    async () =>
      !checks.database
        ? { name: 'database', status: 'skip', reason: 'build.checks.database is false' }
        : !dbUrl
          ? { name: 'database', status: 'skip', reason: 'no database.url configured' }
          : checkDatabase(dbUrl, checks.timeoutMs),
    ...checks.http.map((h) => () => checkHttpEndpoint(h)),
    async () =>
      checks.lockfile
        ? checkLockfile(config.rootDir, config.packageJson)
        : { name: 'lockfile', status: 'skip', reason: 'build.checks.lockfile is false' },
  ];
  let done = 0;
  const results = await Promise.all(
    jobs.map(async (job) => {
      const r = await timed(job);
      opts.onProgress?.({
        phase: 'stage',
        step: `checks: ${r.map((c) => c.name).join(', ') || 'none'}`,
        done: ++done,
        total: jobs.length,
      });
      return r;
    }),
  );
  return results.flat();
}

/** `--strict`: every warning becomes a failure (the reason says so). */
export function applyStrict(results: CheckResult[]): CheckResult[] {
  return results.map((r) =>
    r.status === 'warn' ? { ...r, status: 'fail', reason: `${r.reason} (warning is a failure under --strict)` } : r,
  );
}
