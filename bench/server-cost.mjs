#!/usr/bin/env node
// Instructions per GET /api/health request of `slipway serve`, under callgrind (docs/server-request-cost.md's method):
// the server of a package root (default this checkout; pass another build's root to compare two, run side by side)
// runs under `valgrind --tool=callgrind --instr-atstart=no`, with no database and health checks cached 60 s (so the
// path is the same at valgrind's ~100 req/s as at 40k req/s); WARMUP requests untimed, then WINDOWS windows of WINDOW
// requests each with instrumentation on, each dumped. Per window: total instructions per request, and "rest" = total
// minus V8's optimising compilers and the GC (still busy under valgrind long after warm-up), from callgrind_annotate.
// Not a timed benchmark: instruction counts do not depend on the machine's load.
//   node bench/server-cost.mjs [--root DIR] [--auth bearer|none] [--warmup 6000] [--window 2000] [--windows 4]
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';

const { values: o } = parseArgs({
  options: {
    root: { type: 'string', default: path.join(path.dirname(fileURLToPath(import.meta.url)), '..') },
    auth: { type: 'string', default: 'bearer' },
    warmup: { type: 'string', default: '6000' },
    window: { type: 'string', default: '2000' },
    windows: { type: 'string', default: '4' },
    path: { type: 'string', default: '/api/health' },
  },
});
const bin = path.join(path.resolve(o.root), 'bin', 'slipway.js');
const dir = mkdtempSync(path.join(tmpdir(), 'slipway-cost-'));
const config = path.join(dir, 'slipway.config.yaml');
writeFileSync(
  config,
  `name: cost\nversion: 1.0.0\nbuild:\n  components:\n    application: { include: ["app/**"] }\nserver:\n  health: { cacheMs: 60000${o.auth === 'none' ? ', public: true' : ''} }\n`,
);
const cli = (args, input) =>
  spawnSync(process.execPath, [bin, ...args, '--config', config], { input, encoding: 'utf8', cwd: dir });
const added = cli(['user', 'add', 'cost', '--groups', 'viewers'], 'cost password 123\n');
if (added.status !== 0) throw new Error(added.stderr);
const token = cli(['user', 'token', 'cost']).stdout.trim();
const headers = o.auth === 'bearer' ? { authorization: `Bearer ${token}` } : {};

const out = path.join(dir, 'callgrind.out');
const server = spawn(
  'valgrind',
  [
    '--tool=callgrind',
    '--instr-atstart=no',
    `--callgrind-out-file=${out}`,
    process.execPath,
    bin,
    'serve',
    '--config',
    config,
    '--port',
    '0',
  ],
  { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
);
const url = await new Promise((resolve, reject) => {
  let err = '';
  server.stderr.on('data', (d) => {
    err += d;
    const m = /listening on (http:\/\/\S+) /.exec(err);
    if (m) resolve(m[1]);
  });
  server.on('exit', (c) => reject(new Error(`serve exited ${c}: ${err}`)));
});
const run = (amount) =>
  autocannon({ url: `${url}${o.path}`, headers, connections: 10, amount, timeout: 60 }).then((r) => {
    if (r.errors || r.timeouts) process.stderr.write(`${r.errors} errors, ${r.timeouts} timeouts\n`);
    return r;
  });
const control = (...args) => spawnSync('callgrind_control', [...args, String(server.pid)], { encoding: 'utf8' });

const first = await fetch(`${url}${o.path}`, { headers });
const sample = await first.text();
const responseHeaders = [...first.headers.keys()];
await run(Number(o.warmup));

// Functions of V8's optimising compilers and of the garbage collector (callgrind_annotate names, C++ symbols).
const EXCLUDED =
  /compiler::|maglev|Maglev|turboshaft|Scavenge|MarkCompact|Sweeper|heap::|Heap::|GCTracer|IterateObjectCache|RootScavengeVisitor|ConcurrentMarking|MinorMark/;
const windows = [];
const dumps = () => readdirSync(dir).filter((f) => /^callgrind\.out\.\d+$/.test(f));
control('-i', 'on');
for (let w = 0; w < Number(o.windows); w++) {
  control('-z'); // counters to zero: the window holds only its own requests
  const before = dumps().length;
  const r = await run(Number(o.window));
  control('-d');
  while (dumps().length === before) await new Promise((res) => setTimeout(res, 200));
  await new Promise((res) => setTimeout(res, 1000)); // the dump is written
  const requests = r.requests.total;
  const file = path.join(
    dir,
    dumps()
      .sort((a, b) => Number(a.split('.').pop()) - Number(b.split('.').pop()))
      .at(-1),
  );
  const ann = spawnSync('callgrind_annotate', ['--threshold=100', '--inclusive=no', file], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  }).stdout;
  const total = Number(/^\s*([\d,]+)\s+\(100\.0%\)\s+PROGRAM TOTALS/m.exec(ann)?.[1].replaceAll(',', '') ?? NaN);
  let excluded = 0;
  for (const line of ann.split('\n')) {
    const m = /^\s*([\d,]+)\s+\(\s*[\d.]+%\)\s+(.*)$/.exec(line);
    if (m && !m[2].includes('PROGRAM TOTALS') && EXCLUDED.test(m[2])) excluded += Number(m[1].replaceAll(',', ''));
  }
  windows.push({
    window: w + 1,
    requests,
    totalK: +(total / requests / 1000).toFixed(1),
    restK: +((total - excluded) / requests / 1000).toFixed(1),
  });
  process.stderr.write(`${JSON.stringify(windows.at(-1))}\n`);
}
server.kill('SIGTERM');
await new Promise((r) => server.on('exit', r));
rmSync(dir, { recursive: true, force: true });
process.stdout.write(
  `${JSON.stringify({ root: o.root, auth: o.auth, status: first.status, bodyBytes: Buffer.byteLength(sample), responseHeaders, windows })}\n`,
);
