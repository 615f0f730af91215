/** Start and stop a slot's app process. Slots outlive the deploy command, so they run detached in their own group. */
import { spawn } from 'node:child_process';
import { closeSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isGroupAlive, isPidAlive } from '../../pid-alive.js';
import type { CommandUser } from '../command-env.js';
import { openLogSync } from './state.js';

export interface StartSlotOptions {
  command: string;
  cwd: string;
  port: number;
  /** The whole environment of the app (command-env.ts's packageCommandEnv): the deployer's is never merged in. */
  env: Record<string, string>;
  /** Run as this OS user (the target's `runAs`), or null for the deploying user. */
  user?: CommandUser | null;
  logFile: string;
}

export interface StartedSlot {
  pid: number;
  /** Resolves with the exit code/signal if the process ends (a crash during start-up is seen at once). */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `sh -c command` detached with PORT set, output appended to logFile. */
export async function startSlotProcess(opts: StartSlotOptions): Promise<StartedSlot> {
  await mkdir(path.dirname(opts.logFile), { recursive: true });
  const log = openLogSync(opts.logFile);
  const child = spawn('sh', ['-c', opts.command], {
    cwd: opts.cwd,
    detached: true,
    stdio: ['ignore', log, log],
    // Package code: exactly the environment given, never the deployer's (its secrets stay with slipway).
    env: { ...opts.env, PORT: String(opts.port) },
    ...(opts.user ? { uid: opts.user.uid, gid: opts.user.gid } : {}),
  });
  closeSync(log);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', () => resolve({ code: null, signal: null }));
  });
  child.unref();
  if (!child.pid) throw new Error(`could not start "${opts.command}"`);
  return { pid: child.pid, exited };
}

/** Polls until the process (with isGroupAlive: its whole group) is gone; false after timeoutMs. */
export async function waitForExit(pid: number, timeoutMs: number, alive = isPidAlive): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}

export interface StopResult {
  pid: number;
  signal: 'SIGTERM' | 'SIGKILL' | null;
  ms: number;
}

/**
 * SIGTERM to the slot's process group (sh and the app), SIGKILL after timeoutMs; done when every process of the group
 * is gone — not when `sh` is: it dies at once while the app may still be closing, holding the slot's port (the next
 * start there would find it taken). The app should finish in-flight requests on SIGTERM; the proxy has already
 * drained it, so this is belt and braces.
 */
export async function stopSlotProcess(pid: number, timeoutMs: number): Promise<StopResult> {
  const started = Date.now();
  if (!isGroupAlive(pid)) return { pid, signal: null, ms: 0 };
  signalGroup(pid, 'SIGTERM');
  if (await waitForExit(pid, timeoutMs, isGroupAlive)) return { pid, signal: 'SIGTERM', ms: Date.now() - started };
  signalGroup(pid, 'SIGKILL');
  await waitForExit(pid, 2000, isGroupAlive);
  return { pid, signal: 'SIGKILL', ms: Date.now() - started };
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}
