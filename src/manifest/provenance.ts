/**
 * Where a package came from, recorded in build-manifest.json (`provenance`): the git commit and whether the tree
 * differed from it, who built it, the SOURCE_DATE_EPOCH and the tool versions. Only what is the same for two builds
 * of the same inputs on the same machine goes in (no timings, no clock, no pid), so the archive stays
 * byte-reproducible; the build's own output directory does not count as a change to the tree.
 */
import { execFile } from 'node:child_process';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { LIQUIBASE_VERSION } from '../db/render-bookkeeping.js';
import { SLIPWAY_VERSION } from '../version.js';
import type { BuildTime } from './package-time.js';
import type { Provenance } from './schema.js';

const run = promisify(execFile);

export interface ProvenanceInput {
  /** The project root (config `root`): the part of the repository that is built. */
  rootDir: string;
  /** The build's output directory (absolute): its packages and caches never make the tree dirty. */
  outDir: string;
  buildTime: BuildTime;
  /** `build.builder` from the config. */
  configuredBuilder?: string | undefined;
  env?: Record<string, string | undefined>;
}

/** First line of a failed git's stderr (or its error code), for the reason. */
function gitFailure(e: unknown): string {
  const err = e as NodeJS.ErrnoException & { stderr?: string };
  if (err.code === 'ENOENT') return 'git is not installed';
  const line = (err.stderr ?? '').trim().split('\n')[0];
  return line ? `git: ${line}` : `git failed: ${err.message}`;
}

async function git(rootDir: string, args: string[]): Promise<string> {
  // --no-optional-locks: reading status must not rewrite .git/index under a concurrent git.
  const { stdout } = await run('git', ['--no-optional-locks', '-C', rootDir, ...args], {
    timeout: 30_000,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/** HEAD and whether rootDir differs from it (tracked changes or untracked files not ignored), else null + reason. */
export async function readGitState(rootDir: string, outDir: string): Promise<Provenance['git']> {
  try {
    const inside = (await git(rootDir, ['rev-parse', '--is-inside-work-tree'])).trim();
    if (inside !== 'true') return { commit: null, dirty: null, reason: `${rootDir} is not inside a git work tree` };
  } catch (e) {
    return { commit: null, dirty: null, reason: `not a git checkout: ${gitFailure(e)}` };
  }
  let commit: string;
  try {
    commit = (await git(rootDir, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}'])).trim();
  } catch {
    return { commit: null, dirty: null, reason: 'the git repository has no commit yet' };
  }
  const pathspec = ['.'];
  const out = path.relative(rootDir, outDir);
  if (out && !out.startsWith('..') && !path.isAbsolute(out))
    pathspec.push(`:(exclude)${out.split(path.sep).join('/')}`);
  try {
    const status = await git(rootDir, ['status', '--porcelain=v1', '--untracked-files=normal', '--', ...pathspec]);
    return { commit, dirty: status.trim() !== '', reason: null };
  } catch (e) {
    return { commit, dirty: null, reason: `cannot tell whether the tree is dirty (${gitFailure(e)})` };
  }
}

/** SLIPWAY_BUILDER, else `build.builder`, else `user@host` of this machine. */
export function resolveBuilder(
  configured: string | undefined,
  env: Record<string, string | undefined>,
): Provenance['builder'] {
  const fromEnv = env.SLIPWAY_BUILDER?.trim();
  if (fromEnv) return { identity: fromEnv, source: 'SLIPWAY_BUILDER' };
  if (configured) return { identity: configured, source: 'build.builder' };
  let user = env.USER ?? env.LOGNAME ?? '';
  try {
    user = userInfo().username;
  } catch {
    // No passwd entry for this uid (some containers): $USER, else the uid.
    user ||= `uid-${process.getuid?.() ?? 'unknown'}`;
  }
  return { identity: `${user}@${hostname()}`, source: 'system' };
}

/** Reads every provenance fact for a build. */
export async function readProvenance(input: ProvenanceInput): Promise<Provenance> {
  const env = input.env ?? process.env;
  const fromClock = input.buildTime.source === 'now';
  return {
    git: await readGitState(input.rootDir, input.outDir),
    builder: resolveBuilder(input.configuredBuilder, env),
    sourceDateEpoch: fromClock ? null : input.buildTime.epoch,
    sourceDateEpochReason: fromClock
      ? 'SOURCE_DATE_EPOCH unset and no git commit time: the build used the clock, so it is not reproducible'
      : null,
    tools: { slipway: SLIPWAY_VERSION, node: process.versions.node, liquibaseCompat: LIQUIBASE_VERSION },
  };
}
