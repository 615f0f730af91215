import path from 'node:path';
import type { Config } from '../config/schema.js';
import { targetSchema, type TargetConfig } from '../config/sections/deploy.js';
import { SlipwayError } from '../errors.js';

/** Root directory of a configured target; throws E_CONFIG naming the known targets for an unknown one. */
export function resolveTargetRoot(config: Config, target: string): string {
  return path.resolve(config.configDir, resolveTargetConfig(config, target).path);
}

/** The configured target's settings; throws E_CONFIG for an unknown name. */
export function resolveTargetConfig(config: Config, target: string): TargetConfig {
  const t = config.deploy.targets[target];
  if (!t) {
    const known = Object.keys(config.deploy.targets);
    throw new SlipwayError('E_CONFIG', `unknown deploy target "${target}"`, {
      field: 'deploy.targets',
      hint: known.length
        ? `Known targets: ${known.join(', ')}. Or pass --to-dir DIR for a local directory.`
        : 'No targets are configured: add deploy.targets.<name> to the config, or pass --to-dir DIR.',
    });
  }
  if (t.type !== 'local')
    throw new SlipwayError('E_USAGE', `deploy target "${target}" is an ssh target (a fleet of hosts)`, {
      field: `deploy.targets.${target}.type`,
      hint: 'deploy, rollback, releases (pin, unpin), history, recover and unlock handle ssh targets; this use needs a local target.',
    });
  return t;
}

/**
 * Settings and root for `--target NAME`, an ad-hoc local `--to-dir DIR` (defaults, plus the config's database URL),
 * or, with neither, the only configured target.
 */
export function selectTarget(
  config: Config,
  opts: { target?: string | undefined; root?: string | undefined },
): { root: string; target: TargetConfig; name: string } {
  if (opts.target && opts.root)
    throw new SlipwayError('E_USAGE', 'pass either --target NAME or --to-dir DIR, not both');
  const configured = Object.keys(config.deploy.targets);
  const name = opts.target ?? (opts.root === undefined && configured.length === 1 ? configured[0] : undefined);
  if (name) return { root: resolveTargetRoot(config, name), target: resolveTargetConfig(config, name), name };
  if (opts.root) {
    const root = path.resolve(config.configDir, opts.root);
    return { root, target: targetSchema.parse({ type: 'local', path: root }), name: 'local' };
  }
  throw new SlipwayError('E_USAGE', 'no target: pass --target NAME or --to-dir DIR', {
    hint: configured.length
      ? `Configured targets: ${configured.join(', ')}.`
      : 'No targets are configured (deploy.targets.<name>); --to-dir DIR deploys to a local directory.',
  });
}
