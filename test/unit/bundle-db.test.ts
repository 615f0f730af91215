// `slipway db …` runs dist/bundle/db/main.cjs (tools/bundle.mjs, dbBundleOptions): the CLI with only the db command
// group, in one CommonJS file that bin/slipway.js compiles with a V8 code cache in the user's cache directory. What
// that relies on: main.ts loads the db group alone whenever bin/slipway.js picks that bundle, the other groups, were
// they ever asked for there, fail loudly, and the code cache is used only for the bundle, Node and db command it was
// made by.
import { readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandGroupsFor } from '../../src/cli/main.js';
import { ensureDist, ROOT, runBin } from '../helpers/cli-bin.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

/** bin/slipway.js's choice: the db bundle when the first word that is not an option is `db`. */
const launcherPicksDb = (argv: string[]) => argv.find((a) => !a.startsWith('-')) === 'db';

describe('the db bundle', () => {
  it('is picked exactly when main.ts registers the db group alone', () => {
    const cases = [
      ['db', 'package', '--root', 'x'],
      ['db'],
      ['db', '--help'],
      ['--json', 'db', 'status'],
      ['--version', 'db'],
      ['--config', 'x.yaml', 'db', 'package'],
      ['deploy', 'db'],
      ['package', '--out', 'db'],
      ['--help'],
      ['--version'],
      [],
      ['dbx'],
    ];
    for (const argv of cases) {
      const dbOnly = JSON.stringify(commandGroupsFor(argv)) === JSON.stringify(['db']);
      if (launcherPicksDb(argv)) expect(dbOnly, argv.join(' ')).toBe(true);
      // Not picked: the full bundle, which has every group, so either answer of main.ts is fine there.
    }
    expect(launcherPicksDb(['db', 'package'])).toBe(true);
    expect(launcherPicksDb(['--config', 'x.yaml', 'db', 'package'])).toBe(false);
  });

  describe('as built', () => {
    beforeAll(async () => {
      await ensureDist();
    }, 300_000);

    it('runs the db commands, and throws an internal error if asked for another group', async () => {
      const file = path.join(ROOT, 'dist', 'bundle', 'db', 'main.cjs');
      const { main } = createRequire(file)(file) as { main: (argv: string[], io: unknown) => Promise<number> };
      const out: string[] = [];
      const io = {
        stdout: (s: string) => out.push(s),
        stderr: (s: string) => out.push(s),
        env: {},
        cwd: ROOT,
        isTTY: false,
      };
      expect(await main(['db', '--help'], io)).toBe(0);
      expect(out.join('')).toMatch(/package/);
      await expect(main(['deploy', 'x.tar.gz'], io)).rejects.toThrow(/internal: .*not in dist\/bundle\/db\//);
    });

    describe('code cache', () => {
      let dir: string;
      let cacheDir: string;
      const run = (extra: Record<string, string> = {}) =>
        runBin(['db', 'package', '--root', dir, '--changelog', 'master.sql', '--out-file', 'package.sql'], dir, {
          env: { SLIPWAY_CACHE_DIR: cacheDir, SOURCE_DATE_EPOCH: '0', ...extra },
        });
      const cacheFiles = () => {
        try {
          return readdirSync(path.join(cacheDir, 'code-cache')).map((f) => path.join(cacheDir, 'code-cache', f));
        } catch {
          return [];
        }
      };
      const key = () =>
        /\/\/# codeCacheKey=(\w+)\n$/.exec(readFileSync(path.join(ROOT, 'dist/bundle/db/main.cjs'), 'utf8'))![1]!;
      beforeAll(async () => {
        dir = await makeTree(
          { 'master.sql': '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (id int);\n' },
          'slipway-code-cache-',
        );
        cacheDir = path.join(dir, 'cache');
      });
      afterAll(async () => {
        await removeTree(dir);
      });

      it('is written by the first run, used by the next, and the package is the same', () => {
        const first = run();
        expect(first.code, first.stderr).toBe(0);
        const made = readFileSync(path.join(dir, 'package.sql'), 'utf8');
        const files = cacheFiles();
        expect(files).toHaveLength(1);
        expect(path.basename(files[0]!)).toMatch(new RegExp(`-${process.version}-${process.arch}-package$`));
        expect(readFileSync(files[0]!).subarray(0, 33).toString()).toBe(`${key()}\n`);
        const written = statSync(files[0]!).mtimeMs;

        const second = run();
        expect(second.code, second.stderr).toBe(0);
        expect(readFileSync(path.join(dir, 'package.sql'), 'utf8')).toBe(made);
        // accepted by V8, so not written again
        expect(statSync(files[0]!).mtimeMs).toBe(written);
      });

      it('is replaced when made from another build of the bundle, or when V8 rejects it', () => {
        const [file] = cacheFiles();
        expect(file).toBeDefined();
        const good = readFileSync(file!);
        // another bundle's key: not used (its functions may not be this bundle's), replaced by this one's
        writeFileSync(file!, Buffer.concat([Buffer.from(`${'0'.repeat(32)}\n`), good.subarray(33)]));
        expect(run().code).toBe(0);
        expect(readFileSync(file!).subarray(0, 33).toString()).toBe(`${key()}\n`);
        // this bundle's key but data V8 does not accept: the run compiles the source and writes a cache again
        writeFileSync(file!, Buffer.concat([good.subarray(0, 33), Buffer.from('not a code cache')]));
        const r = run();
        expect(r.code, r.stderr).toBe(0);
        expect(readFileSync(file!).length).toBeGreaterThan(1000);
      });

      it("names its bundle, and a write removes the caches of installs that are gone, never a live one's", () => {
        const [file] = cacheFiles();
        expect(file).toBeDefined();
        const bundle = path.join(ROOT, 'dist', 'bundle', 'db', 'main.cjs');
        expect(
          readFileSync(file!)
            .subarray(0, 34 + bundle.length)
            .toString(),
        ).toBe(`${key()}\n${bundle}\n`);
        const codeCache = path.dirname(file!);
        const data = Buffer.from('v8 data \n\u0000\u0001');
        const gone = path.join(codeCache, 'aaaa0001-v20.0.0-x64');
        writeFileSync(gone, Buffer.concat([Buffer.from(`${key()}\n${path.join(dir, 'gone', 'main.cjs')}\n`), data]));
        const older = path.join(codeCache, 'aaaa0002-v20.0.0-x64'); // an older launcher's file: key, then V8 data
        writeFileSync(older, Buffer.concat([Buffer.from(`${key()}\n`), data]));
        const live = path.join(codeCache, 'aaaa0003-v99.0.0-x64'); // another Node's cache of an install that exists
        writeFileSync(live, Buffer.concat([Buffer.from(`${key()}\n${path.join(dir, 'master.sql')}\n`), data]));
        const freshTmp = path.join(codeCache, `${path.basename(file!)}.1.tmp`); // a run writing right now
        writeFileSync(freshTmp, data);
        const deadTmp = path.join(codeCache, `${path.basename(file!)}.2.tmp`); // left by a run that died two hours ago
        writeFileSync(deadTmp, data);
        utimesSync(deadTmp, new Date(Date.now() - 7_200_000), new Date(Date.now() - 7_200_000));
        // this install's cache from a launcher that kept one for every db command (named without the command)
        const unkinded = file!.replace(/-package$/, '');
        writeFileSync(unkinded, Buffer.concat([Buffer.from(`${key()}\n${bundle}\n`), data]));
        // nothing is pruned by a run that only reads its cache
        expect(run().code).toBe(0);
        expect(cacheFiles()).toHaveLength(7);
        // a rejected cache makes the run write one, and prune
        writeFileSync(file!, Buffer.concat([readFileSync(file!).subarray(0, 34 + bundle.length), Buffer.from('x')]));
        const r = run();
        expect(r.code, r.stderr).toBe(0);
        expect(cacheFiles().sort()).toEqual([file!, freshTmp, live].sort());
      });

      it('is made by a run that succeeded, and not by a help run for the command it names', () => {
        const own = path.join(dir, 'own');
        const files = () => {
          try {
            return readdirSync(path.join(own, 'code-cache')).map((f) => f.replace(/^[0-9a-f]+-/, ''));
          } catch {
            return [];
          }
        };
        const env = { SLIPWAY_CACHE_DIR: own, SOURCE_DATE_EPOCH: '0' };
        // a usage error (a misspelt command, a missing flag) ran only part of the command: no cache from it
        expect(runBin(['db', 'pakage'], dir, { env }).code).toBe(2);
        expect(runBin(['db', 'rollback-sql', '--root', dir, '--changelog', 'master.sql'], dir, { env }).code).toBe(2);
        expect(files()).toEqual([]);
        const help = runBin(['db', 'package', '--help'], dir, { env });
        expect(help.code, help.stderr).toBe(0);
        expect(files()).toEqual([`${process.version}-${process.arch}-help`]);
      });

      it('is neither read nor written with NODE_DISABLE_COMPILE_CACHE, nor where it cannot be written', () => {
        const other = path.join(dir, 'off');
        const off = runBin(['db', 'package', '--root', dir, '--changelog', 'master.sql'], dir, {
          env: { SLIPWAY_CACHE_DIR: other, NODE_DISABLE_COMPILE_CACHE: '1', SOURCE_DATE_EPOCH: '0' },
        });
        expect(off.code, off.stderr).toBe(0);
        expect(() => readdirSync(other)).toThrow();
        // a cache directory below a file cannot be made: the command still runs
        writeFileSync(path.join(dir, 'a-file'), '');
        const blocked = runBin(['db', 'package', '--root', dir, '--changelog', 'master.sql'], dir, {
          env: { SLIPWAY_CACHE_DIR: path.join(dir, 'a-file', 'cache'), SOURCE_DATE_EPOCH: '0' },
        });
        expect(blocked.code, blocked.stderr).toBe(0);
        expect(blocked.stdout).toContain('CREATE TABLE t');
      });
    });
  });
});
