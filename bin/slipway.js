#!/usr/bin/env node
// Thin launcher: the CLI is compiled to dist/ by `npm run build:ts` (run by `npm ci` through `prepare`).
import { existsSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

// Node ≥ 22.1 caches compiled code between runs (start-up is most of a short command); Node 20 has no such cache.
module.enableCompileCache?.();

const entry = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(fileURLToPath(entry))) {
  process.stderr.write('slipway: dist/ is missing; run `npm run build:ts` in the slipway checkout first.\n');
  process.exit(2);
}
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
