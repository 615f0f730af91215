// bin/slipway.js runs the esbuild bundle (dist/bundle/, tools/bundle.mjs): what it must find from there — the
// package.json, its own program entries, the notices of the packages folded into it. Every other test that runs
// bin/slipway.js (test/helpers/cli-bin.ts) also runs the bundle; these check what only the bundle can get wrong.
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blueGreenPaths, findProxy, stopBlueGreen } from '../../src/deploy/blue-green/index.js';
import { ensureDist, ROOT, runBin } from '../helpers/cli-bin.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { blueGreenAppTarget, makeAppPackage } from '../fixtures/deploy/app.js';

const BUNDLE = path.join(ROOT, 'dist', 'bundle');

beforeAll(async () => {
  await ensureDist();
}, 300_000);

describe('the CLI bundle', () => {
  it('--version reads package.json from the package root (not next to a bundle chunk)', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    const r = runBin(['--version'], ROOT);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${pkg.version}\n`);
    expect(r.code).toBe(0);
  });

  it('ships the licence text of every package folded into it', () => {
    const notices = readFileSync(path.join(BUNDLE, 'THIRD-PARTY-NOTICES.md'), 'utf8');
    for (const name of ['commander', 'fastify', 'pg', 'yaml', 'zod', 'saxes'])
      expect(notices).toMatch(new RegExp(`^## ${name} \\d+\\.\\d+\\.\\d+ \\(`, 'm'));
    // left in node_modules, so not listed
    for (const name of ['@electric-sql/pglite', 'libpg-query', 'lightningcss', 'esbuild'])
      expect(notices).not.toContain(`## ${name} `);
  });

  it("reads a pattern's \\N{name} from the character names shipped in dist/data/ (no part of the bundle's code)", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-names-'));
    try {
      await writeFile(
        path.join(dir, 'master.xml'),
        `<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd">
  <changeSet id="1" author="t">
    <sql>SELECT 'a-b'</sql>
    <modifySql><regExpReplace replace="\\N{HYPHEN-MINUS}[\\N{latin small letter b}]" with="+c"/></modifySql>
  </changeSet>
</databaseChangeLog>
`,
      );
      const r = runBin(['db', 'package', '--changelog', 'master.xml', '--out-file', 'out.sql'], dir);
      expect(r.stderr).toBe('1 changesets from 1 files\n');
      expect(r.code).toBe(0);
      expect(readFileSync(path.join(dir, 'out.sql'), 'utf8')).toContain("SELECT 'a+c'");
      for (const chunk of readdirSync(BUNDLE).filter((f) => f.endsWith('.js')))
        expect(readFileSync(path.join(BUNDLE, chunk), 'utf8')).not.toContain('LATIN SMALL LETTER');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  describe('a blue-green deploy starts the proxy from the bundle', () => {
    let dir: string;
    let root: string;
    let proxyPort: number;

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'slipway-bundle-bg-'));
      root = path.join(dir, 'target');
      const bg = await blueGreenAppTarget({ timeoutMs: 10_000 });
      proxyPort = bg.proxyPort;
      await makeDeployConfig(dir, bg.target);
    });
    afterAll(async () => {
      await stopBlueGreen(root, 2000).catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    });

    it('deploys, serves through the proxy, and the proxy process runs dist/bundle/proxy-main.js', async () => {
      const pkg = await makeAppPackage('1.0.0');
      const r = runBin(['deploy', pkg.path, '--target', 'prod'], dir);
      expect(r.stderr).not.toMatch(/Error|error:/);
      expect(r.code).toBe(0);
      expect(await (await fetch(`http://127.0.0.1:${proxyPort}/`)).text()).toBe('version 1.0.0\n');
      const proxy = await findProxy(root);
      expect(proxy).not.toBeNull();
      const argv = readFileSync(`/proc/${proxy!.pid}/cmdline`, 'utf8').split('\0');
      expect(argv).toContain(path.join(BUNDLE, 'proxy-main.js'));
      expect(readFileSync(blueGreenPaths(root).log('proxy'), 'utf8')).not.toMatch(/Error/);
    });
  });

  // `db package` is mostly start-up (issue 14): the YAML parser, the change types (src/db/changes) and
  // node:child_process load only when a run needs them. A module hook (node --import, given in NODE_OPTIONS) lists
  // the bundle files a run loaded through Node's loaders and, at exit, the built-in modules and the files read.
  // The db commands run dist/bundle/db/main.cjs, one file read and compiled by bin/slipway.js (with a code cache):
  // its modules are initialised on first use (esbuild's lazy wrappers behind src/cli/commands/db.ts's imports), so
  // which ones a run used is seen from the outside only through the built-ins they load.
  describe('a command loads only what it needs', () => {
    let dir: string;
    let log: string;
    const XML_HEAD =
      '<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd">';

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'slipway-bundle-lazy-'));
      log = path.join(dir, 'loaded.log');
      await writeFile(
        path.join(dir, 'hooks.mjs'),
        `import { appendFileSync } from 'node:fs';
export async function load(url, context, next) {
  if (url.startsWith('file:')) appendFileSync(${JSON.stringify(log)}, 'file ' + url + '\\n');
  return next(url, context);
}
`,
      );
      await writeFile(
        path.join(dir, 'register.mjs'),
        `import fs, { appendFileSync } from 'node:fs';
import { register, syncBuiltinESMExports } from 'node:module';
register('./hooks.mjs', import.meta.url);
const read = fs.readFileSync;
fs.readFileSync = function (file, ...rest) {
  if (typeof file === 'string' && file.includes('/dist/bundle/')) appendFileSync(${JSON.stringify(log)}, 'read ' + file + '\\n');
  return read.call(this, file, ...rest);
};
syncBuiltinESMExports();
process.on('exit', () => appendFileSync(${JSON.stringify(log)}, process.moduleLoadList.map((m) => m + '\\n').join('')));
`,
      );
      await writeFile(
        path.join(dir, 'master.xml'),
        `${XML_HEAD}\n  <include file="v1.sql"/>\n  <changeSet id="2" author="a"><sql>SELECT 2</sql></changeSet>\n</databaseChangeLog>\n`,
      );
      await writeFile(
        path.join(dir, 'v1.sql'),
        '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (id int);\n',
      );
      await writeFile(
        path.join(dir, 'master.yaml'),
        'databaseChangeLog:\n  - changeSet:\n      id: 1\n      author: a\n      changes:\n        - createTable:\n            tableName: t\n            columns:\n              - column: {name: id, type: int}\n',
      );
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    /**
     * Runs `db package` on `changelog` and returns what it loaded: the bundle files and the built-ins.
     */
    async function loadedBy(changelog: string): Promise<{ files: string[]; builtins: string[] }> {
      await rm(log, { force: true });
      const r = runBin(['db', 'package', '--root', dir, '--changelog', changelog, '--out-file', 'package.sql'], dir, {
        env: { NODE_OPTIONS: `--import ${pathToFileURL(path.join(dir, 'register.mjs')).href}`, SOURCE_DATE_EPOCH: '0' },
      });
      expect(r.stderr).toMatch(/changesets from/);
      expect(r.code).toBe(0);
      const lines = readFileSync(log, 'utf8').split('\n');
      const files = lines
        .filter((l) => (l.startsWith('file ') || l.startsWith('read ')) && /\/dist\/bundle\/.*\.c?js$/.test(l))
        .map((l) => (l.startsWith('file ') ? fileURLToPath(l.slice(5)) : l.slice(5)));
      return {
        files: [...new Set(files)],
        builtins: lines.filter((l) => l.startsWith('NativeModule ')).map((l) => l.slice('NativeModule '.length)),
      };
    }

    it('XML with formatted SQL: the db bundle alone, without child_process', async () => {
      const { files, builtins } = await loadedBy('master.xml');
      // The db commands' own bundle (tools/bundle.mjs, dbBundleOptions), one file, and the cache directory's module.
      expect(files.sort()).toEqual([path.join(BUNDLE, 'cache-dir.cjs'), path.join(BUNDLE, 'db', 'main.cjs')]);
      expect(builtins).not.toContain('child_process');
    });

    it('YAML with a createTable: the same files', async () => {
      const { files } = await loadedBy('master.yaml');
      expect(files).toEqual((await loadedBy('master.xml')).files);
    });

    // bin/slipway.js sets V8 flags for `db package` (youngGenerationKeptSmall); a built-in module first loaded after
    // that is compiled from its source, its code cache rejected under the changed flags. Output to pipes, as a CI run
    // or the bench has (the streams of process.stdout and process.stderr load net for them).
    it('db package compiles no built-in module without its code cache', () => {
      for (const changelog of ['master.xml', 'master.yaml']) {
        const r = runBin(['db', 'package', '--root', dir, '--changelog', changelog, '--out-file', 'package.sql'], dir, {
          env: { NODE_DEBUG_NATIVE: 'CODE_CACHE', SOURCE_DATE_EPOCH: '0' },
        });
        expect(r.code).toBe(0);
        // Node's debug output is there (the check below is not vacuous) and names no rejected module.
        expect(r.stderr).toMatch(/Code cache of \S+ .*is accepted/);
        expect(r.stderr.split('\n').filter((l) => /Code cache of .* is rejected/.test(l))).toEqual([]);
      }
    });
  });
});
