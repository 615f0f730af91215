/**
 * `slipway unlock --target <fleet>` and `slipway releases pin|unpin ID --target <fleet>`: the local rules (admin.ts,
 * pins.ts) applied to the controller's record and to every host.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.js';
import { SlipwayError } from '../errors.js';
import { unlockTarget } from '../deploy/admin.js';
import { isPidAlive } from '../pid-alive.js';
import type { LockOwner } from '../deploy/lock.js';
import { pinRelease } from '../deploy/pins.js';
import { listReleases } from '../deploy/release-store.js';
import { eachHost } from './fleet-connect.js';
import { resolveFleet } from './fleet-target.js';

export interface FleetUnlockResult {
  target: string;
  /** The controller's lock for this target that was removed (null: it was free). */
  controller: LockOwner | null;
  hosts: {
    host: string;
    /** The lock that was there (null owner: held with an unreadable owner file); null when the host was free. */
    held: { owner: LockOwner | null } | null;
    removed: boolean;
    /** Why the host could not be read or unlocked. */
    error: string | null;
  }[];
}

const liveHere = (o: LockOwner | null) => o !== null && o.host === hostname() && isPidAlive(o.pid);
const reason = (r: PromiseRejectedResult) => (r.reason instanceof Error ? r.reason.message : String(r.reason));

/**
 * Removes the fleet's locks — the controller's and every host's — whose holder is on another machine or gone,
 * showing each holder. Refuses, before removing any, while a holder is a live process on this machine (that run is
 * still working). A host that cannot be reached is reported, not guessed at.
 */
export async function unlockFleet(opts: { config: Config; target: string }): Promise<FleetUnlockResult> {
  const fleet = resolveFleet(opts.config, opts.target);
  const logDir = path.join(fleet.controllerRoot, '.slipway', 'logs', 'unlock');
  const seen = await eachHost(fleet, logDir, (h) => h.target.readLock());
  const live = seen.flatMap((r, i) =>
    r.status === 'fulfilled' && liveHere(r.value.owner) ? [`${fleet.hosts[i]!.label}: pid ${r.value.owner!.pid}`] : [],
  );
  if (live.length)
    throw new SlipwayError(
      'E_LOCKED',
      `${live.length} host lock(s) of ${fleet.name} are held by a live process on this machine; nothing was unlocked`,
      {
        details: live,
        hint: 'That run is still working: wait for it, or stop it (Ctrl-C / kill) and it puts the fleet back itself.',
      },
    );
  // The controller's own lock first (unlockTarget refuses a live local holder the same way).
  const controller = (await unlockTarget({ config: opts.config, root: fleet.controllerRoot })).removed;
  const done = await eachHost(fleet, logDir, async (h) => {
    const l = await h.target.readLock();
    if (!l.held) return { held: null, removed: false };
    if (liveHere(l.owner)) throw new Error(`taken meanwhile by a live process here (pid ${l.owner!.pid})`);
    const removed = await h.target.removeLock(l.owner);
    if (!removed) throw new Error('the lock changed hands while unlocking; it was left in place');
    return { held: { owner: l.owner }, removed };
  });
  return {
    target: fleet.name,
    controller,
    hosts: done.map((r, i) => ({
      host: fleet.hosts[i]!.label,
      ...(r.status === 'fulfilled' ? { ...r.value, error: null } : { held: null, removed: false, error: reason(r) }),
    })),
  };
}

/**
 * Pins (or unpins) a release of the fleet so retention never removes it: recorded in the fleet journal and in
 * every host's journal (each host's retention reads its own). Refuses, before writing anything, when a host cannot
 * be reached or does not know the release.
 */
export async function pinFleetRelease(opts: {
  config: Config;
  target: string;
  id: string;
  pinned: boolean;
  actor: string;
}): Promise<{ release: string; pinned: boolean; hosts: string[] }> {
  const fleet = resolveFleet(opts.config, opts.target);
  if (!(await listReleases(fleet.controllerRoot)).some((r) => r.id === opts.id))
    throw new SlipwayError('E_NOT_FOUND', `release ${opts.id} is not in the fleet journal of ${fleet.name}`, {
      hint: `List them with \`slipway releases --target ${fleet.name}\`.`,
    });
  const logDir = path.join(fleet.controllerRoot, '.slipway', 'logs', 'pin');
  const known = await eachHost(fleet, logDir, async (h) =>
    (await h.target.readJournal()).some((e) => e.release === opts.id && e.kind === 'deploy'),
  );
  const problems = known.flatMap((r, i) =>
    r.status === 'rejected'
      ? [`${fleet.hosts[i]!.label}: ${reason(r)}`]
      : r.value
        ? []
        : [`${fleet.hosts[i]!.label}: its journal does not know ${opts.id}`],
  );
  if (problems.length)
    throw new SlipwayError(
      known.some((r) => r.status === 'rejected') ? 'E_SSH' : 'E_NOT_FOUND',
      `cannot ${opts.pinned ? 'pin' : 'unpin'} ${opts.id} on every host of ${fleet.name}; nothing was recorded`,
      {
        details: problems,
      },
    );
  const run = `pin-${Date.now()}`;
  const wrote = await eachHost(fleet, logDir, (h) =>
    h.target
      .journal(run, 'admin')
      .write({ step: 'pin', status: 'ok', release: opts.id, data: { pinned: opts.pinned, actor: opts.actor } }),
  );
  const failed = wrote.flatMap((r, i) => (r.status === 'rejected' ? [`${fleet.hosts[i]!.label}: ${reason(r)}`] : []));
  if (failed.length)
    throw new SlipwayError(
      'E_SSH',
      `the pin of ${opts.id} was not recorded on ${failed.length} host(s); run it again`,
      {
        details: failed,
      },
    );
  await pinRelease(fleet.controllerRoot, opts.id, opts.pinned, opts.actor);
  return { release: opts.id, pinned: opts.pinned, hosts: fleet.hosts.map((h) => h.label) };
}
