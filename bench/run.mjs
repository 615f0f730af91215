#!/usr/bin/env node
// Runs every bench/<area>.bench.mjs (or those named: `npm run bench -- build db`) one after another.
// Each script measures Slipway against its named peer in the same run and prints a Markdown section;
// bench/RESULTS.md collects those sections with the command that produced them.
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const dir = path.dirname(fileURLToPath(import.meta.url));
const wanted = process.argv.slice(2);
const scripts = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.mjs'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace('.bench.mjs', '')))
  .sort();
let failed = 0;
for (const s of scripts) {
  process.stderr.write(`\n== bench ${s}\n`);
  const r = spawnSync(process.execPath, [path.join(dir, s)], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
