import { readFileSync } from 'node:fs';

/** True when `pid` names a live process on this host (EPERM means it exists but is someone else's). */
export function isPidAlive(pid: number): boolean {
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
