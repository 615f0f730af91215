import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  blueGreenConfigSchema,
  ensureProxy,
  readBlueGreenState,
  blueGreenPaths,
  switchSlots,
} from '../../src/deploy/blue-green/index.js';
import { type RunningProxy, startProxy } from '../../src/deploy/blue-green/proxy.js';
import { SlipwayError } from '../../src/errors.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';
import { reservedPort } from '../helpers/ports.js';

const servers: http.Server[] = [];
let proxy: RunningProxy;
let a = 0;
let b = 0;
let deadPort = 0;
const TOKEN = 'secret-token-for-tests';

/** An upstream that echoes what it received. */
async function echoServer(name: string): Promise<number> {
  const s = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      res.writeHead(201, {
        'content-type': 'application/json',
        'x-upstream': name,
        connection: 'keep-alive',
        'keep-alive': 'timeout=99',
      });
      res.end(
        JSON.stringify({
          name,
          method: req.method,
          url: req.url,
          body: Buffer.concat(chunks).toString(),
          headers: req.headers,
        }),
      );
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  servers.push(s);
  return (s.address() as AddressInfo).port;
}

beforeAll(async () => {
  a = await echoServer('a');
  b = await echoServer('b');
  deadPort = await reservedPort();
  proxy = await startProxy({ host: '127.0.0.1', port: 0, adminPort: 0, token: TOKEN, upstream: null });
});

afterAll(async () => {
  await proxy.close();
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

const url = (p: string) => `http://127.0.0.1:${proxy.publicPort}${p}`;
const admin = (method: string, p: string, body?: unknown, token = TOKEN) =>
  fetch(`http://127.0.0.1:${proxy.adminPort}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('blue-green proxy', () => {
  it('answers 503 before any slot is live', async () => {
    const res = await fetch(url('/'));
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: 'no live slot yet' });
  });

  it('forwards method, path, query, body and headers; strips hop-by-hop; adds X-Forwarded-*', async () => {
    expect((await admin('POST', '/switch', { slot: 'a', port: a, generation: 1 })).status).toBe(200);
    const res = await fetch(url('/api/things?x=1&y=%20'), {
      method: 'POST',
      body: 'hello=world',
      headers: { 'content-type': 'text/plain', 'x-custom': 'v', te: 'trailers' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-upstream')).toBe('a');
    expect(res.headers.get('keep-alive')).not.toBe('timeout=99'); // the proxy's own value, not the upstream's
    const body = (await res.json()) as { method: string; url: string; body: string; headers: Record<string, string> };
    expect(body).toMatchObject({ method: 'POST', url: '/api/things?x=1&y=%20', body: 'hello=world' });
    expect(body.headers['x-custom']).toBe('v');
    expect(body.headers.te).toBeUndefined();
    expect(body.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(body.headers['x-forwarded-host']).toBe(`127.0.0.1:${proxy.publicPort}`);
    expect(body.headers['x-forwarded-proto']).toBe('http');
  });

  it('switches atomically and refuses an older generation', async () => {
    expect((await admin('POST', '/switch', { slot: 'b', port: b, generation: 3 })).status).toBe(200);
    expect((await fetch(url('/'))).headers.get('x-upstream')).toBe('b');
    const stale = await admin('POST', '/switch', { slot: 'a', port: a, generation: 2 });
    expect(stale.status).toBe(409);
    expect(await stale.json()).toMatchObject({ applied: false, upstream: { slot: 'b', port: b, generation: 3 } });
    expect((await fetch(url('/'))).headers.get('x-upstream')).toBe('b');
  });

  it('protects the admin port and validates its input', async () => {
    expect((await admin('GET', '/status', undefined, 'wrong')).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${proxy.adminPort}/status`)).status).toBe(401);
    expect((await admin('POST', '/switch', { slot: 'a', port: 70000, generation: 9 })).status).toBe(400);
    expect((await admin('POST', '/switch', 'not json')).status).toBe(400);
    const status = (await (await admin('GET', '/status')).json()) as {
      upstream: unknown;
      inflight: object;
      served: number;
      pid: number;
    };
    expect(status.upstream).toEqual({ slot: 'b', port: b, generation: 3 });
    expect(status.inflight).toEqual({});
    expect(status.served).toBeGreaterThanOrEqual(3);
    expect(status.pid).toBe(process.pid);
  });

  it('answers 502 naming the slot when the upstream is down (after one retry for a GET)', async () => {
    proxy.setUpstream({ slot: 'ghost', port: deadPort, generation: 10 });
    const res = await fetch(url('/'));
    expect(res.status).toBe(502);
    expect(await res.json()).toEqual({ error: `upstream ghost (port ${deadPort}) failed: ECONNREFUSED` });
    expect(proxy.status().failed).toBeGreaterThanOrEqual(1);
    expect(proxy.status().inflight).toEqual({});
  });

  it('counts in-flight requests per upstream while they run', async () => {
    // The upstream holds both answers until the test has seen them in flight (no timing guess).
    const held: http.ServerResponse[] = [];
    const slow = http.createServer((_q, res) => held.push(res));
    await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
    servers.push(slow);
    const port = (slow.address() as AddressInfo).port;
    proxy.setUpstream({ slot: 'slow', port, generation: 11 });
    const pending = Promise.all([fetch(url('/1')).then((r) => r.text()), fetch(url('/2')).then((r) => r.text())]);
    await waitFor('both requests to reach the slow upstream', () => held.length === 2);
    expect(proxy.status().inflight).toEqual({ [String(port)]: 2 });
    proxy.setUpstream({ slot: 'a', port: a, generation: 12 });
    expect((await fetch(url('/'))).headers.get('x-upstream')).toBe('a');
    for (const res of held) res.end('late');
    expect(await pending).toEqual(['late', 'late']);
    expect(proxy.status().inflight).toEqual({});
  });

  it('ensureProxy names the port and the log when the public port is taken', async () => {
    const root = await makeTree({}, 'slipway-bgx-');
    try {
      const config = blueGreenConfigSchema.parse({ start: 'true', proxy: { port: proxy.publicPort } });
      const err = await ensureProxy(root, config).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SlipwayError);
      expect((err as SlipwayError).message).toBe(`blue-green proxy did not start on 127.0.0.1:${proxy.publicPort}`);
      expect((err as SlipwayError).details.join('\n')).toContain('EADDRINUSE');
    } finally {
      await removeTree(root);
    }
  });

  it('switchSlots refuses a slot port that another process holds, before changing anything', async () => {
    const root = await makeTree({ 'releases/r1/VERSION': 'v1' }, 'slipway-bgx-');
    try {
      const r = await switchSlots({
        targetRoot: root,
        config: { start: 'true', slots: { blue: { port: a }, green: { port: b } }, proxy: { port: deadPort } },
        release: { id: 'r1', dir: `${root}/releases/r1` },
      });
      expect(r.ok).toBe(false);
      expect(r.live).toBeNull();
      expect(r.reason).toBe(
        `port ${a} of slot blue is already in use by a process slipway did not start; stop it or change blueGreen.slots.blue.port`,
      );
      expect(await readBlueGreenState(blueGreenPaths(root).state)).toMatchObject({ live: null, generation: 0 });
    } finally {
      await removeTree(root);
    }
  });
});
