import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';
import { ROOT } from './cli-bin.js';

/**
 * Bundles a child-process entry of the tests (e.g. test/fixtures/deploy/fault-runner.ts) into `.tmp/<name>-<random>.mjs`
 * with esbuild, so each child starts in ~100 ms; packages stay external and resolve from the repository. Returns the
 * bundle's path (the caller removes it).
 */
export async function bundleTestEntry(entry: string, name: string): Promise<string> {
  await mkdir(path.join(ROOT, '.tmp'), { recursive: true });
  const out = path.join(ROOT, '.tmp', `${name}-${randomBytes(4).toString('hex')}.mjs`);
  await build({
    entryPoints: [path.join(ROOT, entry)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    outfile: out,
    logLevel: 'error',
  });
  return out;
}
