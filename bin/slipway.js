#!/usr/bin/env node
// Thin launcher: runs the CLI's esbuild bundle, dist/bundle/ (tools/bundle.mjs, run by `npm run build:ts` and so by
// `npm ci` through `prepare`). The bundle, not tsc's dist/, because it starts faster: bench/results-startup.md.
// CommonJS (bin/package.json): the db commands then never start Node's ESM loader (16 M instructions on Node 20).
'use strict';
const {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} = require('node:fs');
const nodeModule = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const vm = require('node:vm');

const args = process.argv.slice(2);
// `slipway db …` runs dist/bundle/db/main.cjs, the same CLI built with only the db commands, in one file that this
// launcher compiles with a V8 code cache (tools/bundle.mjs, runWithCodeCache): when the first word that is not an
// option is `db`, src/cli/main.ts's commandGroupsFor loads the db group alone.
const words = args.filter((a) => !a.startsWith('-'));
const db = words[0] === 'db';
/** `slipway db package`: its young generation is kept small (youngGenerationKeptSmall). */
const dbPackage = db && words[1] === 'package';
/**
 * The kind of db run, which names its code cache (runWithCodeCache): the command word (`package`, `apply`,
 * `status`…), `help` for help and version output, `db` when there is no usable word.
 */
const dbRunKind = !db
  ? null
  : args.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-V') || words[1] === 'help'
    ? 'help'
    : /^[a-z][a-z-]{0,31}$/.test(words[1] ?? '')
      ? words[1]
      : 'db';
const entry = db ? path.join(__dirname, '../dist/bundle/db/main.cjs') : path.join(__dirname, '../dist/bundle/main.js');
if (!existsSync(entry)) {
  process.stderr.write('slipway: dist/bundle/ is missing; run `npm run build:ts` in the slipway checkout first.\n');
  process.exit(2);
}
void launch(args);

async function launch(argv) {
  if (!needsLiftoff(argv)) await run(argv);
  else if (Number(process.versions.node.split('.')[0]) <= 22) {
    // Node 20 and 22 take the flag at run time, before the parser's module is compiled (measured: the same CPU and
    // memory as on the command line), which spares a second process (~45 MB resident while it waits). node:v8 is
    // required only here: it loads stream and heap-snapshot code that other commands do not need.
    require('node:v8').setFlagsFromString('--liftoff-only');
    await run(argv);
  } else await runWithLiftoff(argv);
}

/**
 * Whether this command runs libpg-query's WebAssembly SQL parser here (compile, and the compile phase of package and
 * build) without V8's --liftoff-only. Without it V8 also compiles the parser's module with its optimising compiler
 * in the background: on Node 24 the example's build then peaked at 670 MB (the parser alone over 3 MB of SQL: 630 MB;
 * with the flag 120 MB), and the flag cuts the parser's CPU on that SQL: 1.9-2.6 -> 1.5-2.2 s on Node 20 and 22,
 * 3.4-4.0 -> 1.2 s on 24. Node 24 ignores it from v8.setFlagsFromString and NODE_OPTIONS does not accept it, so there it
 * must be on the command line. A plan (--dry-run) or help parses no SQL.
 */
function needsLiftoff(argv) {
  return (
    ['build', 'compile', 'package'].includes(argv[0]) &&
    !process.execArgv.includes('--liftoff-only') &&
    !argv.some((a) => a === '--dry-run' || a === '--help' || a === '-h')
  );
}

/**
 * Runs this launcher again with --liftoff-only, sharing stdio, and ends as it ends (its exit code, or its signal).
 * This process only waits: it loads nothing of Slipway's. A signal sent to it is passed on (one from a terminal
 * reaches both, as they share the process group; build, compile and package do not handle signals, so the second
 * copy changes nothing).
 */
async function runWithLiftoff(argv) {
  const { spawn } = require('node:child_process');
  // The relay is in place before the second process exists: a signal that came between spawn() and the listeners
  // would end this process by default and leave the second one running on its own. Listeners run only after this
  // synchronous code, so `child` is always set when one does.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'];
  const relay = (sig) => child.kill(sig);
  for (const sig of signals) process.on(sig, relay);
  const child = spawn(process.execPath, [...process.execArgv, '--liftoff-only', __filename, ...argv], {
    stdio: 'inherit',
  });
  const [code, signal] = await new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (c, s) => resolve([c, s]));
  });
  for (const sig of signals) process.off(sig, relay);
  if (signal) process.kill(process.pid, signal);
  else process.exitCode = code ?? 1;
}

/** Runs the CLI in this process. */
async function run(argv) {
  if (db) return runWithCodeCache(entry, argv);
  // Node ≥ 22.1 caches compiled code between runs (start-up is most of a short command; bench/results-startup.md);
  // Node 20 has no such cache and skips this. It lives in the user's cache directory (NODE_COMPILE_CACHE overrides;
  // NODE_DISABLE_COMPILE_CACHE, set to anything, turns it off as Node itself reads it). A directory that cannot be
  // written only costs the cache, never the command: enableCompileCache reports that rather than throwing, and
  // anything else that goes wrong here is dropped too.
  if (nodeModule.enableCompileCache && process.env.NODE_DISABLE_COMPILE_CACHE === undefined) {
    try {
      const { userCacheDir } = require('../dist/bundle/cache-dir.cjs');
      nodeModule.enableCompileCache(process.env.NODE_COMPILE_CACHE || path.join(userCacheDir(), 'node-compile-cache'));
    } catch {
      // no cache this run
    }
  }
  const { main } = await import(pathToFileURL(entry).href);
  process.exitCode = await main(argv);
}

/**
 * Runs a CommonJS bundle's `main(argv)` (dist/bundle/db/main.cjs), compiled by node:vm with a V8 code cache of the
 * functions an earlier run of the same kind compiled, which spares most of the parsing and compiling that were a third
 * of a short command's own work. `db package` of the corpus registry unit (callgrind, whole process, the ESM chunks of
 * dist/bundle/db/ before -> this): Node 20 874 -> 811 M instructions (503 M of them Node's start-up with
 * NODE_EXTRA_CA_CERTS, see below), 22 404 -> 393, 24 372 -> 363 (both with Node's compile cache before).
 * One cache per kind of run (dbRunKind: `db package`, `db status`…): V8 compiles what the cache lacks from scratch,
 * so a `db package` with a cache made by `db rollback-sql` cost 771-783 M instructions against 739-744 M with its own
 * (registry, Node 20); the functions a cache holds beyond the run's cost next to nothing (a cache made by registry's
 * package, a tiny SQL package and a rollback-sql run together: 742-745 M). The cache is made once the command has run
 * and succeeded (exit code 0), so it holds every function a whole run needed, and is rewritten when V8 rejects it
 * (other V8 flags) or the bundle changed (its last line, //# codeCacheKey=, is a hash of it, written by
 * tools/bundle.mjs; V8 itself compares only the source's length). An accepted cache is never rewritten: making one
 * costs ~40 M instructions, too much to do on every run. So a kind's cache holds what its first successful run
 * compiled: a `db package` of a tiny formatted-SQL changelog, made first, cost the registry's XML package 769-770 M.
 * One file per bundle location, Node version and kind of run, in <user cache dir>/code-cache (src/cache-dir.ts),
 * pruned of gone installs' caches whenever one is written; NODE_DISABLE_COMPILE_CACHE turns it off, as it does Node's.
 * Without a usable cache a run compiles the whole file: 963 M for that command on Node 20 (whitespace-free bundle,
 * c6c3e1f), 10 % more than the ESM chunks it replaced. A cache that cannot be read or written costs only that.
 *
 * NODE_EXTRA_CA_CERTS (set on many CI machines) costs Node 20 ~420 M instructions (~50 ms) in every process, before
 * any JavaScript runs, so nothing here can avoid it: Node 20's per-process start-up (node::InitializeOncePerProcess ->
 * crypto::UseExtraCaCerts) builds the root certificate store (NewRootCertStore, ~200 M) and parses every certificate
 * of that file (PEM_read_bio_X509, ~200 M for Debian's 146). `node -e 0`, callgrind: 505 M with it, 84 M without.
 * Node 22 and 24 read the file only when the first TLS context is made (85.9 and 87.9 M either way), which
 * `db package` never does.
 */
async function runWithCodeCache(file, argv) {
  const { script, cache, cacheWanted } = compileWithCodeCache(file);
  const mod = { exports: {} };
  script.runInThisContext()(mod.exports, nodeModule.createRequire(file), mod, file, path.dirname(file));
  process.exitCode = await mod.exports.main(argv);
  // A failed run (a usage error, a typo for a command word) compiled only part of what the command needs.
  if (cache && process.exitCode === 0 && cacheWanted) {
    try {
      // Written whole, then renamed: a run that reads it meanwhile sees the old file or the new one, never a part.
      const tmp = `${cache.file}.${process.pid}.tmp`;
      writeFileSync(tmp, Buffer.concat([cache.key, script.createCachedData()]));
      renameSync(tmp, cache.file);
    } catch {
      // no cache next time either
    }
    pruneCodeCaches(cache.file);
  }
}

/**
 * Compiles the bundle `file` with its code cache; whether a cache should be written once the command has run (none,
 * or V8 rejected it). Its own function, not inline in runWithCodeCache: the bundle's text as read (1.5 MB; V8 keeps
 * the wrapped copy it compiled) and the cache's bytes (0.7 MB) are then no longer reachable while the command runs,
 * where runWithCodeCache's locals would live across its await (heap snapshot of `db package`: both were held to the
 * end by the async function's saved registers).
 */
function compileWithCodeCache(file) {
  const source = readFileSync(file, 'utf8');
  const cache = codeCacheOf(file, source);
  let cachedData;
  try {
    const data = cache && readFileSync(cache.file);
    // The file starts with the key of the bundle it was made from (a cache of an older build is not used).
    if (data && data.subarray(0, cache.key.length).equals(cache.key)) cachedData = data.subarray(cache.key.length);
  } catch {
    // none yet
  }
  // Before the bundle is compiled: V8 accepts a code cache only under the flags it was made with, and this kind of
  // run's cache is made under these too (so no flag needs putting back, whatever this V8's defaults are).
  if (dbPackage) youngGenerationKeptSmall();
  // Node's own CommonJS wrapper, on the source's first line: line numbers (and the source map) stay as they are.
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: file,
    cachedData,
  });
  return { script, cache, cacheWanted: cachedData === undefined || script.cachedDataRejected === true };
}

/**
 * `db package` holds its parsed changelog until the package is written, so most of what it allocates survives V8's
 * young-generation collections, and V8 answers that by doubling the young generation's semi-spaces after each such
 * collection (to 16 MB each on Node 20 and 22, 32 MB on 24: 32-64 MB resident). Growth factor 1 keeps them at their
 * initial 1 MB; V8 reads it at each growth, so it holds when set at run time (--max-semi-space-size is read once, at
 * start-up, and a launcher that starts Node again costs a second process). `db package` of bench/db.bench.mjs's
 * 10,000-changeset changelog (9.1 MB of SQL; GNU time, medians of 5 runs): peak RSS on Node 20 118 -> 93 MB, 22
 * 127 -> 103 MB, 24 163 -> 105 MB; instructions (callgrind, whole process, Node 20) within the spread of runs
 * (3.87-4.05 G both). The corpus registry unit: 60 -> 59 MB, 760 -> 764 M instructions. Only for this command: a
 * server's throughput wants a young generation that grows.
 */
function youngGenerationKeptSmall() {
  // Node compiles its own modules with a code cache that V8 also checks against its flags: those the command loads
  // (measured with process.moduleLoadList) are loaded before the flag is set, or each would be compiled from scratch
  // (+57 M instructions, 7 %, on the corpus registry unit's package). One left out costs only that. node:child_process
  // only when the command will ask git for the package's time (src/manifest/package-time.ts: not with SOURCE_DATE_EPOCH
  // set), since loading it costs a command ~3 ms (test/integration/cli-bundle.test.ts). node:process is commander's,
  // node:tty src/cli/output.ts's, and process.stdout and process.stderr, which every run writes through, are made here:
  // their streams load the modules their kind of file needs (net, diagnostics_channel and perf for a pipe, tty for a
  // terminal, a sync write stream for a file). Loaded after the flags, the 7 of a run with pipes (a CI job, the bench;
  // NODE_DEBUG_NATIVE=CODE_CACHE names them) were compiled from source: the corpus registry unit's package 333-338 ->
  // 323-328 M instructions (callgrind, whole process, cache warm, 3 runs each; Node 22 331 -> 320 M).
  const builtins = ['node:crypto', 'node:fs/promises', 'node:process', 'node:tty'];
  if (process.env.SOURCE_DATE_EPOCH === undefined) builtins.push('node:child_process');
  for (const m of builtins) require(m);
  void process.stdout;
  void process.stderr;
  const v8 = require('node:v8');
  v8.setFlagsFromString('--semi-space-growth-factor=1');
  // Also a smaller inlining budget for the optimising compiler (default 920 bytes of bytecode per function): a
  // package runs for 0.1-2 s, and TurboFan, compiling the changeset builders with all they call inlined, was 42 % of
  // the instructions of fineract's pass 1 (a single function ~0.7 s of a compile thread: --trace-opt). `db package`,
  // callgrind, whole process, Node 20, cache warm: fineract 7.1 -> 6.0 G, traccar 985 -> 949 M (main thread within
  // the spread of runs).
  v8.setFlagsFromString('--max-inlined-bytecode-size-cumulative=200');
}

/**
 * Removes the code caches of installs that are gone (each cache names its bundle on its second line; every `npx`
 * version or moved checkout leaves some of ~0.6 MB behind), this install's cache of an older launcher (one for every
 * kind of run, its name without the kind) and temporary files left by a run that died writing. Only after a write,
 * which happens once per build of the bundle and kind of run, so ordinary runs never list the directory.
 */
function pruneCodeCaches(kept) {
  const dir = path.dirname(kept);
  const unkinded = path.basename(kept).slice(0, -`-${dbRunKind}`.length);
  const head = Buffer.alloc(4096);
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const file = path.join(dir, name);
    if (file === kept) continue;
    try {
      if (name === unkinded) {
        unlinkSync(file);
        continue;
      }
      if (name.endsWith('.tmp')) {
        if (Date.now() - statSync(file).mtimeMs > 3_600_000) unlinkSync(file);
        continue;
      }
      const fd = openSync(file, 'r');
      let n;
      try {
        n = readSync(fd, head, 0, head.length, 0);
      } finally {
        closeSync(fd);
      }
      // `<key>\n<bundle path>\n<V8 data>`; a file without that header is a cache of an older launcher
      const lines = head.subarray(0, n).toString('latin1').split('\n', 3);
      const bundle = lines.length === 3 ? lines[1] : '';
      if (!path.isAbsolute(bundle) || !existsSync(bundle)) unlinkSync(file);
    } catch {
      // another run removed or replaced it meanwhile
    }
  }
}

/**
 * Where the code cache of `file` lives (one file per bundle location, Node version and kind of run, so a rebuild
 * replaces it) and the key its content must start with (the bundle's); null when off or the bundle has no key.
 */
function codeCacheOf(file, source) {
  if (process.env.NODE_DISABLE_COMPILE_CACHE !== undefined) return null;
  const key = /\/\/# codeCacheKey=(\w+)\n$/.exec(source.slice(-80))?.[1];
  if (!key) return null;
  try {
    const { userCacheDir } = require('../dist/bundle/cache-dir.cjs');
    const dir = path.join(userCacheDir(), 'code-cache');
    mkdirSync(dir, { recursive: true });
    // The location's hash keeps two installs from overwriting each other's cache on every run (FNV-1a, 32 bits).
    let h = 0x811c9dc5;
    for (let i = 0; i < file.length; i++) h = Math.imul(h ^ file.charCodeAt(i), 0x01000193) >>> 0;
    return {
      file: path.join(dir, `${h.toString(16)}-${process.version}-${process.arch}-${dbRunKind}`),
      // the bundle's key, then its path: a cache of another build or of another install sharing the hash is not used
      key: Buffer.from(`${key}\n${file}\n`),
    };
  } catch {
    return null;
  }
}
