import type { Command } from 'commander';
import { loadConfig, type LoadedConfig } from '../config/load.js';
import type { CliIO } from './output.js';

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
  const loaded = await loadConfig({
    ...(flags.config ? { configFile: flags.config } : {}),
    ...(flags.env ? { environment: flags.env } : {}),
    cwd: io.cwd,
    env: io.env,
    overrides,
  });
  for (const w of loaded.warnings) io.stderr(`warning: ${w}\n`);
  return loaded;
}
