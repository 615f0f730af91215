import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_JSON, resolveDependency } from './package-root.js';

/** Slipway's own version, from its package.json (src/package-root.ts finds it from the bundle, dist/ or src/). */
export const SLIPWAY_VERSION: string = PACKAGE_JSON.version;

/**
 * Installed version of a dependency (part of every cache key). Walks up from its resolved entry point because some
 * packages (lightningcss) do not export their package.json.
 */
export function readToolVersion(name: string): string {
  let dir = path.dirname(resolveDependency(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (pkg.name === name && pkg.version) return pkg.version;
    } catch {
      // no package.json at this level
    }
    const up = path.dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
