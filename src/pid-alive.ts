import { readdirSync, readFileSync } from 'node:fs';

/**
 * True when `pid` names a live process on this host (EPERM means it exists but is someone else's). Only a positive
 * integer names one process: kill(0, 0) and kill(-n, 0) would probe a whole process group and answer "alive".
 */
export function isPidAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie (dead, not yet reaped: containers whose pid 1 does not reap orphans) still answers kill(0).
  try {
    return !/^State:\s*Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

/**
 * True while any process of process group `pgid` lives (zombies aside, as isPidAlive). A group outlives its leader:
 * `sh -c 'node app.mjs'` is two processes (dash does not exec a -c command), and on SIGTERM the shell dies at once
 * while the app may take seconds to close — its port stays bound until the last one is gone.
 */
export function isGroupAlive(pgid: number): boolean {
  if (!Number.isSafeInteger(pgid) || pgid <= 0) return false;
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
  for (const pid of pids) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp …": comm may hold spaces and parentheses, so read after the last ")"
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') return true;
  }
  return false;
}
