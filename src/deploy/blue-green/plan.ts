import type { BlueGreenConfig, Slot } from '../../config/sections/blue-green.js';
import type { BlueGreenState } from './state.js';

export interface BlueGreenRelease {
  id: string;
  /** Absolute directory of the extracted release (releases/<id>). */
  dir: string;
}

export interface BlueGreenPlan {
  /** Slot that receives the new release: the one not live (blue when none is). */
  slot: Slot;
  port: number;
  release: BlueGreenRelease;
  healthUrl: string;
  /** The live slot traffic moves away from; null on the first deploy. */
  previous: { slot: Slot; port: number; pid: number | null; releaseId: string } | null;
  /** A process recorded in the target slot (left from an aborted switch) to stop before starting. */
  stale: { pid: number } | null;
  generation: number;
  steps: string[];
}

/** Decides which slot gets the release and what happens, from the state alone. Pure. */
export function planBlueGreen(
  state: BlueGreenState,
  release: BlueGreenRelease,
  config: BlueGreenConfig,
): BlueGreenPlan {
  const slot: Slot = state.live === 'blue' ? 'green' : 'blue';
  const port = config.slots[slot].port;
  const live = state.live ? state.slots[state.live] : null;
  const previous =
    state.live && live ? { slot: state.live, port: live.port, pid: live.pid, releaseId: live.releaseId } : null;
  const leftover = state.slots[slot];
  const stale = leftover?.pid && leftover.status !== 'stopped' ? { pid: leftover.pid } : null;
  const healthUrl = `http://127.0.0.1:${port}${config.health.path}`;
  const front = config.proxy.enabled ? `proxy ${config.proxy.host}:${config.proxy.port}` : 'nginx';
  const steps = [
    ...(stale ? [`stop leftover process ${stale.pid} in ${slot}`] : []),
    `start ${slot} on port ${port} with release ${release.id}`,
    `health-check ${healthUrl} (up to ${config.health.timeoutMs} ms)`,
    `switch ${front}${config.nginx && config.proxy.enabled ? ' and nginx' : ''} to ${slot}`,
    ...(previous
      ? config.keepPrevious
        ? [`keep ${previous.slot} (release ${previous.releaseId}) running for switch-back`]
        : [
            `drain ${previous.slot} (up to ${config.nginx && !config.proxy.enabled ? config.nginx.drainMs : config.drainTimeoutMs} ms)`,
            `stop ${previous.slot}${previous.pid ? ` (pid ${previous.pid})` : ''}`,
          ]
      : []),
  ];
  return { slot, port, release, healthUrl, previous, stale, generation: state.generation + 1, steps };
}
