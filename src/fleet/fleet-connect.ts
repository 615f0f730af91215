/** Opening a fleet for one run: a connection per host, reachability, the per-host locks; and closing it again. */
import path from 'node:path';
import { SlipwayError } from '../errors.js';
import type { LockHandle } from '../deploy/lock.js';
import type { FleetHost, FleetTarget } from './fleet-target.js';
import { isNotStarted, makeControlDir, removeControlDir, SshSession } from './ssh.js';
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

/** One master connection per host of a fleet, opened before the run that will use them (`connectFleet`). */
export interface FleetConnections {
  controlDir: string;
  /** In the fleet's host order. */
  sessions: SshSession[];
  /** Ends every connection and removes the control directory (idempotent). */
  close: () => Promise<void>;
}

const logName = (host: FleetHost) => `${host.label.replace(/[^A-Za-z0-9._@-]+/g, '_')}.log`;

/**
 * A session per host; with `early`, the ssh handshake starts now with the first `parallel` hosts (the ones openFleet
 * opens first; SshSession.connect) and this returns at once: a deploy calls it before its local package check, so
 * the connections open while the controller reads the archive, instead of after. Only authentication happens on a
 * host then; every command waits for the run (openFleet), and the package check still decides before anything is
 * sent. The log files are named by openFleet (`logDir` is the run's).
 */
export async function connectFleet(fleet: FleetTarget, o: { early?: boolean } = {}): Promise<FleetConnections> {
  const controlDir = await makeControlDir();
  const sessions = fleet.hosts.map(
    (host) => new SshSession(host.spec, fleet.ssh, controlDir, path.join(controlDir, logName(host))),
  );
  if (o.early) for (const s of sessions.slice(0, fleet.t.parallel)) s.connect(fleet.t.connectTimeoutMs + 60_000);
  let closed: Promise<void> | null = null;
  return {
    controlDir,
    sessions,
    close: () =>
      (closed ??= (async () => {
        await Promise.all(sessions.map((s) => s.close()));
        await removeControlDir(controlDir);
      })()),
  };
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
      const session = new SshSession(host.spec, fleet.ssh, controlDir, path.join(logDir, logName(host)));
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
 * Connects to every host (or uses the connections connectFleet opened), refusing the run when one is unreachable
 * unless `skipUnreachable`, and takes every host's lock. One round trip per host, all at once (at most `parallel`): prepare (layout, tools), a lock attempt and the
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
    /** Connections opened earlier (connectFleet): used, and closed with the fleet; else opened here. */
    connections?: FleetConnections | undefined;
  },
): Promise<OpenFleet> {
  const conns = o.connections ?? (await connectFleet(fleet));
  const opTimeoutMs = fleet.t.connectTimeoutMs + 60_000;
  const all: ConnectedHost[] = fleet.hosts.map((host, i) => {
    const session = conns.sessions[i]!;
    session.logTo(path.join(o.logDir, logName(host)));
    return { host, target: new SshTarget(session, host.root, opTimeoutMs, fleet.t.runAs) };
  });
  const locks: LockHandle[] = [];
  const close = async () => {
    await Promise.all(locks.splice(0).map((l) => l.release().catch(() => undefined)));
    await conns.close();
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
    // A host that answered but would not start the command (sshd refused the session or could not fork it) is
    // skipped like an unreachable one, since nothing of the run can happen there either; the words say which it was.
    const why = unreachable.some((u) => isNotStarted(u.error))
      ? 'cannot be reached or would not start a command'
      : 'cannot be reached';
    if (unreachable.length && !o.skipUnreachable)
      throw new SlipwayError(
        'E_SSH',
        `${unreachable.length} of ${all.length} host(s) of ${fleet.name} ${why}; nothing was installed or switched`,
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
