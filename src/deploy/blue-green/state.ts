import { fchmodSync, openSync } from 'node:fs';
import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { SlipwayError } from '../../errors.js';
import type { Slot } from '../../config/sections/blue-green.js';

const slotStateSchema = z.object({
  releaseId: z.string(),
  releaseDir: z.string(),
  port: z.number().int(),
  pid: z.number().int().nullable(),
  startedAt: z.string(),
  status: z.enum(['starting', 'live', 'idle', 'stopped', 'failed']),
});

export const blueGreenStateSchema = z.object({
  version: z.literal(1),
  live: z.enum(['blue', 'green']).nullable(),
  /** Bumped on every switch; the proxy ignores anything older than what it already serves. */
  generation: z.number().int().min(0),
  slots: z.object({ blue: slotStateSchema.nullable(), green: slotStateSchema.nullable() }),
  updatedAt: z.string(),
});

export type SlotState = z.infer<typeof slotStateSchema>;
export type BlueGreenState = z.infer<typeof blueGreenStateSchema>;

export const EMPTY_STATE: BlueGreenState = {
  version: 1,
  live: null,
  generation: 0,
  slots: { blue: null, green: null },
  updatedAt: new Date(0).toISOString(),
};

/** Where blue-green keeps its files under a target root. */
export function blueGreenPaths(targetRoot: string) {
  const dir = path.join(targetRoot, '.slipway', 'blue-green');
  return {
    dir,
    state: path.join(dir, 'state.json'),
    proxyInfo: path.join(dir, 'proxy.json'),
    token: path.join(dir, 'proxy-token'),
    proxyConfig: path.join(dir, 'proxy-config.json'),
    log: (name: Slot | 'proxy') => path.join(dir, `${name}.log`),
    slotLink: (slot: Slot) => path.join(targetRoot, 'slots', slot),
  };
}

/** Reads the state file; a missing file is the empty state, a corrupt one an E_DEPLOY error naming it. */
export async function readBlueGreenState(file: string): Promise<BlueGreenState> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return structuredClone(EMPTY_STATE);
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new SlipwayError('E_DEPLOY', `blue-green state ${file} is not JSON`, {
      file,
      hint: 'Restore it from the journal or delete it and deploy again.',
    });
  }
  const r = blueGreenStateSchema.safeParse(parsed);
  if (!r.success) {
    throw new SlipwayError('E_DEPLOY', `blue-green state ${file} is invalid`, {
      file,
      details: r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`),
    });
  }
  return r.data;
}

/** Atomic replace: write a temp file, fsync, rename over, fsync the directory; readers see old or new, never half. */
export async function writeBlueGreenState(file: string, state: BlueGreenState): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify({ ...state, updatedAt: new Date().toISOString() }, null, 2)}\n`);
}

export async function writeFileAtomic(file: string, text: string, mode = 0o644): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode });
  const fh = await open(tmp, 'r');
  await fh.sync();
  await fh.close();
  await rename(tmp, file);
  const dir = await open(path.dirname(file), 'r');
  await dir.sync().catch(() => undefined); // some filesystems refuse fsync on a directory
  await dir.close();
}

/**
 * Opens a proxy or slot log for appending, owner-only (0600) like the journal and the command logs: the apps and
 * the proxy may print URLs, hosts and users. A log an older version created 0644 is tightened too.
 */
export function openLogSync(file: string): number {
  const fd = openSync(file, 'a', 0o600);
  fchmodSync(fd, 0o600);
  return fd;
}
