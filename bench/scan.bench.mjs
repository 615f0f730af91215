#!/usr/bin/env node
// Scan + hash at 1k / 10k / 100k files (about 10 KB each, ~1 GB at 100k) against `find` + `sha256sum` over the
// same files, each Slipway run in its own child process reporting its peak RSS; then the compile cache:
// cold compile vs rebuild with one file changed. Trees are generated under /tmp and deleted afterwards.
// Run: npm run bench -- scan   (SCAN_BENCH_SIZES=1000,10000 to pick sizes). Writes bench/results-scan.md.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, readFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const load0 = loadavg();
const dist = (p) => pathToFileURL(path.join(here, '..', 'dist', p)).href;

async function makeConfig(root, compile = {}) {
  const { configSchema } = await import(dist('config/schema.js'));
  const parsed = configSchema.parse({
    name: 'bench',
    version: '1.0.0',
    build: {
      components: {
        application: { include: ['src/**'], base: 'src/' },
        database: { include: ['db/**'] },
        docs: { include: ['docs/**'] },
      },
      compile,
    },
  });
  return {
    ...parsed,
    version: '1.0.0',
    configFile: path.join(root, 'slipway.config.yaml'),
    configDir: root,
    rootDir: root,
    environment: 'bench',
    sources: {},
  };
}

// ---- child: one scan + hash, printed as JSON with this process's peak RSS --------------------------------------
if (process.argv[2] === '--child-scan') {
  const root = process.argv[3];
  const listFile = process.argv[4];
  const { scanProject } = await import(dist('fileset/scan.js'));
  const { hashFileSet } = await import(dist('fileset/hash.js'));
  const config = await makeConfig(root);
  const t0 = performance.now();
  const scan = await scanProject(config);
  const t1 = performance.now();
  await hashFileSet(scan.fileSet, { concurrency: 8 });
  const t2 = performance.now();
  writeFileSync(listFile, scan.fileSet.files.map((f) => f.absPath).join('\0'));
  const packagedBytes = scan.fileSet.files.reduce((s, f) => s + f.size, 0);
  process.stdout.write(
    JSON.stringify({
      packagedFiles: scan.fileSet.files.length,
      packagedBytes,
      totalFiles: scan.inventory.totalFiles,
      totalBytes: scan.inventory.totalBytes,
      scanMs: t1 - t0,
      hashMs: t2 - t1,
      maxRssMB: process.resourceUsage().maxRSS / 1024, // maxRSS is in KiB
    }),
  );
  process.exit(0);
}

// ---- synthetic trees -----------------------------------------------------------------------------------------
const JS_BLOCK = Buffer.from(
  Array.from(
    { length: 400 },
    (_, i) =>
      `export function handler${i}(request, response) {\n  const value = request.params.id * ${i};\n  return response.send({ ok: true, value });\n}\n`,
  ).join(''),
);

/** n files: 70% src/ (packaged), 8% db/, 2% docs/, 10% node_modules/ and 10% logs/ (gitignored). */
function generateTree(n, avgBytes) {
  const root = mkdtempSync(path.join(tmpdir(), `slipway-bench-${n}-`));
  writeFileSync(path.join(root, '.gitignore'), 'node_modules/\nlogs/\n');
  let bytes = 0;
  const made = new Set();
  for (let i = 0; i < n; i++) {
    const r = i % 50;
    const dir =
      r < 35
        ? `src/app/m${Math.floor(i / 100)}`
        : r < 39
          ? `db/changes/c${Math.floor(i / 100)}`
          : r < 40
            ? 'docs/guide'
            : r < 45
              ? `node_modules/pkg${Math.floor(i / 100)}`
              : 'logs';
    const ext = r < 35 ? '.js' : r < 39 ? '.sql' : r < 40 ? '.md' : r < 45 ? '.js' : '.log';
    const abs = path.join(root, dir);
    if (!made.has(abs)) {
      mkdirSync(abs, { recursive: true });
      made.add(abs);
    }
    // sizes vary between 0.2x and 1.8x the average, deterministic
    const size = Math.round(avgBytes * (0.2 + ((i * 7919) % 1601) / 1000));
    const header = Buffer.from(`// file ${i}\n`);
    const body = Buffer.alloc(Math.max(0, size - header.length));
    for (let o = 0; o < body.length; o += JS_BLOCK.length)
      JS_BLOCK.copy(body, o, 0, Math.min(JS_BLOCK.length, body.length - o));
    writeFileSync(path.join(abs, `f${i}${ext}`), Buffer.concat([header, body]));
    bytes += size;
  }
  return { root, bytes };
}

function time(cmd, args, opts = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return performance.now() - t0;
}

const mb = (b) => (b / 1024 / 1024).toFixed(1);
const s = (ms) => (ms / 1000).toFixed(2);

// ---- scale: scan + hash --------------------------------------------------------------------------------------
const sizes = (process.env.SCAN_BENCH_SIZES ?? '1000,10000,100000').split(',').map(Number);
const REPEAT = Number(process.env.SCAN_BENCH_REPEAT ?? 3);
const rows = [];
for (const n of sizes) {
  process.stderr.write(`generating ${n} files… `);
  const { root, bytes } = generateTree(n, 10 * 1024);
  process.stderr.write(`${mb(bytes)} MB; scanning\n`);
  const list = path.join(root, '..', `${path.basename(root)}.list`);
  try {
    // Interleaved repeats, best time kept (the machine is shared, so the minimum is the least disturbed run);
    // peak RSS is the highest seen.
    let best = null;
    for (let k = 0; k < REPEAT; k++) {
      const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), '--child-scan', root, list], {
        encoding: 'utf8',
        maxBuffer: 1 << 20,
      });
      const r = JSON.parse(out);
      // find with -printf %s stats every file, as the scan must (for sizes); plain `find -type f` does not
      const findMs = time('find', [root, '-type', 'f', '-printf', '%s\\n']);
      const shaMs = time('xargs', ['-0', '-a', list, 'sha256sum'], { stdio: ['ignore', 'ignore', 'pipe'] });
      process.stderr.write(
        `  scan ${s(r.scanMs)} s, hash ${s(r.hashMs)} s, peak RSS ${r.maxRssMB.toFixed(0)} MB; find ${s(findMs)} s, sha256sum ${s(shaMs)} s\n`,
      );
      best = !best
        ? { n, bytes, ...r, findMs, shaMs }
        : {
            ...best,
            scanMs: Math.min(best.scanMs, r.scanMs),
            hashMs: Math.min(best.hashMs, r.hashMs),
            maxRssMB: Math.max(best.maxRssMB, r.maxRssMB),
            findMs: Math.min(best.findMs, findMs),
            shaMs: Math.min(best.shaMs, shaMs),
          };
    }
    rows.push(best);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(list, { force: true });
  }
}

// ---- compile cache: cold vs rebuild with one file changed ------------------------------------------------------
async function benchCompile() {
  const root = mkdtempSync(path.join(tmpdir(), 'slipway-bench-compile-'));
  const cacheDir = path.join(tmpdir(), `${path.basename(root)}-cache`);
  try {
    const files = {};
    // whole functions only (a cut in the middle of one would be a syntax error), 15 to 45 per file
    const fn = (k, i) =>
      `function handler${k}(request, response) {\n  const value = request.params.id * ${k + i};\n  return response.send({ ok: true, value });\n}\n`;
    for (let i = 0; i < 1000; i++)
      files[`src/js/m${i % 20}/w${i}.js`] =
        `// widget ${i}\n` +
        Array.from({ length: 15 + ((i * 37) % 31) }, (_, k) => fn(k, i)).join('') +
        `window.w${i} = handler0;\n`;
    for (let i = 0; i < 150; i++)
      files[`src/css/s${i}.css`] = Array.from(
        { length: 40 },
        (_, k) => `.c${i}-${k} {\n  color: #ff0000;\n  margin: 0px 0px 0px 0px;\n}\n`,
      ).join('');
    for (let i = 0; i < 150; i++)
      files[`src/data/d${i}.json`] = JSON.stringify(
        { id: i, items: Array.from({ length: 50 }, (_, k) => ({ k, name: `item ${k}` })) },
        null,
        2,
      );
    for (let i = 0; i < 100; i++)
      files[`db/c${i}.sql`] =
        `--liquibase formatted sql\n--changeset bench:${i}\nCREATE TABLE t${i} (id serial PRIMARY KEY, name text NOT NULL);\nINSERT INTO t${i} (name) VALUES ('a'), ('b');\n`;
    for (let i = 0; i < 20; i++)
      files[`src/groovy/R${i}.groovy`] =
        `class R${i} {\n  def find(id) { [id: id, tags: [1, 2].collect { it * ${i} }] }\n}\n`;
    for (const [rel, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      writeFileSync(path.join(root, rel), text);
    }
    const { scanProject } = await import(dist('fileset/scan.js'));
    const { compileFileSet } = await import(dist('builder/compile/index.js'));
    const config = await makeConfig(root);
    const run = async () => {
      const t0 = performance.now();
      const fs = (await scanProject(config, { skipDirs: [cacheDir] })).fileSet;
      const r = await compileFileSet(config, fs, { cacheDir });
      return {
        ms: performance.now() - t0,
        cache: r.cache,
        groovy: r.findings.find((f) => f.name === 'groovy')?.reason ?? 'none',
      };
    };
    const cold = await run();
    const warm = await run();
    const changed = path.join(root, 'src/js/m3/w3.js');
    writeFileSync(changed, readFileSync(changed, 'utf8') + '\nfunction added() { return 1; }\n');
    const one = await run();
    return { files: Object.keys(files).length, cold, warm, one };
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
process.stderr.write('compile cache bench…\n');
const c = await benchCompile();

// ---- report ------------------------------------------------------------------------------------------------
const per1k = (ms, n) => (ms / (n / 1000)).toFixed(0);
const lines = [
  '## scan (stage) and compile cache',
  '',
  `Command: \`npm run bench -- scan\` (bench/scan.bench.mjs) — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}.`,
  'Trees are synthetic (70% packaged JS under src/, 8% SQL, 2% docs, 20% gitignored node_modules/ and logs/), ~10 KB per file,',
  'written just before the run (so the page cache is warm for Slipway and the peers alike). Each Slipway scan+hash runs in',
  `its own child process; peak RSS is that process's \`resourceUsage().maxRSS\` (highest of ${REPEAT} runs); times are the best of ${REPEAT}`,
  'interleaved runs. Peers over the same tree / the same packaged files:',
  "`find <root> -type f -printf '%s\\n'` (a walk that stats every file, as the scan must) and `xargs -0 sha256sum`.",
  `Load average at the start of the run: ${load0.map((l) => l.toFixed(1)).join(' ')} (the machine is shared; timings are noisy).`,
  '',
  '| files | tree MB | packaged files | scan s | scan ms/1k files | hash s | peak RSS MB | find s | sha256sum s | (scan+hash)/(find+sha256sum) |',
  '|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.n} | ${mb(r.totalBytes)} | ${r.packagedFiles} | ${s(r.scanMs)} | ${per1k(r.scanMs, r.n)} | ${s(r.hashMs)} | ${r.maxRssMB.toFixed(0)} | ${s(r.findMs)} | ${s(r.shaMs)} | ${((r.scanMs + r.hashMs) / (r.findMs + r.shaMs)).toFixed(2)} |`,
  ),
  '',
  `Compile cache (${c.files} files: 1000 JS, 150 CSS, 150 JSON, 100 formatted SQL, 20 Groovy; scan + compile each time):`,
  '',
  '| run | s | cache hits | misses | groovy |',
  '|---|---:|---:|---:|---|',
  `| cold (empty cache) | ${s(c.cold.ms)} | ${c.cold.cache.hits} | ${c.cold.cache.misses} | ${c.cold.groovy} |`,
  `| rebuild, nothing changed | ${s(c.warm.ms)} | ${c.warm.cache.hits} | ${c.warm.cache.misses} | ${c.warm.groovy} |`,
  `| rebuild, one JS file changed | ${s(c.one.ms)} | ${c.one.cache.hits} | ${c.one.cache.misses} | ${c.one.groovy} |`,
  '',
  `Speed-up of the one-file rebuild over the cold compile: ${(c.cold.ms / c.one.ms).toFixed(1)}×.`,
  '',
];
const md = lines.join('\n');
writeFileSync(path.join(here, 'results-scan.md'), md);
process.stdout.write(md);
