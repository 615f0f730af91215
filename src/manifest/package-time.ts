import { SlipwayError } from '../errors.js';

/** The build's single point in time: entry mtimes, the name's timestamp and buildTimestamp all come from it. */
export interface BuildTime {
  epoch: number;
  source: 'SOURCE_DATE_EPOCH' | 'git' | 'now';
}

/** Parses a SOURCE_DATE_EPOCH value (decimal seconds, as reproducible-builds.org specifies). */
export function parseSourceDateEpoch(value: string | number, origin = 'SOURCE_DATE_EPOCH'): number {
  const n = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 0 || n > 0o77777777777) {
    throw new SlipwayError('E_USAGE', `${origin} must be whole seconds since 1970 (got ${JSON.stringify(value)})`, {
      hint: 'Use e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct).',
    });
  }
  return n;
}

/** SOURCE_DATE_EPOCH (option, then env), else the last git commit's time of `rootDir`, else now. */
export async function resolveBuildTime(opts: {
  rootDir: string;
  sourceDateEpoch?: number | undefined;
  env?: Record<string, string | undefined>;
  now?: () => number;
}): Promise<BuildTime> {
  if (opts.sourceDateEpoch !== undefined)
    return { epoch: parseSourceDateEpoch(opts.sourceDateEpoch), source: 'SOURCE_DATE_EPOCH' };
  const fromEnv = (opts.env ?? process.env).SOURCE_DATE_EPOCH;
  if (fromEnv !== undefined && fromEnv !== '')
    return { epoch: parseSourceDateEpoch(fromEnv), source: 'SOURCE_DATE_EPOCH' };
  try {
    // node:child_process loads only when git is asked (never with SOURCE_DATE_EPOCH set): it costs a command ~3 ms.
    const { execFile } = await import('node:child_process');
    const { promisify } = await import('node:util');
    const { stdout } = await promisify(execFile)('git', ['-C', opts.rootDir, 'log', '-1', '--format=%ct'], {
      timeout: 10_000,
    });
    if (/^\d+$/.test(stdout.trim())) return { epoch: Number(stdout.trim()), source: 'git' };
  } catch {
    // Not a git checkout, or git missing: fall back to the clock (the result says so).
  }
  return { epoch: Math.floor((opts.now ?? Date.now)() / 1000), source: 'now' };
}

/** `YYYYMMDD.HHMMSS` in UTC, as in the seed's package names. */
export function formatBuildStamp(epoch: number): string {
  const iso = new Date(epoch * 1000).toISOString(); // 2025-09-25T14:30:55.000Z
  return `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}.${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
}

/** ISO 8601 without milliseconds: `2025-09-25T14:30:55Z`. */
export function formatIsoSeconds(epoch: number): string {
  return new Date(epoch * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * `<name>-v<version>-<YYYYMMDD.HHMMSS>.tar.gz`, or `….not-ready.tar.gz` for a package its build marked not ready:
 * a failed build must never replace (nor be taken for) a ready package with the same version and build time.
 */
export function packageFileName(name: string, version: string, epoch: number, notReady = false): string {
  return `${name}-v${version}-${formatBuildStamp(epoch)}${notReady ? NOT_READY_SUFFIX : ''}.tar.gz`;
}

/** What a not-ready package's file name carries before `.tar.gz`. */
export const NOT_READY_SUFFIX = '.not-ready';
