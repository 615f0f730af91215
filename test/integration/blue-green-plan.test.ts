import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayError } from '../../src/errors.js';
import {
  blueGreenConfigSchema,
  planBlueGreen,
  readBlueGreenState,
  renderNginxUpstream,
} from '../../src/deploy/blue-green/index.js';
import { applyNginxUpstream } from '../../src/deploy/blue-green/nginx.js';
import { EMPTY_STATE, type BlueGreenState, writeBlueGreenState } from '../../src/deploy/blue-green/state.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const config = blueGreenConfigSchema.parse({ start: 'node server.js' });
const rel = { id: '20261124T2000Z-abc', dir: '/srv/app/releases/20261124T2000Z-abc' };

describe('blueGreenConfigSchema', () => {
  it('fills defaults', () => {
    expect(config).toEqual({
      start: 'node server.js',
      env: {},
      slots: { blue: { port: 8081 }, green: { port: 8082 } },
      proxy: { enabled: true, host: '127.0.0.1', port: 8080, adminPort: 0 },
      health: { path: '/api/health', timeoutMs: 30_000, intervalMs: 250, allowDegraded: false },
      drainTimeoutMs: 30_000,
      stopTimeoutMs: 10_000,
      keepPrevious: false,
    });
  });
  it('rejects equal slot ports and unknown keys', () => {
    expect(
      blueGreenConfigSchema.safeParse({ start: 'x', slots: { blue: { port: 1 }, green: { port: 1 } } }).error?.issues[0]
        ?.message,
    ).toBe('blue and green need different ports');
    expect(blueGreenConfigSchema.safeParse({ start: 'x', color: 'red' }).success).toBe(false);
    expect(blueGreenConfigSchema.safeParse({ start: 'x', proxy: { enabled: false } }).error?.issues[0]).toMatchObject({
      path: ['proxy', 'enabled'],
      message: 'blue-green needs something to switch: keep proxy.enabled or configure nginx',
    });
  });
});

describe('planBlueGreen', () => {
  it('first deploy goes to blue, nothing to drain', () => {
    expect(planBlueGreen(EMPTY_STATE, rel, config)).toEqual({
      slot: 'blue',
      port: 8081,
      release: rel,
      healthUrl: 'http://127.0.0.1:8081/api/health',
      previous: null,
      stale: null,
      generation: 1,
      steps: [
        'start blue on port 8081 with release 20261124T2000Z-abc',
        'health-check http://127.0.0.1:8081/api/health (up to 30000 ms)',
        'switch proxy 127.0.0.1:8080 to blue',
      ],
    });
  });
  const live: BlueGreenState = {
    ...EMPTY_STATE,
    live: 'blue',
    generation: 4,
    slots: {
      blue: { releaseId: 'r1', releaseDir: '/r1', port: 8081, pid: 4242, startedAt: 'x', status: 'live' },
      green: { releaseId: 'r0', releaseDir: '/r0', port: 8082, pid: 777, startedAt: 'x', status: 'failed' },
    },
  };
  it('next deploy goes to the idle slot, drains and stops the live one, and stops a leftover', () => {
    const p = planBlueGreen(live, rel, config);
    expect(p).toMatchObject({
      slot: 'green',
      port: 8082,
      previous: { slot: 'blue', port: 8081, pid: 4242, releaseId: 'r1' },
      stale: { pid: 777 },
      generation: 5,
    });
    expect(p.steps).toEqual([
      'stop leftover process 777 in green',
      'start green on port 8082 with release 20261124T2000Z-abc',
      'health-check http://127.0.0.1:8082/api/health (up to 30000 ms)',
      'switch proxy 127.0.0.1:8080 to green',
      'drain blue (up to 30000 ms)',
      'stop blue (pid 4242)',
    ]);
  });
  it('keepPrevious and nginx-only change the steps', () => {
    const keep = planBlueGreen(live, rel, { ...config, keepPrevious: true });
    expect(keep.steps.at(-1)).toBe('keep blue (release r1) running for switch-back');
    const nginx = blueGreenConfigSchema.parse({
      start: 'x',
      proxy: { enabled: false },
      nginx: { upstreamFile: '/etc/nginx/up.conf', drainMs: 2000 },
    });
    expect(planBlueGreen(live, rel, nginx).steps.slice(-3)).toEqual([
      'switch nginx to green',
      'drain blue (up to 2000 ms)',
      'stop blue (pid 4242)',
    ]);
  });
});

describe('state file and nginx upstream on disk', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await makeTree({ 'corrupt.json': '{"version":1', 'wrong.json': '{"version":2}' }, 'slipway-bgp-');
  });
  afterAll(async () => removeTree(dir));

  it('round-trips the state, reads a missing file as empty, names a corrupt one', async () => {
    const file = path.join(dir, 'state.json');
    expect(await readBlueGreenState(file)).toEqual(EMPTY_STATE);
    await writeBlueGreenState(file, { ...EMPTY_STATE, live: 'green', generation: 3 });
    expect(await readBlueGreenState(file)).toMatchObject({ live: 'green', generation: 3 });
    await expect(readBlueGreenState(path.join(dir, 'corrupt.json'))).rejects.toThrow(/corrupt\.json is not JSON/);
    await expect(readBlueGreenState(path.join(dir, 'wrong.json'))).rejects.toBeInstanceOf(SlipwayError);
  });

  it('renders the upstream block', () => {
    expect(renderNginxUpstream('slipway_app', 'green', 8082)).toBe(
      '# Written by slipway blue-green: live slot green. Do not edit; the next switch rewrites it.\nupstream slipway_app {\n    server 127.0.0.1:8082;\n    keepalive 16;\n}\n',
    );
  });

  it('writes the file and runs the reload command; a failing reload is an E_DEPLOY with its stderr', async () => {
    const upstreamFile = path.join(dir, 'nginx', 'upstream.conf');
    const marker = path.join(dir, 'reloaded');
    await applyNginxUpstream({
      upstreamFile,
      upstreamName: 'app',
      reloadCommand: `echo reloaded > "${marker}"`,
      slot: 'blue',
      port: 9001,
    });
    expect(await readFile(upstreamFile, 'utf8')).toContain('server 127.0.0.1:9001;');
    expect((await readFile(marker, 'utf8')).trim()).toBe('reloaded');
    await writeFile(marker, '');
    const err = await applyNginxUpstream({
      upstreamFile,
      upstreamName: 'app',
      reloadCommand: 'echo "nginx: [emerg] bad" >&2; exit 1',
      slot: 'green',
      port: 9002,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).message).toBe('nginx reload failed: echo "nginx: [emerg] bad" >&2; exit 1');
    expect((err as SlipwayError).details).toEqual(['nginx: [emerg] bad']);
    expect(await readFile(upstreamFile, 'utf8')).toContain('server 127.0.0.1:9001;'); // old upstream restored
  });
});
