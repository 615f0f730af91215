import { statfs } from 'node:fs/promises';

export interface DiskUsage {
  path: string;
  totalBytes: number;
  freeBytes: number;
  /** Used share as `df` computes it: used / (used + available to unprivileged users), in percent. */
  usedPercent: number;
}

/** Disk usage of the filesystem holding `dir`, from statfs(2); null plus the reason when it cannot be read. */
export async function measureDisk(dir: string): Promise<DiskUsage | { error: string }> {
  try {
    const s = await statfs(dir);
    const used = (s.blocks - s.bfree) * s.bsize;
    const avail = s.bavail * s.bsize;
    return {
      path: dir,
      totalBytes: s.blocks * s.bsize,
      freeBytes: avail,
      usedPercent: used + avail > 0 ? Math.round((used / (used + avail)) * 1000) / 10 : 0,
    };
  } catch (e) {
    return { error: `statfs ${dir}: ${(e as Error).message}` };
  }
}

export interface MemoryUsage {
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
}

export function measureMemory(): MemoryUsage {
  const m = process.memoryUsage();
  return { rssBytes: m.rss, heapUsedBytes: m.heapUsed, heapTotalBytes: m.heapTotal, externalBytes: m.external };
}
