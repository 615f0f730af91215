import { symlink, rename, open, readlink, unlink } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SlipwayError } from '../errors.js';
import type { TargetLayout } from './layout.js';

/** Fsyncs a directory so a rename inside it survives a power loss. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Points `current` at releases/<id> atomically: a new relative symlink under a temp name, renamed over `current`
 * (rename(2) replaces the old link in one step, so readers see the old or the new release, never neither).
 */
export async function switchCurrent(layout: TargetLayout, releaseId: string): Promise<{ ms: number }> {
  const t0 = performance.now();
  const tmp = path.join(layout.root, `.current.tmp-${randomBytes(4).toString('hex')}`);
  await symlink(path.join('releases', releaseId), tmp);
  try {
    await rename(tmp, layout.current);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw e;
  }
  await syncDir(layout.root);
  return { ms: performance.now() - t0 };
}

/** Removes `current` (only used to undo a first deploy that failed: there was no live release before). */
export async function clearCurrent(layout: TargetLayout): Promise<void> {
  await unlink(layout.current).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  await syncDir(layout.root);
}

/** The release id `current` points at, or null when there is none. */
export async function readCurrent(layout: TargetLayout): Promise<string | null> {
  try {
    const target = await readlink(layout.current);
    return path.basename(target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EINVAL') return null;
    throw e;
  }
}

/** Errors `currentChanged` made (a refused compare-and-swap of `current`). */
const changed = new WeakSet<Error>();

/**
 * The refusal of a switch whose `expected` release is no longer what `current` names (Target.switchTo): `where`
 * names the target (a host's label, a directory), `found` what `current` holds now (link text, or null).
 */
export function currentChanged(
  where: string,
  found: string | null,
  expected: string | null,
  to: string | null,
): SlipwayError {
  const e = new SlipwayError(
    'E_DEPLOY',
    `${where}: current changed under this run: it points at ${found ?? '(nothing)'}, not ${expected ? `releases/${expected}` : '(nothing)'} as when the run read it; not switched to ${to ?? '(none)'}`,
    {
      hint: 'Another controller or a manual change moved it (see the host journal and .slipway/logs); nothing was overwritten. Find out who, then run the deploy or rollback again.',
    },
  );
  changed.add(e);
  return e;
}

/** Whether `e` is a switch refused because `current` changed (nothing was switched). */
export function isCurrentChanged(e: unknown): boolean {
  return e instanceof Error && changed.has(e);
}
