#!/usr/bin/env node
// Thin launcher: runs the CLI's esbuild bundle, dist/bundle/ (tools/bundle.mjs, run by `npm run build:ts` and so by
// `npm ci` through `prepare`). The bundle, not tsc's dist/, because it starts faster: bench/results-startup.md.
import { existsSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/bundle/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('slipway: dist/bundle/ is missing; run `npm run build:ts` in the slipway checkout first.\n');
  process.exit(2);
}
// Node ≥ 22.1 caches compiled code between runs (start-up is most of a short command; bench/results-startup.md);
// Node 20 has no such cache and skips this. It lives in the user's cache directory (NODE_COMPILE_CACHE overrides;
// NODE_DISABLE_COMPILE_CACHE, set to anything, turns it off as Node itself reads it). A directory that cannot be
// written only costs the cache, never the command: enableCompileCache reports that rather than throwing, and
// anything else that goes wrong here is dropped too.
if (module.enableCompileCache && process.env.NODE_DISABLE_COMPILE_CACHE === undefined) {
  try {
    const { userCacheDir } = await import(new URL('../dist/bundle/cache-dir.js', import.meta.url).href);
    module.enableCompileCache(process.env.NODE_COMPILE_CACHE || path.join(userCacheDir(), 'node-compile-cache'));
  } catch {
    // no cache this run
  }
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
