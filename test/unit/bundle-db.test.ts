// `slipway db …` runs dist/bundle/db/ (tools/bundle.mjs, dbBundleOptions): the CLI with only the db command group,
// its library (src/cli/commands/db.ts's imports on use) folded into one module of `export *`s. What that relies on:
// main.ts loads the db group alone whenever bin/slipway.js picks that bundle, no two library modules export the same
// name (`export *` would silently drop it), and the other groups, were they ever asked for there, fail loudly.
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { commandGroupsFor } from '../../src/cli/main.js';
import { ensureDist, ROOT } from '../helpers/cli-bin.js';

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

  it('folds in every db library module, and no two of them export the same name', async () => {
    // tools/ is plain JavaScript without types: imported through a string so TypeScript does not look for them.
    const bundleScript: string = pathToFileURL(path.join(ROOT, 'tools', 'bundle.mjs')).href;
    const { dbLibraryModules } = (await import(bundleScript)) as { dbLibraryModules: () => string[] };
    const modules = dbLibraryModules();
    expect(modules).toEqual(expect.arrayContaining(['package', 'apply', 'status', 'verify', 'read-changelog']));
    const owner = new Map<string, string>();
    for (const m of modules) {
      const ns = (await import(pathToFileURL(path.join(ROOT, 'src', 'db', `${m}.ts`)).href)) as object;
      for (const name of Object.keys(ns)) {
        expect(owner.get(name), `${name} is exported by both ${owner.get(name)} and ${m}`).toBeUndefined();
        owner.set(name, m);
      }
    }
  });

  describe('as built', () => {
    beforeAll(async () => {
      await ensureDist();
    }, 300_000);

    it('runs the db commands, and throws an internal error if asked for another group', async () => {
      const { main } = (await import(pathToFileURL(path.join(ROOT, 'dist', 'bundle', 'db', 'main.js')).href)) as {
        main: (argv: string[], io: unknown) => Promise<number>;
      };
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
  });
});
