import type { Config } from '../config/schema.js';

/** The Node range the package needs: build.checks.node, else `engines.node` of the project's package.json. */
export function readRuntimeNode(config: Config): { range: string | null; reason: string | null } {
  if (config.build.checks.node) return { range: config.build.checks.node, reason: null };
  const pkg = config.packageJson;
  if (pkg.engines.node) return { range: pkg.engines.node, reason: null };
  if (!pkg.document)
    return {
      range: null,
      reason: `no build.checks.node in the config and no readable package.json${pkg.problem ? ` (${pkg.problem})` : ''}`,
    };
  return { range: null, reason: 'no build.checks.node in the config and no engines.node in package.json' };
}
