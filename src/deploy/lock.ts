import { link, writeFile, unlink, readFile, rename, mkdir } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { SlipwayError } from '../errors.js';
import { isPidAlive } from '../pid-alive.js';
import type { LockHolder } from './release-record.js';
import { toIoError } from './io-error.js';

/** The owner record a lock carries (shared with the web UI, hence defined in the import-free release-record.ts). */
export type LockOwner = LockHolder;

export interface LockHandle {
  owner: LockOwner;
  /** Set when a stale lock of a dead process was removed to get this one. */
  recovered: LockOwner | null;
  release: () => Promise<void>;
}

export interface AcquireLockOptions {
  lockPath: string;
  run: string;
  command: string;
  wait?: boolean;
  waitMs?: number;
  onWait?: (holder: LockOwner | null) => void;
  /** What the lock guards, for the E_LOCKED message (default "target"). */
  what?: string;
  /** The E_LOCKED hint (default: the deploy's advice). */
  hint?: string;
}

async function readOwner(file: string): Promise<LockOwner | null> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as LockOwner;
  } catch {
    return null;
  }
}

/** A lock is stale when its owner ran on this host and that pid is gone. Locks from other hosts are never guessed at. */
export function isStale(owner: LockOwner | null, host = hostname()): boolean {
  return owner !== null && owner.host === host && !isPidAlive(owner.pid);
}

/**
 * Takes the target's lock: the owner record is written to a private temp file and hard-linked to `lock`,
 * which fails atomically with EEXIST when held, so the lock never exists without its owner record.
 */
export async function acquireLock(opts: AcquireLockOptions): Promise<LockHandle> {
  const owner: LockOwner = {
    host: hostname(),
    pid: process.pid,
    startedAt: new Date().toISOString(),
    run: opts.run,
    command: opts.command,
  };
  await mkdir(path.dirname(opts.lockPath), { recursive: true });
  const tmp = `${opts.lockPath}.${process.pid}-${randomBytes(4).toString('hex')}`;
  await writeFile(tmp, JSON.stringify(owner) + '\n');
  const deadline = Date.now() + (opts.waitMs ?? 600_000);
  let recovered: LockOwner | null = null;
  let delay = 50;
  try {
    for (;;) {
      try {
        await link(tmp, opts.lockPath);
        return { owner, recovered, release: () => releaseLock(opts.lockPath, owner) };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = await readOwner(opts.lockPath);
      if (holder && isStale(holder)) {
        const gone = await removeStaleLock(opts.lockPath, holder);
        if (gone) recovered = gone;
        continue;
      }
      if (!opts.wait || Date.now() >= deadline) {
        throw new SlipwayError('E_LOCKED', lockedMessage(opts.lockPath, holder, opts.wait === true, opts.what), {
          hint:
            opts.hint ??
            (opts.wait
              ? 'The other deploy is still running; wait for it or raise deploy.targets.<name>.lockWaitMs.'
              : 'Another deploy or rollback holds this target. Pass --wait to queue behind it.'),
        });
      }
      opts.onWait?.(holder);
      await new Promise((r) => setTimeout(r, Math.min(delay, Math.max(0, deadline - Date.now()))));
      delay = Math.min(delay * 2, 2000);
    }
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
}

function lockedMessage(lockPath: string, holder: LockOwner | null, waited: boolean, what = 'target'): string {
  const who = holder
    ? `pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.startedAt})`
    : 'an unknown owner';
  return `${waited ? 'gave up waiting: ' : ''}${what} is locked by ${who}: ${lockPath}`;
}

/**
 * Moves a stale lock aside, then re-checks what was moved: if two processes race to recover, the loser may have
 * moved the winner's fresh lock, which is then put back.
 */
async function removeStaleLock(lockPath: string, holder: LockOwner): Promise<LockOwner | null> {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await rename(lockPath, aside);
  } catch (e) {
    // Gone: another run recovered it first. Any other refusal would repeat on every try (the caller would spin).
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw toIoError(
      e,
      lockPath,
      `move aside the stale lock of pid ${holder.pid} on ${holder.host} (no longer running)`,
    );
  }
  const moved = await readOwner(aside);
  if (moved && !isStale(moved)) {
    await link(aside, lockPath).catch(() => undefined);
    await unlink(aside).catch(() => undefined);
    return null;
  }
  await unlink(aside).catch(() => undefined);
  return moved;
}

/** Releases the lock if this process still owns it. */
export async function releaseLock(lockPath: string, owner: LockOwner): Promise<void> {
  const now = await readOwner(lockPath);
  if (now && now.pid === owner.pid && now.run === owner.run && now.host === owner.host)
    await unlink(lockPath).catch(() => undefined);
}

/** Reads the current lock holder, if any (for `slipway releases` and messages). */
export async function readLock(lockPath: string): Promise<LockOwner | null> {
  return readOwner(lockPath);
}
