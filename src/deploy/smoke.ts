import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { CommandUser } from './command-env.js';
import { runCommand, describeFailure } from './run-command.js';

export interface SmokeResult {
  ok: boolean;
  tests: { name: string; ok: boolean; ms: number; reason: string | null }[];
}

/** The directory of a release that holds its smoke tests. */
const SMOKE_DIR = 'tests/smoke/';

/** Whether a file name in SMOKE_DIR is a smoke test (the contract: *.mjs run with node, *.sh with bash). */
const isSmokeTestName = (n: string): boolean => n.endsWith('.mjs') || n.endsWith('.sh');

/** Whether a release-relative path (as in the archive) is one of its smoke tests. */
export function isSmokeTestPath(p: string): boolean {
  if (!p.startsWith(SMOKE_DIR)) return false;
  const name = p.slice(SMOKE_DIR.length);
  return !name.includes('/') && isSmokeTestName(name);
}

/** Smoke tests a package ships (contract: tests/smoke/*.mjs run with node, *.sh with bash), sorted by name. */
export async function listSmokeTests(releaseDir: string): Promise<string[]> {
  try {
    const names = await readdir(path.join(releaseDir, SMOKE_DIR));
    return names.filter(isSmokeTestName).sort();
  } catch {
    return [];
  }
}

/** Runs every smoke test with cwd = release dir; stops at the first failure. */
export async function runSmokeTests(opts: {
  releaseDir: string;
  env: Record<string, string>;
  timeoutMs: number;
  logDir: string;
  signal?: AbortSignal;
  /** Run as this user (the target's `runAs`). */
  user?: CommandUser | null;
}): Promise<SmokeResult> {
  const tests: SmokeResult['tests'] = [];
  for (const name of await listSmokeTests(opts.releaseDir)) {
    const file = path.join('tests', 'smoke', name);
    const r = await runCommand({
      argv: name.endsWith('.mjs') ? [process.execPath, file] : ['bash', file],
      cwd: opts.releaseDir,
      // Package code: exactly this environment (command-env.ts), never the deployer's.
      env: opts.env,
      inheritEnv: false,
      user: opts.user ?? null,
      timeoutMs: opts.timeoutMs,
      logFile: path.join(opts.logDir, `smoke-${name}.log`),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    const ok = r.code === 0 && !r.timedOut;
    tests.push({
      name,
      ok,
      ms: Math.round(r.ms),
      reason: ok ? null : describeFailure(`smoke test ${name}`, r, opts.timeoutMs),
    });
    if (!ok) return { ok: false, tests };
  }
  return { ok: true, tests };
}
