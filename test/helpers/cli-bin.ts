// The built CLI binary for end-to-end tests (STYLE.md §13): `node bin/slipway.js`, which runs the esbuild bundle in
// dist/bundle/ (tools/bundle.mjs, what ships), rebuilt when any source under src/ (or the bundle script, a tsconfig
// or package.json) is newer than it, once, even when several test files ask at the same time.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin/slipway.js');
const BUILT = path.join(ROOT, 'dist/bundle/main.js');

/** Newest mtime of every file the bundle compiles (src/ without the Vite app) and of the files that steer it. */
function newestSourceMtime(): { ms: number; file: string } {
  let newest = { ms: 0, file: '' };
  const visit = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (abs !== path.join(ROOT, 'src/web')) visit(abs);
      } else {
        const ms = statSync(abs).mtimeMs;
        if (ms > newest.ms) newest = { ms, file: abs };
      }
    }
  };
  visit(path.join(ROOT, 'src'));
  for (const f of [
    'tsconfig.json',
    'tsconfig.build.json',
    'package.json',
    'tools/bundle.mjs',
    'tools/child-process-on-use.cjs',
  ]) {
    const ms = statSync(path.join(ROOT, f)).mtimeMs;
    if (ms > newest.ms) newest = { ms, file: f };
  }
  return newest;
}

/** Why dist/bundle/ is stale (a file newer than it, or missing), or undefined when it is current. */
export function staleReason(): string | undefined {
  if (!existsSync(BUILT)) return 'dist/bundle/main.js is missing';
  const newest = newestSourceMtime();
  // tools/bundle.mjs empties dist/bundle/ and writes every file, so main.js is as old as the last complete build.
  return newest.ms > statSync(BUILT).mtimeMs
    ? `${path.relative(ROOT, newest.file)} is newer than dist/bundle/`
    : undefined;
}

/**
 * Builds dist/bundle/ (tools/bundle.mjs) when `staleReason` says so. Test files run in parallel workers, so a lock
 * directory makes one of them build while the others wait for it (deadline 5 min, for a loaded 2-core machine).
 */
export async function ensureDist(): Promise<void> {
  if (!staleReason()) return;
  const lock = path.join(tmpdir(), `slipway-dist-${createHash('sha256').update(ROOT).digest('hex').slice(0, 12)}.lock`);
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another worker builds; a lock older than the deadline was left by a killed run.
      if (!staleReason()) return;
      const held = statSync(lock, { throwIfNoEntry: false });
      if (held && Date.now() - held.mtimeMs > 300_000) rmSync(lock, { force: true, recursive: true });
      if (Date.now() > deadline)
        throw new Error(`waited 5 min for another test worker to build dist/bundle/ (lock ${lock})`);
      await sleep(200);
    }
  }
  try {
    const why = staleReason();
    if (!why) return;
    const r = spawnSync(process.execPath, ['tools/bundle.mjs'], { cwd: ROOT, encoding: 'utf8' });
    // Type errors are the typecheck's business (esbuild does not check types); only a failed bundle stops the tests.
    const still = staleReason();
    if (r.status !== 0 || still)
      throw new Error(
        `tools/bundle.mjs did not refresh dist/bundle/ (${still ?? `exit ${r.status}`}; was: ${why}):\n${r.stdout}${r.stderr}`,
      );
  } finally {
    rmSync(lock, { force: true, recursive: true });
  }
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: Record<string, string>;
  /** Drop root (setpriv) so file permissions apply. */
  asUser?: number;
  /** Standard input. */
  input?: string;
}

/** A minimal, predictable environment: no inherited NO_COLOR/FORCE_COLOR/SLIPWAY_* from the developer's shell. */
function baseEnv(extra: Record<string, string> = {}): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/root', ...extra };
}

function command(args: string[], asUser: number | undefined): string[] {
  if (asUser === undefined) return [process.execPath, BIN, ...args];
  return ['setpriv', `--reuid=${asUser}`, `--regid=${asUser}`, '--clear-groups', process.execPath, BIN, ...args];
}

/** Runs `node bin/slipway.js args…` in cwd to completion. */
export function runBin(args: string[], cwd: string, opts: RunOptions = {}): CliRun {
  const cmd = command(args, opts.asUser);
  const r = spawnSync(cmd[0]!, cmd.slice(1), {
    cwd,
    encoding: 'utf8',
    env: baseEnv(opts.env),
    timeout: 180_000,
    ...(opts.input !== undefined ? { input: opts.input } : {}),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Runs `sh -c script` (for pipelines such as `slipway history | head -1`) with `slipway` meaning the built binary. */
export function runShell(script: string, cwd: string, opts: RunOptions = {}): CliRun {
  const r = spawnSync('sh', ['-c', script], {
    cwd,
    encoding: 'utf8',
    env: baseEnv({ SLIPWAY: `${process.execPath} ${BIN}`, ...opts.env }),
    timeout: 180_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts the binary in the background (e.g. `serve`), collecting its output. */
export function startBin(
  args: string[],
  cwd: string,
  opts: RunOptions = {},
): { child: ChildProcess; output: () => { stdout: string; stderr: string }; exit: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: baseEnv(opts.env), stdio: 'pipe' });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (t: string) => void (stdout += t));
  child.stderr.setEncoding('utf8').on('data', (t: string) => void (stderr += t));
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, output: () => ({ stdout, stderr }), exit };
}
