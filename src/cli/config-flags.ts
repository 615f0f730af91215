import type { Command } from 'commander';
import type { LoadedConfig } from '../config/load.js';
import { printWarning, type CliIO } from './output.js';
import type { Config } from '../config/schema.js';

export interface ConfigFlags {
  config?: string;
  env?: string;
}

/** Adds the flags every config-reading command takes: --config FILE, --env NAME. */
export function withConfigOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <file>', 'config file (default: slipway.config.yaml|json in the current directory)')
    .option('-e, --env <name>', 'environment overlay from the config (dev, uat, staging, prod…)');
}

/** Loads the config the flags name and prints its warnings to stderr. `overrides` are flag values by dotted path. */
export async function configFromFlags(
  io: CliIO,
  flags: ConfigFlags,
  overrides: Record<string, unknown> = {},
): Promise<LoadedConfig> {
  // Loaded on use: yaml and zod are most of the start-up of a command that runs without a config (`db package --root`).
  const { loadConfig } = await import('../config/load.js');
  const loaded = await loadConfig({
    ...(flags.config ? { configFile: flags.config } : {}),
    ...(flags.env ? { environment: flags.env } : {}),
    cwd: io.cwd,
    env: io.env,
    overrides,
  });
  for (const w of loaded.warnings) printWarning(io, w);
  const note = implicitEnvironmentNote(flags, loaded.config);
  if (note) io.stderr(`note: ${note}\n`);
  return loaded;
}

/**
 * Without --env, which overlay the config was read with, so nobody deploys or migrates with `dev` settings unawares.
 * Undefined when --env was given or the config defines no environments (then there is nothing to choose).
 */
export function implicitEnvironmentNote(flags: ConfigFlags, config: Config): string | undefined {
  if (flags.env) return undefined;
  const names = Object.keys(config.environments);
  if (!names.length) return undefined;
  return names.includes(config.environment)
    ? `no --env given: using environments.${config.environment} (defined: ${names.join(', ')})`
    : `no --env given: using the base settings, no overlay (defined: ${names.join(', ')})`;
}
