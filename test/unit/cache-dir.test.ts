// The user cache directory (src/cache-dir.ts) and the CLI launcher's use of it for Node's compile cache.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import module from 'node:module';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { userCacheDir } from '../../src/cache-dir.js';

const made: string[] = [];
afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('userCacheDir', () => {
  it('is $SLIPWAY_CACHE_DIR, else $XDG_CACHE_HOME/slipway, else ~/.cache/slipway', () => {
    expect(userCacheDir({ SLIPWAY_CACHE_DIR: '/c/s', XDG_CACHE_HOME: '/x' })).toBe('/c/s');
    expect(userCacheDir({ XDG_CACHE_HOME: '/x' })).toBe(path.join('/x', 'slipway'));
    expect(userCacheDir({ SLIPWAY_CACHE_DIR: '', XDG_CACHE_HOME: '' })).toBe(path.join(homedir(), '.cache', 'slipway'));
  });

  it('bin/slipway.js keeps Node’s compile cache there (Node ≥ 22.1), never in the working directory', () => {
    const cache = mkdtempSync(path.join(tmpdir(), 'slipway-cache-'));
    const cwd = mkdtempSync(path.join(tmpdir(), 'slipway-cwd-'));
    made.push(cache, cwd);
    const env: NodeJS.ProcessEnv = { ...process.env, SLIPWAY_CACHE_DIR: cache };
    delete env.NODE_COMPILE_CACHE;
    delete env.NODE_DISABLE_COMPILE_CACHE;
    const out = execFileSync(process.execPath, [path.resolve('bin/slipway.js'), 'db', '--help'], { cwd, env });
    expect(out.toString()).toContain('package');
    expect(readdirSync(cwd)).toEqual([]);
    // Node 20 has no compile cache: nothing is written at all there.
    const hasCache = typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function';
    expect(existsSync(path.join(cache, 'node-compile-cache'))).toBe(hasCache);
  });
});
