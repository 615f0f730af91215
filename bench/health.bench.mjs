#!/usr/bin/env node
// Blue-green proxy, on loopback, with autocannon, one run (compiled dist/):
//  1. the fixture app (test/fixtures/health/app.mjs) directly on its slot port — the peer: what the app gives
//     with no proxy in front,
//  2. the same app through the built-in proxy process (proxy-main.js) on the public port,
//  3. the proxy under the same load while switchSlots moves traffic blue → green → blue: errors and non-2xx
//     during the switches, and each switch's switchMs (state file write + fsync + proxy admin call) and drain time,
//  4. switchSlots end to end (start the app, health check, switch, drain, stop the old slot).
// Run: npm run bench -- health   Writes bench/results-health.md.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { stopBlueGreen, switchSlots } from '../dist/deploy/blue-green/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..');
const DURATION = Number(process.env.HEALTH_BENCH_SECONDS ?? 5);
const CONNECTIONS = Number(process.env.HEALTH_BENCH_CONNECTIONS ?? 10);

async function freePort() {
  const s = http.createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const root = mkdtempSync(path.join(tmpdir(), 'slipway-bench-bg-'));
for (const v of ['v1', 'v2']) {
  mkdirSync(path.join(root, 'releases', v), { recursive: true });
  writeFileSync(path.join(root, 'releases', v, 'VERSION'), `${v}\n`);
}
const ports = new Set();
while (ports.size < 3) ports.add(await freePort());
const [pub, blue, green] = [...ports];
const config = {
  start: `"${process.execPath}" "${path.join(repo, 'test/fixtures/health/app.mjs')}"`,
  slots: { blue: { port: blue }, green: { port: green } },
  proxy: { port: pub },
  health: { timeoutMs: 15_000, intervalMs: 50 },
  drainTimeoutMs: 10_000,
};
const release = (v) => ({ id: v, dir: path.join(root, 'releases', v) });
const run = (url, duration = DURATION) => autocannon({ url, connections: CONNECTIONS, duration });
const row = (name, r) =>
  `| ${name} | ${Math.round(r.requests.average)} | ${r.latency.p50} | ${r.latency.p99} | ${r.errors} | ${r.non2xx} | ${r.requests.total} |`;

try {
  const first = await switchSlots({ targetRoot: root, config, release: release('v1') });
  if (!first.ok) throw new Error(first.reason);
  const direct = await run(`http://127.0.0.1:${blue}/`);
  const proxied = await run(`http://127.0.0.1:${pub}/`);

  // Load through the proxy while switching back and forth.
  const switches = [];
  const load = run(`http://127.0.0.1:${pub}/`, DURATION + 4);
  await new Promise((r) => setTimeout(r, 500));
  for (const v of ['v2', 'v1', 'v2', 'v1']) {
    const r = await switchSlots({ targetRoot: root, config, release: release(v) });
    if (!r.ok) throw new Error(r.reason);
    switches.push(r);
  }
  const during = await load;

  const lines = [
    '## Blue-green proxy (HEALTH)',
    '',
    `Command: \`npm run bench -- health\` (${DURATION} s per run, ${CONNECTIONS} connections, autocannon, loopback,`,
    `${cpus().length} cores shared with other work, Node ${process.version}).`,
    '',
    '| run | req/s (mean) | p50 ms | p99 ms | errors | non-2xx | requests |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    row('app direct (peer)', direct),
    row('app through the built-in proxy', proxied),
    row(`through the proxy during ${switches.length} switches`, during),
    '',
    '| switch | switchMs (state + proxy) | drain ms | switchSlots total ms |',
    '| --- | ---: | ---: | ---: |',
    ...switches.map((s) => `| → ${s.live} (${s.plan.release.id}) | ${s.switchMs} | ${s.drain?.ms ?? '–'} | ${s.ms} |`),
    '',
  ];
  const text = lines.join('\n');
  process.stdout.write(`${text}\n`);
  writeFileSync(path.join(here, 'results-health.md'), text);
} finally {
  await stopBlueGreen(root, 5000);
  rmSync(root, { recursive: true, force: true });
}
