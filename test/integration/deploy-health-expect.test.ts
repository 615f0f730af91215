// health.expect through the built binary: apps whose health endpoint answers a plain `200 OK` or a `204` pass the
// deploy gate by default; `expect: status-field` rejects them with a hint naming the setting; `http-2xx` passes them.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { appTarget, STOP_SCRIPT } from '../fixtures/deploy/app.js';
import { reservedPort } from '../helpers/ports.js';
import { makeFixturePackage } from '../fixtures/deploy/make-package.js';
import { ensureDist, runCli } from './cli-build-helpers.js';

// Health answers that are not the seed's JSON: `plain` → 200 "OK" (text/plain), `empty` → 204.
const SERVER = `import http from 'node:http';
import { readFileSync, writeFileSync } from 'node:fs';
const mode = readFileSync(new URL('./mode.txt', import.meta.url), 'utf8').trim();
const server = http.createServer((req, res) => {
  if (mode === 'empty') { res.writeHead(204); res.end(); return; }
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('OK');
});
let tries = 0;
server.on('error', (e) => {
  if (e.code === 'EADDRINUSE' && tries++ < 100) setTimeout(() => server.listen(Number(process.env.APP_PORT), '127.0.0.1'), 20);
  else throw e;
});
// restart-app.sh returns once this file holds our pid (the app listens), as the deploy fixture's app does
server.on('listening', () => writeFileSync(process.env.APP_READY_FILE, String(process.pid)));
server.listen(Number(process.env.APP_PORT), '127.0.0.1');
process.on('SIGTERM', () => process.exit(0));
`;

const dirs: string[] = [];
const pkgOf = (version: string, mode: 'plain' | 'empty') =>
  makeFixturePackage({ version, files: { 'application/server.mjs': SERVER, 'application/mode.txt': `${mode}\n` } });

/** A plain `200 OK` endpoint in its own process (runCli blocks this one), listening before this returns. */
async function servePlainOk(): Promise<{ port: number; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [
      '-e',
      "require('http').createServer((q, s) => { s.writeHead(200, { 'content-type': 'text/plain' }); s.end('OK'); })" +
        ".listen(0, '127.0.0.1', function () { console.log(this.address().port); })",
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { port: Number(line.toString().trim()), stop: () => child.kill('SIGTERM') };
}

async function setup(health: Record<string, unknown>) {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-expect-'));
  dirs.push(dir);
  const port = await reservedPort();
  const target = appTarget(port, { smokeTests: false });
  target.health = { ...(target.health as object), ...health };
  await makeDeployConfig(dir, target);
  return { dir, root: path.join(dir, 'target'), port };
}

beforeAll(() => ensureDist());
afterAll(async () => {
  for (const dir of dirs) {
    try {
      execFileSync('sh', [STOP_SCRIPT], { env: { ...process.env, SLIPWAY_TARGET_ROOT: path.join(dir, 'target') } });
    } catch {
      /* no app */
    }
    await rm(dir, { recursive: true, force: true });
  }
});

describe('health.expect', () => {
  it('unset: a plain 200 OK and a 204 pass the health gate', async () => {
    const env = await setup({});
    const plain = runCli(['deploy', (await pkgOf('1.0.0', 'plain')).path, '--target', 'prod'], env.dir);
    expect(plain.stderr).toMatch(/^ {2}✓ health +HEALTHY after \d+ probe\(s\)/m);
    expect(plain.code).toBe(0);
    const empty = runCli(['deploy', (await pkgOf('1.1.0', 'empty')).path, '--target', 'prod'], env.dir);
    expect(empty.stderr).toMatch(/^ {2}✓ health +HEALTHY after \d+ probe\(s\)/m);
    expect(empty.code).toBe(0);
    const gate = runCli(['health', '--url', `http://127.0.0.1:${env.port}/health`], env.dir);
    expect(gate.stdout).toBe(
      `health: HEALTHY (HTTP 204, ${/(\d+) ms/.exec(gate.stdout)?.[1]} ms) meets --require HEALTHY\n`,
    );
    expect(gate.code).toBe(0);
  }, 120_000);

  it('status-field: a plain 200 OK fails the gate, the error says why and the hint names the setting', async () => {
    // Long enough for the app to start under load: the last probe must be its answer, not a refused connection.
    const env = await setup({ expect: 'status-field', timeoutMs: 6000 });
    const first = runCli(['deploy', (await pkgOf('1.0.0', 'plain')).path, '--target', 'prod'], env.dir);
    expect(first.code).toBe(1);
    expect(first.stderr).toMatch(
      /error E_HEALTH: release \S+ is not healthy: UNHEALTHY \(not healthy within 6000 ms; last probe: HTTP 200: body is not JSON \(2 bytes\), and health\.expect is status-field\) after \d+ probe\(s\)/,
    );
    expect(first.stderr).toContain(
      'hint: The app answered HTTP 200 without a JSON status field, which health.expect: status-field rejects. ' +
        'If any 2xx means healthy for this app, set health.expect: http-2xx (or remove the setting).\n',
    );
    // Nothing was live before, and the failed release did not stay live.
    await expect(readlink(path.join(env.root, 'current'))).rejects.toThrow();
    // The failed release's app is stopped with it, so `slipway health` is asked about a plain-200 endpoint of its own.
    const ok = await servePlainOk();
    let gate: ReturnType<typeof runCli>;
    try {
      gate = runCli(['health', '--url', `http://127.0.0.1:${ok.port}/health`, '--expect', 'status-field'], env.dir);
    } finally {
      ok.stop();
    }
    expect(gate.stdout).toBe(
      'health: UNHEALTHY does not meet --require HEALTHY: HTTP 200: body is not JSON (2 bytes), and health.expect is ' +
        'status-field\n',
    );
    expect(gate.stderr).toBe(
      'hint: the answer has no status field slipway can read and --expect is status-field; pass ' +
        '--expect http-2xx if any 2xx means healthy for this endpoint\n',
    );
    expect(gate.code).toBe(1);
  }, 120_000);

  it('http-2xx: the same app passes', async () => {
    const env = await setup({ expect: 'http-2xx' });
    const r = runCli(['deploy', (await pkgOf('1.0.0', 'plain')).path, '--target', 'prod'], env.dir);
    expect(r.stderr).toMatch(/^ {2}✓ health +HEALTHY after \d+ probe\(s\)/m);
    expect(r.code).toBe(0);
  }, 120_000);
});
