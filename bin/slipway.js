#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build:ts` (run by `npm ci` through `prepare`).
import { existsSync } from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('slipway: dist/ is missing; run `npm run build:ts` in the slipway checkout first.\n');
  process.exit(2);
}
// Node ≥ 22.1 caches compiled code between runs (start-up is most of a short command); Node 20 has no such cache.
// It lives in the user's cache directory (NODE_COMPILE_CACHE overrides, NODE_DISABLE_COMPILE_CACHE turns it off);
// a directory that cannot be written only costs the cache, never the command.
if (module.enableCompileCache) {
  const { userCacheDir } = await import(new URL('../dist/cache-dir.js', import.meta.url).href);
  module.enableCompileCache(process.env.NODE_COMPILE_CACHE || path.join(userCacheDir(), 'node-compile-cache'));
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
