import { readFileSync } from 'node:fs';

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
