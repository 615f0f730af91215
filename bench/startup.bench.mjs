#!/usr/bin/env node
// CLI start-up on Node 20, 22 and 24 (issue 14, "Start-up"): does the esbuild bundle (what bin/slipway.js runs since
// session 8), or Node's module compile cache, make a short command cheaper than tsc's dist/? Four commands, run in a
// copy of examples/umig-sample:
//   --version; `db package --env prod --out-file F`; `build --dry-run --env prod` (loads the config and plans);
//   `serve --env prod --port 0` until it prints "listening on" (then SIGKILL).
// Variants, each started through a launcher (bin/slipway.js, or a copy of it pointed elsewhere):
//   a. tsc's dist/ (what shipped until session 8), compile cache off (NODE_DISABLE_COMPILE_CACHE=1);
//   b. the esbuild bundle in dist/bundle/ (tools/bundle.mjs; what ships: bin/slipway.js itself), compile cache off;
//   c. dist/ with the launcher's compile cache (Node >= 22.1 only; "n/a" on Node 20, where the launcher
//      skips it), in a fresh $SLIPWAY_CACHE_DIR/node-compile-cache;
//   d. the bundle with the compile cache (Node >= 22.1 only);
//   e. a bundle of Slipway's own code only (tools/bundle.mjs's options with every package left in node_modules),
//      built here into a temp dir, compile cache off: how much of b's gain needs third-party code inside the bundle.
// Run `npm run build:ts` first (npm run bench does): a and c need dist/, b and d dist/bundle/.
// Each (Node, command, variant) gets one unmeasured first run (it fills the compile cache for c/d; page cache for
// all), then STARTUP_BENCH_RUNS (default 10) measured runs, interleaved round by round so load drifts hit every
// variant alike. Figures are medians of the child's CPU time (user+sys from wait4's rusage, microsecond resolution,
// through a small python3 helper: Node cannot wait4) and of its wall time (to exit, or to "listening on").
// CPU time is the primary figure: it holds on a loaded machine, wall time does not.
// Run: npm run bench -- startup   (STARTUP_BENCH_NODES=20,22,24 picks the lines; a line other than the running
// node's comes from `npx -y -p node@N`, resolved once; STARTUP_BENCH_VARIANTS=a,c runs only those and prints
// without writing the results file). Writes bench/results-startup.md.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { bundleOptions, cacheDirOptions, dbBundleOptions, markCodeCacheKey } from '../tools/bundle.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..');
const RUNS = Number(process.env.STARTUP_BENCH_RUNS ?? 10);
const LINES = (process.env.STARTUP_BENCH_NODES ?? '20,22,24').split(',').map((s) => s.trim());
const PICKED = process.env.STARTUP_BENCH_VARIANTS?.split(',').map((s) => s.trim());
const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8'));
const load0 = loadavg();
/** Whether stress-ng (a deliberate CPU load) runs on the machine, from /proc/<pid>/comm. */
const stressNg = () =>
  readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .some((d) => {
      try {
        return readFileSync(`/proc/${d}/comm`, 'utf8').startsWith('stress-ng');
      } catch {
        return false;
      }
    });
const stressAtStart = stressNg();
const startedAt = new Date().toISOString();

// One run of argv under wait4: wall ms (to exit, or to the `until` text on stderr, after which the child is
// SIGKILLed so no shutdown work is counted), user and sys ms of the child, exit status.
const WAIT4 = `
import json, os, signal, subprocess, sys, time
s = json.loads(sys.argv[1])
with open(s['stdout'], 'wb') as out:
    t0 = time.monotonic()
    p = subprocess.Popen(s['argv'], cwd=s['cwd'], env=s['env'], stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.PIPE)
    err, ready, pat = b'', None, (s.get('until') or '').encode()
    while True:
        chunk = os.read(p.stderr.fileno(), 65536)
        if not chunk:
            break
        err += chunk
        if pat and pat in err:
            ready = time.monotonic()
            os.kill(p.pid, signal.SIGKILL)
            break
    _, status, ru = os.wait4(p.pid, 0)
    end = time.monotonic()
    p.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps({'wallMs': ((ready or end) - t0) * 1000, 'cpuMs': (ru.ru_utime + ru.ru_stime) * 1000,
                  'ready': ready is not None, 'code': p.returncode, 'stderr': err.decode('utf8', 'replace')[-3000:]}))
`;
const python = (() => {
  const r = spawnSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('bench/startup.bench.mjs needs python3 (for wait4 rusage of each child)');
  return r.stdout.trim();
})();

/** The node binary of a major line: the running one when it matches, else npx's node@N, resolved once. */
function nodeBinary(line) {
  if (process.versions.node.split('.')[0] === line) return process.execPath;
  return execFileSync('npx', ['-y', '-p', `node@${line}`, 'node', '-p', 'process.execPath'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

const work = mkdtempSync(path.join(tmpdir(), 'slipway-bench-startup-'));
try {
  // The example project, outside the repo (serve writes .slipway/ beside its config).
  const app = path.join(work, 'umig');
  cpSync(path.join(repo, 'examples', 'umig-sample'), app, {
    recursive: true,
    filter: (src) => !/[/\\](\.slipway|dist|out|node_modules)$/.test(src),
  });

  const bundle = describeBundle(path.join(repo, 'dist', 'bundle'));
  const ownBundle = await buildOwnBundle(path.join(work, 'own-bundle'));
  const launchers = {
    dist: distLauncher(path.join(work, 'dist-launcher')),
    bundle: path.join(repo, 'bin', 'slipway.js'),
    ownBundle: ownBundle.launcher,
  };

  const baseEnv = { ...process.env, SOURCE_DATE_EPOCH: '1700000000' };
  for (const k of ['NODE_OPTIONS', 'NODE_COMPILE_CACHE', 'NODE_DISABLE_COMPILE_CACHE', 'SLIPWAY_CACHE_DIR'])
    delete baseEnv[k];
  const VARIANTS = [
    { id: 'a', name: 'dist/ (tsc)', launcher: 'dist', cache: false },
    { id: 'b', name: 'esbuild bundle (ships)', launcher: 'bundle', cache: false },
    { id: 'c', name: 'dist/ + compile cache', launcher: 'dist', cache: true },
    { id: 'd', name: 'bundle + compile cache', launcher: 'bundle', cache: true },
    { id: 'e', name: 'bundle of own code only', launcher: 'ownBundle', cache: false },
  ];
  const shown = VARIANTS.filter((v) => !PICKED || PICKED.includes(v.id));
  if (shown[0]?.id !== 'a') throw new Error('STARTUP_BENCH_VARIANTS must include a (the baseline)');
  const config = ['--config', path.join(app, 'slipway.config.yaml')];
  const COMMANDS = [
    { id: 'version', label: '`--version`', args: () => ['--version'] },
    {
      id: 'db-package',
      label: '`db package --env prod --out-file F`',
      args: (tag) => ['db', 'package', ...config, '--env', 'prod', '--out-file', path.join(work, `package-${tag}.sql`)],
    },
    {
      id: 'dry-run',
      label: '`build --dry-run --env prod`',
      args: () => ['build', '--dry-run', ...config, '--env', 'prod'],
    },
    {
      id: 'serve',
      label: '`serve --port 0` to "listening on"',
      args: () => ['serve', ...config, '--env', 'prod', '--port', '0'],
      until: 'listening on',
    },
  ];

  const nodes = LINES.map((line) => {
    const bin = nodeBinary(line);
    const version = execFileSync(bin, ['-p', 'process.version'], { encoding: 'utf8' }).trim();
    const cache =
      execFileSync(bin, ['-p', "typeof require('node:module').enableCompileCache"], { encoding: 'utf8' }).trim() ===
      'function';
    return { line, bin, version, cache };
  });

  const cells = [];
  for (const node of nodes)
    for (const cmd of COMMANDS)
      for (const v of VARIANTS)
        if ((!v.cache || node.cache) && (!PICKED || PICKED.includes(v.id)))
          cells.push({ node, cmd, v, first: null, runs: [], tag: `${node.line}-${v.id}` });

  const runCell = (cell) => {
    const { node, cmd, v, tag } = cell;
    const env = { ...baseEnv, SLIPWAY_CACHE_DIR: path.join(work, `cache-${tag}`) };
    if (!v.cache) env.NODE_DISABLE_COMPILE_CACHE = '1';
    const stdout = path.join(work, `stdout-${tag}-${cmd.id}`);
    const spec = {
      argv: [node.bin, launchers[v.launcher], ...cmd.args(tag)],
      cwd: app,
      env,
      stdout,
      until: cmd.until,
    };
    const r = spawnSync(python, ['-I', '-S', '-c', WAIT4, JSON.stringify(spec)], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`wait4 helper failed: ${r.stderr}`);
    const m = JSON.parse(r.stdout);
    if (cmd.until ? !m.ready : m.code !== 0)
      throw new Error(`${tag} ${cmd.id}: exit ${m.code}, ready ${m.ready}\n${m.stderr}`);
    m.stdout = readFileSync(stdout, 'utf8');
    if (cmd.id === 'version' && m.stdout.trim() !== pkg.version) throw new Error(`${tag} --version: ${m.stdout}`);
    return m;
  };

  for (const cell of cells) cell.first = runCell(cell);
  for (let round = 0; round < RUNS; round++) {
    // Rotate the order each round, so no variant always runs right after another's cache or page-cache work.
    const order = cells.map((_, i) => cells[(i + round * 7) % cells.length]);
    for (const cell of order) cell.runs.push(runCell(cell));
    process.stderr.write(`startup bench: round ${round + 1}/${RUNS}, load ${loadavg()[0].toFixed(1)}\n`);
  }

  checkSameOutput(cells);
  const md = render(nodes, COMMANDS, shown, cells, bundle, ownBundle);
  // A run of some variants only (STARTUP_BENCH_VARIANTS) is a closer look, printed but not the results file.
  if (!PICKED) writeFileSync(path.join(here, 'results-startup.md'), md);
  process.stdout.write(md);
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** Size of a built bundle directory: .js files, bytes, and (from its notices) the bundled packages. */
function describeBundle(out, inputs) {
  const files = readdirSync(out).filter((f) => f.endsWith('.js'));
  if (!files.includes('main.js')) throw new Error(`${out}/main.js is missing: run \`npm run build:ts\` first`);
  const bytes = files.reduce((n, f) => n + statSync(path.join(out, f)).size, 0);
  const notices = path.join(out, 'THIRD-PARTY-NOTICES.md');
  const packages = statSync(notices, { throwIfNoEntry: false })
    ? readFileSync(notices, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('## ')).length
    : 0;
  return { files: files.length, bytes, packages, inputs };
}

/** A copy of bin/slipway.js that runs tsc's dist/ (the CLI before the bundle shipped). */
function distLauncher(dir) {
  mkdirSync(dir, { recursive: true });
  const shipped = readFileSync(path.join(repo, 'bin', 'slipway.js'), 'utf8');
  // every command through dist/cli/main.js: the db commands too, not the launcher's CommonJS bundle with its code cache
  const abs = (rel) => JSON.stringify(path.join(repo, rel));
  const pointed = shipped
    .replace(/^const db = .*;$/m, 'const db = false;')
    .replaceAll("path.join(__dirname, '../dist/bundle/main.js')", abs('dist/cli/main.js'))
    .replaceAll("path.join(__dirname, '../dist/bundle/db/main.cjs')", abs('dist/cli/main.js'))
    .replaceAll("require('../dist/bundle/cache-dir.cjs')", `require(${abs('dist/bundle/cache-dir.cjs')})`);
  if (
    !pointed.includes('const db = false;') ||
    !pointed.includes('dist/cli/main.js') ||
    pointed.includes("'../dist/bundle/")
  )
    throw new Error(
      'bin/slipway.js no longer names `const db =`, ../dist/bundle/main.js, db/main.cjs and cache-dir.cjs: update the bench',
    );
  if (!statSync(path.join(repo, 'dist', 'cli', 'main.js'), { throwIfNoEntry: false }))
    throw new Error('dist/cli/main.js is missing: run `npm run build:ts` first');
  const launcher = path.join(dir, 'slipway.js');
  writeFileSync(launcher, pointed);
  return launcher;
}

/**
 * e: tools/bundle.mjs's bundle with every package left external, in dir/r/dist/bundle, where dir/r is a package root
 * as src/package-root.ts finds it (a copy of package.json; links to node_modules and dist/web) with a copy of
 * bin/slipway.js.
 */
async function buildOwnBundle(dir) {
  const root = path.join(dir, 'r');
  const out = path.join(root, 'dist', 'bundle');
  mkdirSync(out, { recursive: true });
  const result = await esbuild.build({ ...bundleOptions(out), packages: 'external' });
  await esbuild.build({ ...dbBundleOptions(path.join(out, 'db')), packages: 'external' });
  markCodeCacheKey(path.join(out, 'db', 'main.cjs'));
  await esbuild.build(cacheDirOptions(out));
  cpSync(path.join(repo, 'package.json'), path.join(root, 'package.json'));
  symlinkSync(path.join(repo, 'node_modules'), path.join(root, 'node_modules'));
  symlinkSync(path.join(repo, 'dist', 'web'), path.join(root, 'dist', 'web'));
  mkdirSync(path.join(root, 'bin'));
  const launcher = path.join(root, 'bin', 'slipway.js');
  cpSync(path.join(repo, 'bin', 'slipway.js'), launcher);
  cpSync(path.join(repo, 'bin', 'package.json'), path.join(root, 'bin', 'package.json'));
  return { launcher, ...describeBundle(out, Object.keys(result.metafile.inputs).length) };
}

/** Every variant must do the same work: same stdout, same SQL package, per Node line and command. */
function checkSameOutput(cells) {
  const seen = new Map();
  for (const c of cells) {
    const key = `${c.node.line} ${c.cmd.id}`;
    let got = c.runs.at(-1).stdout.replaceAll(`package-${c.tag}.sql`, 'package.sql');
    if (c.cmd.id === 'db-package') got += readFileSync(path.join(work, `package-${c.tag}.sql`), 'utf8');
    if (c.cmd.id === 'serve') got = '';
    if (!seen.has(key)) seen.set(key, { v: c.v.id, got });
    else if (seen.get(key).got !== got) throw new Error(`${key}: variant ${c.v.id} differs from ${seen.get(key).v}`);
  }
}

function render(nodes, commands, variants, cells, bundle, ownBundle) {
  const median = (xs) => {
    const s = [...xs].sort((x, y) => x - y);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const q = (xs, p) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
  const f0 = (x) => x.toFixed(0);
  const cell = (n, c, v) => cells.find((x) => x.node === n && x.cmd === c && x.v === v);
  const stats = (x) => ({
    cpu: median(x.runs.map((r) => r.cpuMs)),
    cpuLo: q(
      x.runs.map((r) => r.cpuMs),
      0.25,
    ),
    cpuHi: q(
      x.runs.map((r) => r.cpuMs),
      0.75,
    ),
    wall: median(x.runs.map((r) => r.wallMs)),
    firstCpu: x.first.cpuMs,
  });
  const lines = [
    '## Start-up (`bench/startup.bench.mjs`)',
    '',
    `Command: \`npm run bench -- startup\` (STARTUP_BENCH_RUNS=${RUNS}), ${startedAt}, ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ` +
      `Node ${nodes.map((n) => n.version).join(', ')}. Load average ${load0.map((x) => x.toFixed(2)).join(' ')} at the start, ` +
      `${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')} at the end; stress-ng ${stressAtStart ? 'running' : 'not running'} at the start, ` +
      `${stressNg() ? 'running' : 'not running'} at the end.`,
    '',
    `Each figure: median of ${RUNS} runs after one unmeasured first run, runs interleaved round by round across all ` +
      'cells. CPU = user+sys of the child (wait4 rusage); wall = to exit, or to "listening on" for serve (then SIGKILL). ' +
      'CPU is the primary figure. "first" = CPU of the unmeasured first run (for c/d: the run that fills the cache). ' +
      'In examples/umig-sample (copied to a temp dir), `--config` its slipway.config.yaml.',
    '',
    `Bundle (b, d): dist/bundle/ from tools/bundle.mjs, esbuild ${esbuild.version}, ${bundle.packages} packages ` +
      `folded in, ${bundle.files} .js files, ${(bundle.bytes / 2 ** 20).toFixed(1)} MiB; PGlite, esbuild, ` +
      'lightningcss, libpg-query external. Own-code bundle (e): every package external, ' +
      `${ownBundle.inputs} input files, ${ownBundle.files} .js files, ${(ownBundle.bytes / 2 ** 20).toFixed(1)} MiB.`,
    '',
    '| Node | command | variant | CPU ms median (p25–p75) | vs a | wall ms median | first CPU ms |',
    '|---|---|---|---:|---:|---:|---:|',
  ];
  const verdict = [];
  for (const n of nodes) {
    const ratios = Object.fromEntries(variants.map((v) => [v.id, []]));
    for (const c of commands) {
      const base = stats(cell(n, c, variants[0]));
      for (const v of variants) {
        const x = cell(n, c, v);
        if (!x) {
          lines.push(`| ${n.line} | ${c.label} | ${v.id}. ${v.name} | n/a | | | |`);
          continue;
        }
        const s = stats(x);
        ratios[v.id].push(s.cpu / base.cpu);
        lines.push(
          `| ${n.line} | ${c.label} | ${v.id}. ${v.name} | ${f0(s.cpu)} (${f0(s.cpuLo)}–${f0(s.cpuHi)}) | ` +
            `${v.id === 'a' ? '' : `${(s.cpu / base.cpu).toFixed(2)}×`} | ${f0(s.wall)} | ${f0(s.firstCpu)} |`,
        );
      }
    }
    for (const v of variants.slice(1)) {
      const r = ratios[v.id];
      if (!r.length) continue;
      const geo = Math.exp(r.reduce((t, x) => t + Math.log(x), 0) / r.length);
      verdict.push(
        `- Node ${n.line}, ${v.id} (${v.name}) vs a: CPU ×${geo.toFixed(2)} geometric mean over the commands ` +
          `(each: ${r.map((x) => x.toFixed(2)).join(', ')}); ${helps(r) ? 'helps clearly' : 'does not help clearly'}.`,
      );
    }
  }
  lines.push(
    '',
    'Rule (set before the measured runs): a variant "helps clearly" on a Node line when the geometric mean of its CPU ' +
      'ratios to a is ≤ 0.90 and no command is more than 5 % worse.',
    '',
    ...verdict,
    '',
  );
  return lines.join('\n');
}

function helps(ratios) {
  const geo = Math.exp(ratios.reduce((t, x) => t + Math.log(x), 0) / ratios.length);
  return geo <= 0.9 && ratios.every((x) => x <= 1.05);
}
