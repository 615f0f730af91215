import type { Config } from '../config/schema.js';
import type { CheckResult } from '../fileset/types.js';
import { scanProject, type ScanResult } from '../fileset/scan.js';
import type { ProgressListener } from '../progress.js';
import { applyStrict, runChecks } from './checks/index.js';

export interface StageResult {
  scan: ScanResult;
  checks: CheckResult[];
  ok: boolean;
  ms: number;
}

export interface StageOptions {
  /** Warnings fail (default build.strict). */
  strict?: boolean;
  onProgress?: ProgressListener;
  /** Environment for the checks; default process.env. */
  env?: NodeJS.ProcessEnv;
  /** Extra absolute directories the scan never enters (e.g. the compile cache). */
  skipDirs?: string[];
}

function fmtBytes(n: number): string {
  return n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KB` : `${n} B`;
}

/**
 * Phase 1: scans the project into a FileSet and validates the environment. Scan errors (E_SCAN, E_IO) throw;
 * check failures are reported in `checks` with ok=false.
 */
export async function runStage(config: Config, opts: StageOptions = {}): Promise<StageResult> {
  const t0 = performance.now();
  opts.onProgress?.({ phase: 'stage', step: 'start' });
  const [scan, checks] = await Promise.all([
    (async () => {
      const s0 = performance.now();
      const scan = await scanProject(config, {
        ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
        ...(opts.skipDirs ? { skipDirs: opts.skipDirs } : {}),
      });
      return { scan, ms: Math.round(performance.now() - s0) };
    })(),
    runChecks(config, {
      ...(opts.env ? { env: opts.env } : {}),
      ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
    }),
  ]);
  const packaged = scan.scan.fileSet.files.reduce((s, f) => s + f.size, 0);
  const summary = `${scan.scan.fileSet.files.length} files (${fmtBytes(packaged)}) to package out of ${scan.scan.inventory.totalFiles} (${fmtBytes(scan.scan.inventory.totalBytes)})`;
  const scanCheck: CheckResult = scan.scan.warnings.length
    ? {
        name: 'scan',
        status: 'warn',
        reason: `${summary}; ${scan.scan.warnings.length} warning(s): ${scan.scan.warnings.join('; ')}`,
        ms: scan.ms,
      }
    : { name: 'scan', status: 'pass', reason: summary, ms: scan.ms };
  const all = [scanCheck, ...checks];
  const final = (opts.strict ?? config.build.strict) ? applyStrict(all) : all;
  return {
    scan: scan.scan,
    checks: final,
    ok: !final.some((c) => c.status === 'fail'),
    ms: Math.round(performance.now() - t0),
  };
}
