// The Node binaries a launcher test runs bin/slipway.js on (test/unit/cache-dir.test.ts, launcher-liftoff.test.ts).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The Node binaries to run the launcher on: this one, and the Node >= 22.1 lines (22 and 24) that
 * `npx -p node@22|24` has already installed in the npm cache (never downloaded here: `npx -y -p node@24 node -v`
 * once makes this test cover Node 24 as well).
 */
export function nodesUnderTest(): Array<{ bin: string; version: string }> {
  const nodes = [{ bin: process.execPath, version: process.version }];
  const npx = path.join(process.env.npm_config_cache || path.join(homedir(), '.npm'), '_npx');
  const best = new Map<string, { bin: string; version: string }>();
  for (const d of existsSync(npx) ? readdirSync(npx) : []) {
    const dir = path.join(npx, d, 'node_modules', 'node');
    const bin = path.join(dir, 'bin', 'node');
    if (!existsSync(bin)) continue;
    let version: string;
    try {
      version = `v${(JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version}`;
    } catch {
      continue;
    }
    const [major = 0, minor = 0] = version.slice(1).split('.').map(Number);
    if (major < 22 || (major === 22 && minor < 1) || `v${major}` === process.version.split('.')[0]) continue;
    const had = best.get(String(major));
    if (!had || had.version.localeCompare(version, undefined, { numeric: true }) < 0)
      best.set(String(major), { bin, version });
  }
  return [...nodes, ...best.values()];
}
