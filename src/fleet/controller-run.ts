/**
 * The start of every fleet run that changes something (deploy, rollback, recover --yes): the controller's state
 * directory prepared, a new run id, the controller's lock for this target, the run's log directory — then the hosts
 * connected and locked (openFleet), and at the end everything released in reverse. One sequence, so the three
 * verbs cannot drift apart in how they lock.
 */
import path from 'node:path';
import { newRunId } from '../deploy/deploy.js';
import { LocalTarget } from '../deploy/local-target.js';
import type { LockHandle } from '../deploy/lock.js';
import { openFleet, type FleetConnections, type OpenFleet } from './fleet-connect.js';
import type { FleetTarget } from './fleet-target.js';
import { markRunEnded } from './ssh-target.js';

export interface ControllerRun {
  controller: LocalTarget;
  run: string;
  command: string;
  /** The controller's lock for this target (held until `end`). */
  lock: LockHandle;
  /** `<controller>/.slipway/logs/<run>`: every remote command of the run and its output. */
  logDir: string;
  /** Connects to and locks the hosts for this run (see openFleet); released by `end`. */
  openHosts: (o?: { skipUnreachable?: boolean | undefined; archiveSha256?: string | undefined }) => Promise<OpenFleet>;
  /** Releases the hosts (if opened) and then the controller's lock. */
  end: () => Promise<void>;
}

/** Prepares the controller, names the run and takes the controller's lock (see the module comment). */
export async function startControllerRun(
  fleet: FleetTarget,
  o: {
    command: string;
    wait?: boolean | undefined;
    now?: (() => Date) | undefined;
    /** Connections opened before the run (connectFleet): the hosts are opened over them; closed by `end` either way. */
    connections?: FleetConnections | undefined;
  },
): Promise<ControllerRun> {
  const controller = new LocalTarget(fleet.controllerRoot);
  const run = newRunId((o.now ?? (() => new Date()))());
  let lock: LockHandle;
  try {
    await controller.prepare();
    lock = await controller.lock({
      run,
      command: o.command,
      wait: o.wait === true,
      waitMs: fleet.t.lockWaitMs,
    });
  } catch (e) {
    await o.connections?.close();
    throw e;
  }
  const logDir = path.join(controller.layout.state, 'logs', run);
  let open: OpenFleet | null = null;
  return {
    controller,
    run,
    command: o.command,
    lock,
    logDir,
    openHosts: async (h = {}) => {
      open = await openFleet(fleet, {
        run,
        command: o.command,
        logDir,
        skipUnreachable: h.skipUnreachable,
        wait: o.wait,
        archiveSha256: h.archiveSha256,
        connections: o.connections,
      });
      return open;
    },
    end: async () => {
      try {
        await (open as OpenFleet | null)?.close();
        await o.connections?.close(); // idempotent: openFleet closed them when it ran
      } finally {
        markRunEnded(run); // a host lock it could not give back is stale from now on, in this process too
        await lock.release();
      }
    },
  };
}
