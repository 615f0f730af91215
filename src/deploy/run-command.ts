import { spawn } from 'node:child_process';
import { open, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { trackRunningCommand, untrackRunningCommand } from './running-commands.js';

export interface RunCommandOptions {
  /** argv; e.g. ['sh', '-c', cmd] or ['node', 'smoke.mjs']. */
  argv: string[];
  cwd: string;
  env: Record<string, string>;
  timeoutMs: number;
  /** Output goes to this file, not to a pipe: a daemon the command starts in the background inherits the file, so
   *  it never dies of SIGPIPE when we stop reading, and we never wait for it to close our pipe. */
  logFile: string;
  /** Aborting stops the command's whole process group (SIGTERM, then SIGKILL after 2 s). */
  signal?: AbortSignal;
  /** false: `env` is the whole environment (package code must not see the deployer's); default true (merged). */
  inheritEnv?: boolean;
  /** Run as this user (needs root); supplementary groups are dropped. */
  user?: { uid: number; gid: number } | null;
}

export interface RunCommandResult {
  code: number | null;
  signal: string | null;
  timedOut: boolean;
  ms: number;
  /** Last lines of the output, for error messages. */
  tail: string[];
}

/** Runs a command in its own process group with a timeout (the whole group is killed when it runs over). */
export async function runCommand(opts: RunCommandOptions): Promise<RunCommandResult> {
  const t0 = performance.now();
  await mkdir(path.dirname(opts.logFile), { recursive: true, mode: 0o700 });
  // Logs may quote commands, hosts and users: owner-only, like the journal.
  const log = await open(opts.logFile, 'a', 0o600);
  let timedOut = false;
  try {
    const child = spawn(opts.argv[0]!, opts.argv.slice(1), {
      cwd: opts.cwd,
      env: opts.inheritEnv === false ? opts.env : { ...process.env, ...opts.env },
      stdio: ['ignore', log.fd, log.fd],
      detached: true,
      ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
    });
    if (child.pid) trackRunningCommand(child.pid);
    const killGroup = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        /* already gone */
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup('SIGKILL');
    }, opts.timeoutMs);
    let hardKill: NodeJS.Timeout | undefined;
    // The child runs in its own process group (detached), so a terminal's Ctrl-C does not reach it: stop it here.
    const onAbort = () => {
      killGroup('SIGTERM');
      hardKill = setTimeout(() => killGroup('SIGKILL'), 2000);
    };
    if (opts.signal?.aborted) onAbort();
    else opts.signal?.addEventListener('abort', onAbort, { once: true });
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => {
      child.on('error', () => resolve([127, null]));
      child.on('exit', (c, s) => resolve([c, s]));
    });
    if (child.pid) untrackRunningCommand(child.pid);
    clearTimeout(timer);
    clearTimeout(hardKill);
    opts.signal?.removeEventListener('abort', onAbort);
    child.unref();
    const text = await readFile(opts.logFile, 'utf8').catch(() => '');
    return { code, signal, timedOut, ms: performance.now() - t0, tail: text.trimEnd().split('\n').slice(-8) };
  } finally {
    await log.close();
  }
}

/** One-line description of a failed command result. */
export function describeFailure(what: string, r: RunCommandResult, timeoutMs: number): string {
  if (r.timedOut) return `${what} timed out after ${timeoutMs} ms`;
  return `${what} exited with ${r.code ?? r.signal}${r.tail.length ? `: ${r.tail[r.tail.length - 1]}` : ''}`;
}
