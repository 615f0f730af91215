/** An ssh target resolved for one run: its hosts (root, health URL, per-host settings), keys and controller state. */
import path from 'node:path';
import type { Config } from '../config/schema.js';
import type { SshTargetConfig, TargetConfig } from '../config/sections/deploy.js';
import type { SshHost } from '../config/sections/ssh-target.js';
import { hostRoot, hostTargetView } from '../config/sections/ssh-view.js';
import { SlipwayError } from '../errors.js';
import { endpointLabel, type SshSettings } from './ssh.js';

export interface FleetHost {
  index: number;
  spec: SshHost;
  /** `user@host:port:/root`, unique within the target. */
  label: string;
  root: string;
  /** The host's settings as a local target's (root, health URL): what the shared per-host steps take. */
  view: TargetConfig;
}

export interface FleetTarget {
  name: string;
  t: SshTargetConfig;
  hosts: FleetHost[];
  ssh: SshSettings;
  /** The controller's own state for this target: fleet journal, lock, the release extracted locally (database SQL,
   *  smoke tests), logs. `<config dir>/.slipway/fleet/<name>`. */
  controllerRoot: string;
  /** The controller-side target's settings: no restart or health (those are per host), the database settings. */
  controllerView: TargetConfig;
}

/** True when `name` (or the only configured target) is an ssh target; returns its name. */
export function sshTargetName(config: Config, name: string | undefined): string | null {
  const names = Object.keys(config.deploy.targets);
  const n = name ?? (names.length === 1 ? names[0] : undefined);
  return n !== undefined && config.deploy.targets[n]?.type === 'ssh' ? n : null;
}

/** Resolves a configured ssh target. */
export function resolveFleet(config: Config, name: string): FleetTarget {
  const t = config.deploy.targets[name];
  if (!t || t.type !== 'ssh')
    throw new SlipwayError('E_CONFIG', `deploy target "${name}" is not an ssh target`, {
      field: `deploy.targets.${name}.type`,
    });
  const hosts = t.hosts.map((spec, index) => {
    const withUser = { ...spec, user: spec.user ?? t.user };
    const root = hostRoot(t, spec);
    return { index, spec: withUser, label: `${endpointLabel(withUser)}:${root}`, root, view: hostTargetView(t, spec) };
  });
  const first = hosts[0]!.view;
  return {
    name,
    t,
    hosts,
    ssh: {
      knownHosts: path.resolve(config.configDir, t.knownHosts),
      identityFile: t.identityFile ? path.resolve(config.configDir, t.identityFile) : undefined,
      connectTimeoutMs: t.connectTimeoutMs,
      kexAlgorithms: t.kexAlgorithms,
    },
    controllerRoot: path.join(config.configDir, '.slipway', 'fleet', name),
    controllerView: {
      ...first,
      path: path.join(config.configDir, '.slipway', 'fleet', name),
      restart: undefined,
      stop: undefined,
      health: { ...first.health, url: undefined },
    },
  };
}
