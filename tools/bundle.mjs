#!/usr/bin/env node
// Builds the CLI that bin/slipway.js runs: an esbuild bundle of src/ with its third-party packages folded in, in
// dist/bundle/ (run by `npm run build:ts` and so by `npm ci`'s prepare). Measured by bench/startup.bench.mjs: Node
// start-up of a command is mostly resolving and loading hundreds of small module files, and one file per command
// group cuts it (a bundle of Slipway's own code alone, packages left in node_modules, gained nothing).
//
// Entries: the CLI (src/cli/main.ts; its command groups are dynamic imports, so each becomes its own chunk and a
// command loads only its group), and the two programs Slipway forks (the build's verification child and the
// blue-green proxy), which src/package-root.ts finds as dist/bundle/<name>.js. Shared code goes into chunks. The
// launcher's src/cache-dir.ts is built apart, as dist/bundle/cache-dir.cjs (cacheDirOptions). The TypeScript is compiled by esbuild from src/ directly, as vitest runs it; tsc's dist/ output
// stays for type checking and the benches that import it.
//
// A second build writes dist/bundle/db/main.cjs: the same CLI with only the `db` command group (dbBundleOptions), as
// one CommonJS file that bin/slipway.js runs for `slipway db …` with a V8 code cache (issue 14: start-up is most of
// a `db package`; in the full bundle it loaded 26 files, and compiling them was a third of its own start-up).
//
// Also writes dist/bundle/THIRD-PARTY-NOTICES.md: the name, version, licence and licence text of every package
// folded into the bundle (their code is redistributed inside Slipway's files, so their notices must travel with it).
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const repo = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repo, 'dist', 'bundle');

/**
 * Left in node_modules, loaded from there at run time. Each of these finds files next to its own code, which a
 * bundle would move away from them: PGlite (its postgres .wasm and initdb .data), libpg-query (its .wasm),
 * lightningcss and esbuild (a native binary per platform). pg-native is pg's optional native driver (not installed);
 * npm-groovy-lint and tsx are devDependencies that are only ever resolved as files (src/package-root.ts).
 */
export const EXTERNAL = [
  '@electric-sql/pglite',
  'libpg-query',
  'lightningcss',
  'esbuild',
  'pg-native',
  'npm-groovy-lint',
  'tsx',
];

/**
 * commander's `require('node:child_process')` resolves to tools/child-process-on-use.cjs, which requires the real
 * module on first use: commander loads it at start-up only for executable subcommands, which Slipway has none of.
 */
const childProcessOnUse = {
  name: 'commander-child-process-on-use',
  setup(build) {
    build.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: path.join(repo, 'tools', 'child-process-on-use.cjs') }
        : undefined,
    );
  },
};

/** esbuild's options for the bundle written to `outdir` (bench/startup.bench.mjs builds variants from them). */
export function bundleOptions(outdir) {
  return {
    absWorkingDir: repo,
    entryPoints: {
      main: 'src/cli/main.ts',
      'verify-main': 'src/cli/verify-main.ts',
      'proxy-main': 'src/cli/proxy-main.ts',
    },
    outdir,
    chunkNames: 'chunk-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    tsconfig: path.join(repo, 'tsconfig.build.json'),
    external: EXTERNAL,
    // src/package-root.ts: this code runs from the bundle, so files are found from the package root, not next to it.
    define: { __SLIPWAY_BUNDLE__: 'true' },
    // Bundled CommonJS packages call require() for Node built-ins; ESM output has no require unless given one.
    banner: {
      js: "import { createRequire as __slipwayCreateRequire } from 'node:module'; const require = __slipwayCreateRequire(import.meta.url);",
    },
    // Stack traces map back to src/ with `node --enable-source-maps` (off by default: it costs start-up time).
    sourcemap: 'linked',
    sourcesContent: false,
    legalComments: 'eof',
    metafile: true,
    logLevel: 'warning',
    plugins: [childProcessOnUse],
  };
}

const MAIN_TS = path.join(repo, 'src', 'cli', 'main.ts');

/**
 * The db bundle's one change to the CLI: main.ts's other command groups (build, deploy, serve) become a module that
 * throws (bin/slipway.js runs this bundle only when the first word is `db`, when main.ts loads the db group alone).
 */
const dbGroupOnly = {
  name: 'db-group-only',
  setup(build) {
    build.onResolve({ filter: /^\.\/commands\/(build|deploy|serve)\.js$/ }, (args) =>
      args.importer === MAIN_TS ? { path: args.path, namespace: 'not-in-db-bundle' } : undefined,
    );
    build.onLoad({ filter: /.*/, namespace: 'not-in-db-bundle' }, (args) => ({
      contents: `throw new Error(${JSON.stringify(
        `internal: ${args.path} is not in dist/bundle/db/ (the db commands only); bin/slipway.js should have run dist/bundle/main.js`,
      )});`,
      loader: 'js',
    }));
  },
};

/**
 * esbuild's options for the db bundle written to `outdir` (dist/bundle/db/): main.ts with the db commands only, as
 * one CommonJS file, main.cjs, that bin/slipway.js compiles itself with a V8 code cache (issue 14: compiling the
 * code is a third of a `db package`'s own start-up, and Node 20 has no compile cache; Node 22's caches the ESM
 * modules but not the functions they compile lazily). One file, as a code cache is per script; its modules are
 * still initialised only when a command first imports them (esbuild's lazy `__esm` wrappers), so what a run does
 * not use costs it nothing once the cache exists. import() becomes require() (supported: dynamic-import false): a
 * script compiled by node:vm can run import() only with --experimental-vm-modules or an experimental loader
 * (a warning on stderr); the packages left external that it loads that way (PGlite, pg-native) ship CommonJS too.
 * import.meta.url (src/package-root.ts) is this file's URL, from the banner.
 */
export function dbBundleOptions(outdir) {
  const options = bundleOptions(outdir);
  return {
    ...options,
    entryPoints: { main: 'src/cli/main.ts' },
    format: 'cjs',
    splitting: false,
    outExtension: { '.js': '.cjs' },
    supported: { 'dynamic-import': false },
    // Without the whitespace (1.9 -> 1.4 MB) a run reads, decodes and hands V8 less source, and the code cache
    // deserialises faster: `db package` of the corpus registry unit, callgrind, whole process, warm cache:
    // Node 20 796 -> 770 M instructions, 22 378 -> 353, 24 357 -> 325. Names stay (stacks, the source map maps them).
    minifyWhitespace: true,
    define: { ...options.define, 'import.meta.url': '__slipwayImportMetaUrl' },
    // "use strict" first, where a directive must be (esbuild's own comes after the banner): the code is ESM's.
    banner: { js: `"use strict"; var __slipwayImportMetaUrl = require('node:url').pathToFileURL(__filename).href;` },
    plugins: [...options.plugins, dbGroupOnly],
  };
}

/**
 * dist/bundle/cache-dir.cjs: src/cache-dir.ts alone, as CommonJS, which bin/slipway.js (CommonJS too) requires
 * before it runs a command: no ESM module (and, for the db commands, no ESM loader at all) only to find a directory.
 */
export function cacheDirOptions(outdir) {
  return {
    absWorkingDir: repo,
    entryPoints: { 'cache-dir': 'src/cache-dir.ts' },
    outdir,
    outExtension: { '.js': '.cjs' },
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20.19',
    tsconfig: path.join(repo, 'tsconfig.build.json'),
    logLevel: 'warning',
  };
}

/** Builds dist/bundle/ (and dist/bundle/db/) and returns esbuild's metafiles. */
export async function buildBundle() {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  const result = await esbuild.build(bundleOptions(out));
  const db = await esbuild.build(dbBundleOptions(path.join(out, 'db')));
  markCodeCacheKey(path.join(out, 'db', 'main.cjs'));
  await esbuild.build(cacheDirOptions(out));
  // The db bundle is built from the same sources, so its packages are among the full bundle's: one notices file.
  const extra = Object.keys(db.metafile.inputs).filter((i) => packageDirOf(i) && !result.metafile.inputs[i]);
  if (extra.length) throw new Error(`dist/bundle/db/ folds in files the full bundle does not: ${extra.join(', ')}`);
  writeFileSync(path.join(out, 'THIRD-PARTY-NOTICES.md'), notices(result.metafile));
  return [result.metafile, db.metafile];
}

/**
 * Copies src/data/ (data files read at run time, such as the Unicode character names behind a pattern's `\N{name}`)
 * to dist/data/, where src/package-root.ts's dataFile finds them for the bundle and tsc's dist/.
 */
export function copyDataFiles() {
  const data = path.join(repo, 'dist', 'data');
  rmSync(data, { recursive: true, force: true });
  cpSync(path.join(repo, 'src', 'data'), data, { recursive: true });
}

/**
 * Ends `file` with a line naming a hash of its content, `//# codeCacheKey=<hex>`: bin/slipway.js keeps a V8 code
 * cache of the db bundle and uses it only for the bundle it was made from (V8 itself compares the source's length
 * only), without hashing 2 MB on every run.
 */
export function markCodeCacheKey(file) {
  const text = readFileSync(file, 'utf8');
  const key = createHash('sha256').update(text).digest('hex').slice(0, 32);
  writeFileSync(file, `${text}//# codeCacheKey=${key}\n`);
}

/** The directory of the package an input file belongs to (the part up to its last node_modules/<name>). */
function packageDirOf(input) {
  const parts = input.split('/');
  const i = parts.lastIndexOf('node_modules');
  if (i < 0) return null;
  const n = parts[i + 1]?.startsWith('@') ? 3 : 2;
  return parts.slice(0, i + n).join('/');
}

const LICENSE_FILE = /^(licen[sc]e|copying|notice)(\.|-|$)/i;

// The standard texts of the two licences used by bundled packages that ship no licence file (abstract-logging,
// pg-types, pgpass: MIT; saxes: ISC), completed with the copyright holder their package.json names.
const SPDX_TEXT = {
  MIT: (holder) => `MIT License

Copyright (c) ${holder}

Permission is hereby granted, free of charge, to any person obtaining a copy of this software and associated
documentation files (the "Software"), to deal in the Software without restriction, including without limitation the
rights to use, copy, modify, merge, publish, distribute, sublicense, and/or sell copies of the Software, and to permit
persons to whom the Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or substantial portions of the
Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING BUT NOT LIMITED TO THE
WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR
COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR
OTHERWISE, ARISING FROM, OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.`,
  ISC: (holder) => `ISC License

Copyright (c) ${holder}

Permission to use, copy, modify, and/or distribute this software for any purpose with or without fee is hereby
granted, provided that the above copyright notice and this permission notice appear in all copies.

THE SOFTWARE IS PROVIDED "AS IS" AND THE AUTHOR DISCLAIMS ALL WARRANTIES WITH REGARD TO THIS SOFTWARE INCLUDING ALL
IMPLIED WARRANTIES OF MERCHANTABILITY AND FITNESS. IN NO EVENT SHALL THE AUTHOR BE LIABLE FOR ANY SPECIAL, DIRECT,
INDIRECT, OR CONSEQUENTIAL DAMAGES OR ANY DAMAGES WHATSOEVER RESULTING FROM LOSS OF USE, DATA OR PROFITS, WHETHER IN AN
ACTION OF CONTRACT, NEGLIGENCE OR OTHER TORTIOUS ACTION, ARISING OUT OF OR IN CONNECTION WITH THE USE OR PERFORMANCE OF
THIS SOFTWARE.`,
};

/**
 * The licence text(s) of one package: its licence files verbatim; else the licence section of its README (pg-types
 * and pgpass keep the full MIT text there); else the standard text of its package.json licence with its author as
 * the holder. Throws when none applies, so a new bundled package cannot ship without a notice.
 */
function licenceTexts(dir, pkg, license) {
  const abs = path.join(repo, dir);
  const entries = readdirSync(abs);
  const files = entries.filter((f) => LICENSE_FILE.test(f)).sort();
  if (files.length > 0) return files.map((f) => ({ from: f, text: readFileSync(path.join(abs, f), 'utf8') }));
  const readme = entries.find((f) => /^readme(\.|$)/i.test(f));
  if (readme) {
    const m = /^#+\s*licen[sc]e\s*\n([\s\S]*?)(?=^#+\s|(?![\s\S]))/im.exec(
      readFileSync(path.join(abs, readme), 'utf8'),
    );
    if (m && /permission|copyright/i.test(m[1])) return [{ from: `${readme}, licence section`, text: m[1] }];
  }
  const author = typeof pkg.author === 'string' ? pkg.author : pkg.author?.name;
  if (SPDX_TEXT[license] && author)
    return [
      {
        from: `the standard ${license} text: the package ships none; holder from package.json's author`,
        text: SPDX_TEXT[license](author.replace(/\s*[<(].*$/, '')),
      },
    ];
  throw new Error(`${pkg.name}@${pkg.version} (bundled) has no licence text: add its notice or leave it external`);
}

/** THIRD-PARTY-NOTICES.md: one section per bundled package, with its licence text. */
function notices(metafile) {
  const dirs = new Set();
  for (const input of Object.keys(metafile.inputs)) {
    const dir = packageDirOf(input);
    if (dir) dirs.add(dir);
  }
  const packages = [...dirs].map((dir) => {
    const pkg = JSON.parse(readFileSync(path.join(repo, dir, 'package.json'), 'utf8'));
    const license = typeof pkg.license === 'string' ? pkg.license : (pkg.license?.type ?? 'UNKNOWN');
    return { name: pkg.name, version: pkg.version, license, texts: licenceTexts(dir, pkg, license) };
  });
  packages.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version < b.version ? -1 : 1));
  const lines = [
    '# Third-party notices',
    '',
    "Slipway's CLI bundle (dist/bundle/, built by tools/bundle.mjs) contains code from the packages below. Each",
    "one's licence text follows. Packages not bundled (loaded from node_modules) carry their own notices there.",
    '',
    ...packages.map((p) => `- ${p.name} ${p.version} (${p.license})`),
  ];
  for (const p of packages) {
    lines.push('', `## ${p.name} ${p.version} (${p.license})`);
    for (const t of p.texts) lines.push('', `From ${t.from}:`, '', '```', t.text.trim(), '```');
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const metas = await buildBundle();
  copyDataFiles();
  for (const [meta, dir] of [
    [metas[0], 'dist/bundle'],
    [metas[1], 'dist/bundle/db'],
  ]) {
    const files = Object.keys(meta.outputs).filter((f) => /\.c?js$/.test(f));
    const bytes = files.reduce((n, f) => n + meta.outputs[f].bytes, 0);
    const entry = dir.endsWith('/db') ? 'main.cjs' : 'main.js';
    if (!existsSync(path.join(repo, dir, entry))) throw new Error(`${dir}/${entry} was not written`);
    process.stderr.write(
      `${dir}: ${files.length} files, ${(bytes / 1e6).toFixed(1)} MB from ${Object.keys(meta.inputs).length} inputs\n`,
    );
  }
}
