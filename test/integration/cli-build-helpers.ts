// Helpers for the build CLI end-to-end tests: the built binary with SOURCE_DATE_EPOCH fixed.
import { runBin, type CliRun } from '../helpers/cli-bin.js';

export { ROOT, ensureDist, type CliRun } from '../helpers/cli-bin.js';
export const EPOCH = '1700000000';

/** Runs `node bin/slipway.js args…` in cwd with SOURCE_DATE_EPOCH set; `asUser` drops root (setpriv). */
export function runCli(
  args: string[],
  cwd: string,
  opts: { env?: Record<string, string>; asUser?: number } = {},
): CliRun {
  return runBin(args, cwd, { ...opts, env: { SOURCE_DATE_EPOCH: EPOCH, ...opts.env } });
}
