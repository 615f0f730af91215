import { execFile } from 'node:child_process';
import semver from 'semver';
import type { CheckResult } from '../../fileset/types.js';

/** Compares a version with a semver range; `source` says where the range came from. */
export function checkVersionRange(
  tool: string,
  version: string | null,
  range: string | undefined,
  source: string,
): CheckResult {
  if (!range)
    return { name: tool, status: 'skip', reason: `no ${tool} version range (build.checks.${tool} or engines.${tool})` };
  if (!semver.validRange(range))
    return { name: tool, status: 'fail', reason: `${source}: "${range}" is not a valid semver range` };
  if (version === null) return { name: tool, status: 'fail', reason: `${tool} not found; ${source} requires ${range}` };
  const ok = semver.satisfies(version, range, { includePrerelease: true });
  return {
    name: tool,
    status: ok ? 'pass' : 'fail',
    reason: ok
      ? `${tool} ${version} satisfies ${range} (${source})`
      : `${tool} ${version} does not satisfy ${range} (${source}); install a matching ${tool}`,
  };
}

/** Runs `npm --version` without a shell, bounded by timeoutMs; null when npm is missing or hangs. */
export function readNpmVersion(timeoutMs: number, env: NodeJS.ProcessEnv): Promise<string | null> {
  return new Promise((resolve) => {
    execFile('npm', ['--version'], { timeout: timeoutMs, env }, (err, stdout) => {
      const v = String(stdout).trim().split('\n').pop() ?? '';
      resolve(err || !semver.valid(v) ? null : v);
    });
  });
}
