import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/schema.js';

/** The Node range the package needs: build.checks.node, else `engines.node` of the project's package.json. */
export async function readRuntimeNode(config: Config): Promise<{ range: string | null; reason: string | null }> {
  if (config.build.checks.node) return { range: config.build.checks.node, reason: null };
  try {
    const pkg = JSON.parse(await readFile(path.join(config.rootDir, 'package.json'), 'utf8')) as {
      engines?: { node?: unknown };
    };
    if (typeof pkg.engines?.node === 'string') return { range: pkg.engines.node, reason: null };
    return { range: null, reason: 'no build.checks.node in the config and no engines.node in package.json' };
  } catch {
    return { range: null, reason: 'no build.checks.node in the config and no readable package.json' };
  }
}
