/** Opening a fleet for one run: a connection per host, reachability, the per-host locks; and closing it again. */
import path from 'node:path';
import { SlipwayError } from '../errors.js';
import type { LockHandle } from '../deploy/lock.js';
import type { FleetHost, FleetTarget } from './fleet-target.js';
import { makeControlDir, removeControlDir, SshSession } from './ssh.js';
import { SshTarget } from './ssh-target.js';
import { mapSettled } from '../map-limit.js';

export interface ConnectedHost {
  host: FleetHost;
  target: SshTarget;
}

export interface OpenFleet {
  /** Hosts this run works on (reachable ones; all of them unless --skip-unreachable left some out). */
  hosts: ConnectedHost[];
  unreachable: { host: FleetHost; reason: string }[];
  locks: LockHandle[];
  close: () => Promise<void>;
}

/**
 * Runs `fn` on every host of the fleet (at most `parallel` at once) over connections of their own, without taking
 * any lock: for reads and lock-free admin writes. Results in config order, settled (an unreachable host rejects).
 */
export async function eachHost<R>(
  fleet: FleetTarget,
  logDir: string,
  fn: (h: ConnectedHost) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const controlDir = await makeControlDir();
  try {
    return await mapSettled(fleet.hosts, fleet.t.parallel, async (host) => {
      const safe = host.label.replace(/[^A-Za-z0-9._@-]+/g, '_');
      const session = new SshSession(host.spec, fleet.ssh, controlDir, path.join(logDir, `${safe}.log`));
      try {
        return await fn({
          host,
          target: new SshTarget(session, host.root, fleet.t.connectTimeoutMs + 60_000, fleet.t.runAs),
        });
      } finally {
        await session.close();
      }
    });
  } finally {
    await removeControlDir(controlDir);
  }
}

/**
 * Connects to every host, refusing the run when one is unreachable unless `skipUnreachable`, and takes every host's
 * lock. One round trip per host, all at once (at most `parallel`): prepare (layout, tools), a lock attempt and the
 * state under the lock (`SshTarget.open`). When any lock is held, the ones taken are given back and the locks are
 * taken one host at a time in config order (waiting with --wait, removing stale ones), so two controllers contend on
 * the same first lock and neither holds a part of the fleet the other needs. On any failure everything taken is
 * released.
 */
export async function openFleet(
  fleet: FleetTarget,
  o: {
    run: string;
    command: string;
    logDir: string;
    skipUnreachable?: boolean;
    wait?: boolean;
    /** A deploy's archive: `open` also reads its upload state and current's version-compatibility.json. */
    archiveSha256?: string | undefined;
  },
): Promise<OpenFleet> {
  const controlDir = await makeControlDir();
  const opTimeoutMs = fleet.t.connectTimeoutMs + 60_000;
  const all: ConnectedHost[] = fleet.hosts.map((host) => {
    const safe = host.label.replace(/[^A-Za-z0-9._@-]+/g, '_');
    const session = new SshSession(host.spec, fleet.ssh, controlDir, path.join(o.logDir, `${safe}.log`));
    return { host, target: new SshTarget(session, host.root, opTimeoutMs, fleet.t.runAs) };
  });
  const locks: LockHandle[] = [];
  const close = async () => {
    await Promise.all(locks.splice(0).map((l) => l.release().catch(() => undefined)));
    await Promise.all(all.map((h) => h.target.session.close()));
    await removeControlDir(controlDir);
  };
  try {
    const lockOpts = { run: o.run, command: o.command, wait: o.wait === true };
    const probed = await mapSettled(all, fleet.t.parallel, (h) =>
      h.target.open(lockOpts, o.archiveSha256 ? { sha256: o.archiveSha256 } : undefined),
    );
    const opened = probed.map((r) => (r.status === 'fulfilled' ? r.value : null));
    for (const r of opened) if (r?.acquired) locks.push(r.lock);
    const unreachable = all
      .map((h, i) => ({ h, r: probed[i]! }))
      .filter((x) => x.r.status === 'rejected')
      .map((x) => ({
        host: x.h.host,
        reason:
          (x.r as PromiseRejectedResult).reason instanceof Error
            ? (x.r as PromiseRejectedResult).reason.message
            : String((x.r as PromiseRejectedResult).reason),
        error: (x.r as PromiseRejectedResult).reason as unknown,
      }));
    const refused = unreachable.filter((u) => !(u.error instanceof SlipwayError && u.error.code === 'E_SSH'));
    if (refused.length) throw refused[0]!.error; // reachable but broken (missing tools, no permission): never skipped
    if (unreachable.length && !o.skipUnreachable)
      throw new SlipwayError(
        'E_SSH',
        `${unreachable.length} of ${all.length} host(s) of ${fleet.name} cannot be reached; nothing was installed or switched`,
        {
          details: unreachable.map((u) => u.reason),
          hint: 'Fix the connection (or the pinned key in knownHosts), or pass --skip-unreachable to deploy to the others and report these.',
        },
      );
    const reachable = all.map((h, i) => ({ h, r: opened[i] })).filter((x) => x.r !== null);
    if (!reachable.length) throw new SlipwayError('E_SSH', `no host of ${fleet.name} can be reached`);
    // When every lock was taken, each target keeps the state read under it (SshTarget.openedState).
    if (!reachable.every((x) => x.r!.acquired)) {
      // Someone holds a lock: give back what was taken, then queue host by host in config order.
      await Promise.all(locks.splice(0).map((l) => l.release()));
      for (const { h } of reachable) locks.push(await h.target.lock(lockOpts));
    }
    return {
      hosts: reachable.map((x) => x.h),
      unreachable: unreachable.map(({ host, reason }) => ({ host, reason })),
      locks,
      close,
    };
  } catch (e) {
    await close();
    throw e;
  }
}
