// The user cache directory (src/cache-dir.ts) and the CLI launcher's use of it for Node's compile cache (the full
// bundle) and its own V8 code cache of the db bundle (bin/slipway.js, runWithCodeCache).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import module from 'node:module';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { userCacheDir } from '../../src/cache-dir.js';
import { nodesUnderTest } from '../helpers/node-lines.js';

const made: string[] = [];
const BIN = path.resolve('bin/slipway.js');
const tempDir = (prefix: string): string => {
  const d = mkdtempSync(path.join(tmpdir(), prefix));
  made.push(d);
  return d;
};
const launcherEnv = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_COMPILE_CACHE;
  if (!('NODE_DISABLE_COMPILE_CACHE' in extra)) delete env.NODE_DISABLE_COMPILE_CACHE;
  return env;
};

const hasCompileCache = (bin: string): boolean =>
  bin === process.execPath
    ? typeof (module as { enableCompileCache?: unknown }).enableCompileCache === 'function'
    : true; // the others are >= 22.1 by choice

afterEach(() => {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('userCacheDir', () => {
  it('is $SLIPWAY_CACHE_DIR, else $XDG_CACHE_HOME/slipway, else ~/.cache/slipway', () => {
    expect(userCacheDir({ SLIPWAY_CACHE_DIR: '/c/s', XDG_CACHE_HOME: '/x' })).toBe('/c/s');
    expect(userCacheDir({ XDG_CACHE_HOME: '/x' })).toBe(path.join('/x', 'slipway'));
    expect(userCacheDir({ SLIPWAY_CACHE_DIR: '', XDG_CACHE_HOME: '' })).toBe(path.join(homedir(), '.cache', 'slipway'));
  });
});

describe('bin/slipway.js and Node’s compile cache', () => {
  for (const node of nodesUnderTest()) {
    it(`keeps it in <user cache dir>/node-compile-cache on Node ${node.version} (if >= 22.1), never in the cwd`, () => {
      const cache = tempDir('slipway-cache-');
      const cwd = tempDir('slipway-cwd-');
      const out = execFileSync(node.bin, [BIN, '--help'], {
        cwd,
        env: launcherEnv({ SLIPWAY_CACHE_DIR: cache }),
        timeout: 60_000,
      });
      expect(out.toString()).toContain('package');
      expect(readdirSync(cwd)).toEqual([]);
      // Node 20 has no compile cache: nothing is written at all there.
      expect(existsSync(path.join(cache, 'node-compile-cache'))).toBe(hasCompileCache(node.bin));
      expect(existsSync(path.join(cache, 'code-cache'))).toBe(false);
    });

    it(`keeps the db bundle's code cache in <user cache dir>/code-cache on Node ${node.version}`, () => {
      const cache = tempDir('slipway-cache-');
      const cwd = tempDir('slipway-cwd-');
      const out = execFileSync(node.bin, [BIN, 'db', '--help'], {
        cwd,
        env: launcherEnv({ SLIPWAY_CACHE_DIR: cache }),
        timeout: 60_000,
      });
      expect(out.toString()).toContain('package');
      expect(readdirSync(cwd)).toEqual([]);
      expect(readdirSync(cache)).toEqual(['code-cache']);
      expect(readdirSync(path.join(cache, 'code-cache'))).toEqual([
        expect.stringMatching(new RegExp(`-${node.version}-${process.arch}-help$`)),
      ]);
    });

    // A db command compiles from scratch whatever its cache lacks, so each kind of run has its own, made by a run of
    // that kind. db package runs with V8 flags of its own (youngGenerationKeptSmall), and V8 accepts a code cache only
    // under the flags it was made with: its cache is made and read under them, and each command's cache must be the
    // one its next run uses, in whatever order the commands come.
    it(`keeps a db code cache per command on Node ${node.version}, each used by the next run of it`, () => {
      const cache = tempDir('slipway-cache-');
      const root = tempDir('slipway-changelog-');
      writeFileSync(
        path.join(root, 'c.sql'),
        '--liquibase formatted sql\n--changeset a:1\ncreate table t (id int);\n--rollback drop table t;\n',
      );
      const dir = path.join(cache, 'code-cache');
      const run = (args: string[]): Map<string, string> => {
        execFileSync(node.bin, [BIN, 'db', ...args, '--root', root, '--changelog', 'c.sql'], {
          cwd: root,
          env: launcherEnv({ SLIPWAY_CACHE_DIR: cache }),
          timeout: 60_000,
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        // each file's bytes and time: V8 may make the same bytes again, so a rewrite shows in the time alone
        const seen = (f: string) =>
          `${readFileSync(path.join(dir, f)).toString('base64')} ${statSync(path.join(dir, f)).mtimeMs}`;
        return new Map(readdirSync(dir).map((f) => [f.replace(/^[0-9a-f]+-/, ''), seen(f)]));
      };
      const pkg = ['package', '--out-file', 'p.sql'];
      const rollback = ['rollback-sql', '--count', '1', '--out-file', 'r.sql'];
      run(rollback);
      const made = run(pkg);
      expect(readFileSync(path.join(root, 'p.sql'), 'utf8')).toContain('create table t (id int)');
      const kinds = [`${node.version}-${process.arch}-package`, `${node.version}-${process.arch}-rollback-sql`];
      expect([...made.keys()].sort()).toEqual(kinds);
      // a rejected cache is made again: the same file means each run used its own cache as it was
      for (const args of [pkg, rollback, pkg]) {
        const now = run(args);
        expect([...now.keys()].sort()).toEqual(kinds);
        for (const kind of kinds) expect(now.get(kind) === made.get(kind), `${args[0]}: ${kind}`).toBe(true);
      }
    });

    it(`runs the command on Node ${node.version} when the cache directory cannot be created`, () => {
      // A regular file where the cache directory should be: unwritable for every user, root included.
      const blocker = path.join(tempDir('slipway-cache-'), 'not-a-dir');
      writeFileSync(blocker, '');
      const cwd = tempDir('slipway-cwd-');
      const out = execFileSync(node.bin, [BIN, 'db', '--help'], {
        cwd,
        env: launcherEnv({ SLIPWAY_CACHE_DIR: path.join(blocker, 'slipway') }),
        timeout: 60_000,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      expect(out.toString()).toContain('package');
      expect(readdirSync(cwd)).toEqual([]);
      expect(readFileSync(blocker, 'utf8')).toBe('');
    });

    it(`writes no cache on Node ${node.version} when NODE_DISABLE_COMPILE_CACHE is set (even empty)`, () => {
      const cache = tempDir('slipway-cache-');
      const out = execFileSync(node.bin, [BIN, '--version'], {
        env: launcherEnv({ SLIPWAY_CACHE_DIR: cache, NODE_DISABLE_COMPILE_CACHE: '' }),
        timeout: 60_000,
      });
      expect(out.toString().trim()).toMatch(/^\d+\.\d+\.\d+/);
      expect(readdirSync(cache)).toEqual([]);
    });
  }
});
