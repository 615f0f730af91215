import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { readFile, readlink } from 'node:fs/promises';
import http from 'node:http';
import {
  type BlueGreenConfigInput,
  blueGreenPaths,
  ensureProxy,
  findProxy,
  proxyStatus,
  readBlueGreenState,
  stopBlueGreen,
  stopProxy,
  switchBack,
  switchSlots,
} from '../../src/deploy/blue-green/index.js';
import { isPidAlive } from '../../src/pid-alive.js';
import { writeBlueGreenState } from '../../src/deploy/blue-green/state.js';
import { APP } from '../fixtures/health/processes.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { reservedPort } from '../helpers/ports.js';

let root = '';
let config: BlueGreenConfigInput;
let publicUrl = '';

beforeAll(async () => {
  root = await makeTree(
    {
      'releases/r1/VERSION': 'v1\n',
      'releases/r2/VERSION': 'v2\n',
      'releases/r3-unhealthy/VERSION': 'v3\n',
      'releases/r3-unhealthy/HEALTH': 'unhealthy\n',
      'releases/r4-crash/VERSION': 'v4\n',
      'releases/r4-crash/CRASH': '',
    },
    'slipway-bg-',
  );
  const ports = new Set<number>();
  while (ports.size < 3) ports.add(await reservedPort());
  const [pub, blue, green] = [...ports] as [number, number, number];
  publicUrl = `http://127.0.0.1:${pub}`;
  config = {
    start: `"${process.execPath}" "${APP}"`,
    slots: { blue: { port: blue }, green: { port: green } },
    proxy: { port: pub },
    // A deadline, not a duration: an app that starts is healthy at once; a loaded CI machine may take long to start it.
    health: { timeoutMs: 60_000, intervalMs: 50 },
    drainTimeoutMs: 5000,
    stopTimeoutMs: 3000,
  };
});

afterAll(async () => {
  if (root) {
    await stopBlueGreen(root, 3000);
    await removeTree(root);
  }
});

const release = (id: string) => ({ id, dir: path.join(root, 'releases', id) });

interface LoopResult {
  ok: number;
  failed: string[];
  perWorker: string[][];
}

/**
 * Client loop on loopback: `workers` sequential keep-alive clients until stop(), or 60 s as a safety bound.
 * `seenByAll(v)` says when every client has had an answer from version v (the test waits on that, not on a clock).
 */
function clientLoop(workers: number): { stop: () => Promise<LoopResult>; seenByAll: (v: string) => boolean } {
  const agent = new http.Agent({ keepAlive: true, maxSockets: workers });
  let stopped = false;
  const started = Date.now();
  const result: LoopResult = { ok: 0, failed: [], perWorker: [] };
  const one = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = http.get(`${publicUrl}/?delay=5`, { agent, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () =>
          res.statusCode === 200
            ? resolve((JSON.parse(body) as { version: string }).version)
            : reject(new Error(`HTTP ${res.statusCode}: ${body}`)),
        );
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
    });
  const runs = Array.from({ length: workers }, async (_, w) => {
    const seen: string[] = [];
    result.perWorker[w] = seen;
    while (!stopped && Date.now() - started < 60_000) {
      try {
        const v = await one();
        result.ok++;
        if (seen.at(-1) !== v) seen.push(v);
      } catch (e) {
        result.failed.push((e as Error).message);
      }
    }
  });
  return {
    seenByAll: (v) => result.perWorker.length === workers && result.perWorker.every((seen) => seen.includes(v)),
    stop: async () => {
      stopped = true;
      await Promise.all(runs);
      agent.destroy();
      return result;
    },
  };
}

async function version(): Promise<string> {
  const res = await fetch(`${publicUrl}/`);
  return ((await res.json()) as { version: string }).version;
}

describe('blue-green with the built-in proxy, a real app and a real client', () => {
  it('first deploy starts blue and the proxy serves it', async () => {
    const r = await switchSlots({ targetRoot: root, config, release: release('r1') });
    expect(r.reason).toBeNull();
    expect(r).toMatchObject({ ok: true, live: 'blue', drain: null, stopped: null });
    expect(r.plan.previous).toBeNull();
    expect(await version()).toBe('v1');
    expect(await readlink(path.join(root, 'slots', 'blue'))).toBe(release('r1').dir);
    const state = await readBlueGreenState(blueGreenPaths(root).state);
    expect(state).toMatchObject({
      live: 'blue',
      generation: 1,
      slots: { blue: { releaseId: 'r1', status: 'live' }, green: null },
    });
  });

  it('switches to green under load with zero failed requests; responses move from v1 to v2', async () => {
    const before = await readBlueGreenState(blueGreenPaths(root).state);
    const bluePid = before.slots.blue!.pid!;
    const loop = clientLoop(4);
    await waitFor('every client to be served by v1', () => loop.seenByAll('v1'));
    // A request held open on blue across the switch (released only after traffic moved): the drain must wait for it.
    const blueApp = `http://127.0.0.1:${before.slots.blue!.port}`;
    const slow = fetch(`${publicUrl}/?hold=across-switch`).then(async (res) => ({
      status: res.status,
      body: (await res.json()) as { version: string },
    }));
    await waitFor('the held request to reach blue', async () =>
      ((await (await fetch(`${blueApp}/held`)).json()) as string[]).includes('across-switch'),
    );
    const switching = switchSlots({ targetRoot: root, config, release: release('r2') });
    const proxy = (await findProxy(root))!;
    await waitFor(
      'the proxy to send new requests to green',
      async () => (await proxyStatus(proxy)).upstream?.slot === 'green',
    );
    await waitFor('every client to be served by v2', () => loop.seenByAll('v2'));
    expect(isPidAlive(bluePid)).toBe(true); // still draining: the held request is in flight
    await fetch(`${blueApp}/release?name=across-switch`, { method: 'POST' });
    const r = await switching;
    const res = await loop.stop();

    expect(r.reason).toBeNull();
    expect(r.ok).toBe(true);
    expect(r.live).toBe('green');
    expect(r.plan.previous).toMatchObject({ slot: 'blue', pid: bluePid });
    expect(res.failed).toEqual([]);
    for (const seq of res.perWorker) expect(seq).toEqual(['v1', 'v2']); // each client: v1, then only v2
    expect(await slow).toEqual({ status: 200, body: expect.objectContaining({ version: 'v1' }) });
    expect(r.drain?.ok).toBe(true);
    expect(r.drain!.ms).toBeGreaterThan(0);
    expect(r.stopped).toMatchObject({ pid: bluePid, signal: 'SIGTERM' });
    expect(isPidAlive(bluePid)).toBe(false);
    expect(typeof r.switchMs).toBe('number'); // measured (a figure, not a test: bench/ times switches)
    expect(await version()).toBe('v2');
    const state = await readBlueGreenState(blueGreenPaths(root).state);
    expect(state).toMatchObject({
      live: 'green',
      generation: 2,
      slots: { blue: { status: 'stopped', pid: null }, green: { releaseId: 'r2', status: 'live' } },
    });
  });

  it('keeps traffic on the old slot when the new one is unhealthy', async () => {
    const loop = clientLoop(2);
    const r = await switchSlots({
      targetRoot: root,
      // The app answers 503 until this runs out: long enough for it to start on a loaded machine and answer.
      config: { ...config, health: { timeoutMs: 5000, intervalMs: 50 } },
      release: release('r3-unhealthy'),
    });
    const res = await loop.stop();
    expect(r.ok).toBe(false);
    expect(r.live).toBe('green');
    expect(r.plan.slot).toBe('blue');
    expect(r.reason).toMatch(
      /^blue did not become healthy, traffic stays on green: not healthy within 5000 ms; last probe: HTTP 503, overall.status UNHEALTHY/,
    );
    expect(isPidAlive(r.stopped!.pid)).toBe(false);
    expect(res.failed).toEqual([]);
    for (const seq of res.perWorker) expect(seq).toEqual(['v2']);
    const state = await readBlueGreenState(blueGreenPaths(root).state);
    expect(state).toMatchObject({
      live: 'green',
      generation: 2,
      slots: { blue: { releaseId: 'r3-unhealthy', status: 'failed', pid: null } },
    });
  });

  it('fails fast when the new app crashes on start, naming the exit and the log', async () => {
    // Failing fast is the reason itself: only the exit watcher says "exited … before it was healthy" (the health
    // deadline would say "not healthy within").
    const r = await switchSlots({ targetRoot: root, config, release: release('r4-crash') });
    expect(r.ok).toBe(false);
    expect(r.live).toBe('green');
    expect(r.reason).toMatch(
      /^blue did not become healthy, traffic stays on green: the app exited \(code 3\) before it was healthy; log: .*CRASH file present: exiting/,
    );
    expect(await version()).toBe('v2');
  });

  it('a restarted proxy serves the live slot from the state file', async () => {
    const before = await findProxy(root);
    expect(before).not.toBeNull();
    await stopProxy(root);
    expect(await findProxy(root)).toBeNull();
    await expect(fetch(`${publicUrl}/`)).rejects.toThrow();
    const handle = await ensureProxy(
      root,
      (await import('../../src/config/sections/blue-green.js')).blueGreenConfigSchema.parse(config),
    );
    expect(handle.pid).not.toBe(before!.pid);
    expect((await proxyStatus(handle)).upstream).toMatchObject({ slot: 'green', generation: 2 });
    expect(await version()).toBe('v2');
  });

  it('the admin port refuses requests without the token', async () => {
    const handle = (await findProxy(root))!;
    const res = await fetch(`http://127.0.0.1:${handle.adminPort}/switch`, {
      method: 'POST',
      body: JSON.stringify({ slot: 'blue', port: 1, generation: 99 }),
    });
    expect(res.status).toBe(401);
    const token = await readFile(blueGreenPaths(root).token, 'utf8');
    expect(token.trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(await version()).toBe('v2');
  });

  it('switches back to blue with r1 again (the next deploy uses the idle slot)', async () => {
    const r = await switchSlots({ targetRoot: root, config, release: release('r1') });
    expect(r).toMatchObject({ ok: true, live: 'blue' });
    expect(r.plan.stale).toBeNull();
    expect(await version()).toBe('v1');
  });

  it('keepPrevious leaves the old slot idle; switchBack returns to it at once with zero failed requests', async () => {
    const keep = { ...config, keepPrevious: true };
    const r = await switchSlots({ targetRoot: root, config: keep, release: release('r2') });
    expect(r).toMatchObject({ ok: true, live: 'green', drain: null, stopped: null });
    const idle = (await readBlueGreenState(blueGreenPaths(root).state)).slots.blue!;
    expect(idle).toMatchObject({ releaseId: 'r1', status: 'idle' });
    expect(isPidAlive(idle.pid!)).toBe(true);
    const greenPid = (await readBlueGreenState(blueGreenPaths(root).state)).slots.green!.pid!;

    const loop = clientLoop(4);
    await waitFor('every client to be served by v2', () => loop.seenByAll('v2'));
    const back = await switchBack({ targetRoot: root, config: keep });
    await waitFor('every client to be served by v1', () => loop.seenByAll('v1'));
    const res = await loop.stop();
    expect(back.reason).toBeNull();
    expect(back).toMatchObject({ ok: true, live: 'blue', stopped: { pid: greenPid, signal: 'SIGTERM' } });
    // No app start: the idle process itself is live again.
    expect((await readBlueGreenState(blueGreenPaths(root).state)).slots.blue).toMatchObject({
      pid: idle.pid,
      status: 'live',
    });
    expect(res.failed).toEqual([]);
    for (const seq of res.perWorker) expect(seq).toEqual(['v2', 'v1']);
    expect(isPidAlive(greenPid)).toBe(false);

    const again = await switchBack({ targetRoot: root, config: keep });
    expect(again.ok).toBe(false);
    expect(again.reason).toBe(
      'slot green is not running (stopped); switch-back needs blueGreen.keepPrevious: true — deploy the previous release instead',
    );
    expect(await version()).toBe('v1');
  });

  it('the proxy follows the state file on its own (no admin call), newer generations only', async () => {
    const echo = http.createServer((_q, res) => res.end(JSON.stringify({ version: 'echo' })));
    await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
    const echoPort = (echo.address() as import('node:net').AddressInfo).port;
    const file = blueGreenPaths(root).state;
    const original = await readBlueGreenState(file);
    const served = (want: string) =>
      waitFor(`the proxy to serve ${want}`, async () => (await version()) === want && want);
    try {
      await writeBlueGreenState(file, {
        ...original,
        generation: original.generation - 1,
        slots: { ...original.slots, blue: { ...original.slots.blue!, port: echoPort } },
      });
      // A negative check needs a window: for 1 s (four of the proxy's 250 ms polls) every answer must still be v1.
      const until = Date.now() + 1000;
      while (Date.now() < until) expect(await version()).toBe('v1'); // older generation: ignored
      await writeBlueGreenState(file, {
        ...original,
        generation: original.generation + 1,
        slots: { ...original.slots, blue: { ...original.slots.blue!, port: echoPort } },
      });
      expect(await served('echo')).toBe('echo');
      await writeBlueGreenState(file, { ...original, generation: original.generation + 2 });
      expect(await served('v1')).toBe('v1');
    } finally {
      echo.closeAllConnections();
      await new Promise((r) => echo.close(r));
    }
  });
});
