import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Where Slipway's own files are. Slipway runs three ways, and this module is the one place that knows them:
 * - the esbuild bundle in dist/bundle/ (what bin/slipway.js runs; tools/bundle.mjs defines __SLIPWAY_BUNDLE__);
 * - tsc's output in dist/ (benches import it);
 * - the TypeScript source under vitest or tsx (this file then ends in .ts).
 * In the bundle this code sits in a shared chunk, so a path relative to its own file means nothing: everything is
 * found from the package root, the nearest directory above this file whose package.json is Slipway's.
 */

declare const __SLIPWAY_BUNDLE__: boolean | undefined;

export type Layout = 'bundle' | 'dist' | 'source';

const here = fileURLToPath(import.meta.url);

/** How this process's Slipway code was loaded. */
export const LAYOUT: Layout =
  typeof __SLIPWAY_BUNDLE__ === 'boolean' ? 'bundle' : here.endsWith('.ts') ? 'source' : 'dist';

interface PackageJson {
  name: string;
  version: string;
}

function findRoot(): { root: string; pkg: PackageJson } {
  for (let dir = path.dirname(here); ;) {
    try {
      const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Partial<PackageJson>;
      if (pkg.name === 'slipway' && typeof pkg.version === 'string') return { root: dir, pkg: pkg as PackageJson };
    } catch {
      // no package.json here, or not JSON: keep walking up
    }
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`Slipway's package.json was not found above ${here}`);
    dir = up;
  }
}

const found = findRoot();

/** The directory holding Slipway's package.json, bin/ and dist/. */
export const PACKAGE_ROOT: string = found.root;

/** Slipway's own package.json (name and version). */
export const PACKAGE_JSON: PackageJson = found.pkg;

/**
 * A data file Slipway ships: src/data/<name> under vitest or tsx, dist/data/<name> (copied there by tools/bundle.mjs)
 * for the bundle and tsc's dist/.
 */
export function dataFile(name: string): string {
  return path.join(PACKAGE_ROOT, LAYOUT === 'source' ? 'src' : 'dist', 'data', name);
}

/** The built web UI (Vite's output), served by `slipway serve`. */
export const WEB_DIR: string = path.join(PACKAGE_ROOT, 'dist', 'web');

let req: NodeJS.Require | undefined;

/** Resolves a dependency as Slipway's own code would (from the package root), e.g. to find its files or version. */
export function resolveDependency(name: string): string {
  req ??= createRequire(path.join(PACKAGE_ROOT, 'package.json'));
  return req.resolve(name);
}

/** The program entries Slipway forks: the build's verification child and the blue-green proxy (src/cli/*-main.ts). */
export type ProgramEntry = 'verify-main' | 'proxy-main';

/**
 * The file and the Node options that run one of Slipway's program entries in a new process: the bundle's own entry
 * from the bundle, tsc's from dist/, and the TypeScript source through tsx (a devDependency) under vitest. tsx is
 * given as an absolute URL because the child's working directory may be anywhere (the proxy's is its target).
 */
export function programEntry(name: ProgramEntry): { file: string; execArgv: string[] } {
  switch (LAYOUT) {
    case 'bundle':
      return { file: path.join(PACKAGE_ROOT, 'dist', 'bundle', `${name}.js`), execArgv: [] };
    case 'dist':
      return { file: path.join(PACKAGE_ROOT, 'dist', 'cli', `${name}.js`), execArgv: [] };
    case 'source':
      return {
        file: path.join(PACKAGE_ROOT, 'src', 'cli', `${name}.ts`),
        execArgv: ['--import', pathToFileURL(resolveDependency('tsx')).href],
      };
  }
}
