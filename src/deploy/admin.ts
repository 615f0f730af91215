/** `slipway recover` and `slipway unlock`: finishing what an interrupted run left, and freeing a foreign lock. */
import { hostname } from 'node:os';
import { rename, unlink } from 'node:fs/promises';
import type { Config } from '../config/schema.js';
import { maskSecrets, SlipwayError } from '../errors.js';
import { loadContracts } from './contracts.js';
import { DEFAULT_HISTORY_TABLES, historyTable } from '../db/history-tables.js';
import { readChangeSetIndex, readHistoryTables } from './db-rollback.js';
import { changeSetKey, extraChangeSets, readAppliedChangeSets } from './db-state.js';
import { newRunId, targetArgOf } from './deploy.js';
import { withIo } from './io-error.js';
import { LocalTarget } from './local-target.js';
import { isPidAlive } from '../pid-alive.js';
import { readLock, type LockOwner } from './lock.js';
import { describeRecovery, planRecovery, recoverInterruptedRuns } from './recover.js';
import { selectTarget } from './resolve-target.js';
import type { DeployEvent } from './types.js';

export interface RecoverOptions {
  config: Config;
  target?: string | undefined;
  root?: string | undefined;
  /** Complete the recovery (else only show what it would do). */
  yes?: boolean | undefined;
  wait?: boolean | undefined;
  onProgress?: ((e: DeployEvent) => void) | undefined;
}

export interface RecoverResult {
  root: string;
  current: string | null;
  lock: LockOwner | null;
  /** What the three sources of truth say, and what recovery does (or would do) about it. */
  findings: string[];
  applied: boolean;
  /** True when nothing is left to recover (after applying, or because nothing was unfinished). */
  complete: boolean;
}

/** Shows (and with `yes` completes) what interrupted runs left: the same reconciliation every deploy runs first. */
export async function recoverTarget(opts: RecoverOptions): Promise<RecoverResult> {
  const { root, target: t } = selectTarget(opts.config, { target: opts.target, root: opts.root });
  const target = new LocalTarget(root);
  const databaseUrl = t.databaseUrl ?? opts.config.database.url ?? null;
  const targetArg = targetArgOf(opts.target, root);
  const findings: string[] = [];
  const current = await target.readCurrent();
  const lock = await readLock(target.layout.lock);
  findings.push(`current: ${current ?? '(none)'}`);
  if (lock) findings.push(`lock: held by pid ${lock.pid} on ${lock.host} (${lock.command}, since ${lock.startedAt})`);
  if (databaseUrl) {
    const tables = current ? await readHistoryTables(target.releaseDir(current)) : DEFAULT_HISTORY_TABLES;
    let why = '';
    const applied = await readAppliedChangeSets(databaseUrl, tables).catch((e: Error) => {
      why = maskSecrets(e.message);
      return undefined;
    });
    if (applied === undefined) findings.push(`database: unreachable (${historyTable(tables)} not read: ${why})`);
    else {
      const index = current ? await readChangeSetIndex(target.releaseDir(current)).catch(() => null) : null;
      const extras = index ? extraChangeSets(applied ?? [], index) : [];
      findings.push(
        `database: ${applied?.length ?? 0} changeset(s) recorded${index ? `; ${extras.length ? `${extras.length} not in ${current}: ${extras.map(changeSetKey).join(', ')}` : `all known to ${current}`}` : ''}`,
      );
    }
  }
  if (!opts.yes) {
    const read = await target.inspectJournal();
    const plan = planRecovery(read.entries, current, read);
    const todo = describeRecovery(plan);
    findings.push(...(todo.length ? todo : ['journal: no unfinished run, no torn tail: nothing to recover']));
    return { root, current, lock, findings, applied: false, complete: todo.length === 0 };
  }
  await withIo(root, 'prepare the target directory', () => target.prepare());
  const run = newRunId(new Date());
  const held = await target.lock({ run, command: 'recover', wait: opts.wait === true, waitMs: t.lockWaitMs });
  try {
    if (held.recovered)
      findings.push(
        `recovered a stale lock of pid ${held.recovered.pid} (${held.recovered.command}): that process is gone`,
      );
    const r = await recoverInterruptedRuns({
      target,
      t,
      contracts: await loadContracts(),
      byRun: run,
      databaseUrl,
      targetArg,
      onProgress: opts.onProgress,
    });
    findings.push(...(r.messages.length ? r.messages : ['nothing to recover']));
    return { root, current: await target.readCurrent(), lock: null, findings, applied: true, complete: r.complete };
  } finally {
    await held.release();
  }
}

export interface UnlockResult {
  root: string;
  /** The holder whose lock was removed (null: the target was not locked). */
  removed: LockOwner | null;
}

/**
 * Removes a target's lock whose holder cannot be checked from here (another host) or is gone. Refuses while the
 * holder is a live process on this host: that run is still working.
 */
export async function unlockTarget(opts: {
  config: Config;
  target?: string | undefined;
  root?: string | undefined;
}): Promise<UnlockResult> {
  const { root } = selectTarget(opts.config, { target: opts.target, root: opts.root });
  const target = new LocalTarget(root);
  const holder = await readLock(target.layout.lock);
  if (!holder) return { root, removed: null };
  if (holder.host === hostname() && isPidAlive(holder.pid)) {
    throw new SlipwayError(
      'E_LOCKED',
      `the lock is held by a live process on this host: pid ${holder.pid} (${holder.command}, since ${holder.startedAt})`,
      {
        hint: 'That run is still working: wait for it, or stop it (Ctrl-C / kill) and it puts the target back itself.',
      },
    );
  }
  // Renamed away first and re-read: if the lock changed hands meanwhile, put the new one back.
  const aside = `${target.layout.lock}.unlock-${process.pid}`;
  await withIo(target.layout.lock, 'remove the lock', () => rename(target.layout.lock, aside));
  const moved = await readLock(aside);
  if (moved && (moved.run !== holder.run || moved.pid !== holder.pid)) {
    await rename(aside, target.layout.lock).catch(() => undefined);
    throw new SlipwayError(
      'E_LOCKED',
      `the lock changed hands while unlocking (now pid ${moved.pid} on ${moved.host})`,
    );
  }
  await unlink(aside).catch(() => undefined);
  return { root, removed: holder };
}
