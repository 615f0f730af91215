// bin/slipway.js runs the esbuild bundle (dist/bundle/, tools/bundle.mjs): what it must find from there — the
// package.json, its own program entries, the notices of the packages folded into it. Every other test that runs
// bin/slipway.js (test/helpers/cli-bin.ts) also runs the bundle; these check what only the bundle can get wrong.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blueGreenPaths, findProxy, stopBlueGreen } from '../../src/deploy/blue-green/index.js';
import { ensureDist, ROOT, runBin } from '../helpers/cli-bin.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { freePort, makeAppPackage } from '../fixtures/deploy/app.js';

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

  describe('a blue-green deploy starts the proxy from the bundle', () => {
    let dir: string;
    let root: string;
    let proxyPort: number;

    beforeAll(async () => {
      dir = await mkdtemp(path.join(tmpdir(), 'slipway-bundle-bg-'));
      root = path.join(dir, 'target');
      proxyPort = await freePort();
      const [blue, green] = [await freePort(), await freePort()];
      await makeDeployConfig(dir, {
        strategy: 'blue-green',
        blueGreen: {
          start: 'node application/server.mjs',
          slots: { blue: { port: blue }, green: { port: green } },
          proxy: { port: proxyPort },
          health: { path: '/health', timeoutMs: 10_000, intervalMs: 50 },
          drainTimeoutMs: 1000,
          stopTimeoutMs: 2000,
        },
        health: { url: `http://127.0.0.1:${proxyPort}/health`, timeoutMs: 10_000, intervalMs: 50 },
      });
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
});
