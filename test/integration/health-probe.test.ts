import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeHealth, waitForHealthy } from '../../src/health/probe.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const routes: Record<string, Handler> = {};
let server: http.Server;
let base: string;
let refusedUrl: string;

const json =
  (code: number, body: unknown): Handler =>
  (_req, res) => {
    res.writeHead(code, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const h = routes[decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)];
    if (h) h(req, res);
    else json(404, { error: 'no route' })(req, res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A port that was free a moment ago and has nobody listening: connection refused.
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  refusedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/health`;
  await new Promise((r) => probe.close(r));
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

// A timeout is a promise about time: asserted with a bound far above it, so that a loaded machine does not fail it
// while a timeout that is ignored or read in the wrong unit still does.
const TIMEOUT_SLACK_MS = 20_000;

describe('probeHealth', () => {
  it.each([
    ['seed HEALTHY 200', 200, { overall: { status: 'HEALTHY' } }, 'HEALTHY', 'HTTP 200, overall.status HEALTHY'],
    ['seed DEGRADED 206', 206, { overall: { status: 'DEGRADED' } }, 'DEGRADED', 'HTTP 206, overall.status DEGRADED'],
    [
      'seed DEGRADED 200 (configurable code)',
      200,
      { overall: { status: 'DEGRADED' } },
      'DEGRADED',
      'HTTP 200, overall.status DEGRADED',
    ],
    [
      'seed UNHEALTHY 503',
      503,
      { overall: { status: 'UNHEALTHY' } },
      'UNHEALTHY',
      'HTTP 503, overall.status UNHEALTHY',
    ],
    ['IETF pass', 200, { status: 'pass' }, 'HEALTHY', 'HTTP 200, status "pass"'],
    ['IETF warn', 200, { status: 'warn' }, 'DEGRADED', 'HTTP 200, status "warn"'],
    ['IETF fail 503', 503, { status: 'fail' }, 'UNHEALTHY', 'HTTP 503, status "fail"'],
    [
      '503 although the body says HEALTHY',
      503,
      { overall: { status: 'HEALTHY' } },
      'UNHEALTHY',
      'HTTP 503, overall.status HEALTHY (body says HEALTHY)',
    ],
    ['206 with a HEALTHY body', 206, { status: 'pass' }, 'DEGRADED', 'HTTP 206, status "pass" (body says HEALTHY)'],
    [
      '401',
      401,
      { overall: { status: 'HEALTHY' } },
      'UNHEALTHY',
      'HTTP 401, overall.status HEALTHY (body says HEALTHY)',
    ],
    [
      'unknown status word',
      200,
      { overall: { status: 'GREEN' } },
      'UNHEALTHY',
      'HTTP 200: overall.status "GREEN" is not HEALTHY, DEGRADED or UNHEALTHY',
    ],
    [
      'no status field: judged by the HTTP code (health.expect unset)',
      200,
      { uptime: 5 },
      'HEALTHY',
      'HTTP 200 (body has neither overall.status (seed) nor status (IETF health check): judged by the HTTP code)',
    ],
  ])('%s', async (name, code, body, status, reason) => {
    routes[`/${name}`] = json(code, body);
    const r = await probeHealth(`${base}/${encodeURIComponent(name)}`, { timeoutMs: 2000 });
    expect(r).toMatchObject({ status, httpStatus: code, reason, body });
    expect(r.ms).toBeGreaterThanOrEqual(0);
  });

  it('health.expect unset: a plain 200 OK and a 204 are HEALTHY, a plain 503 is not', async () => {
    routes['/text'] = (_q, res) => res.end('OK');
    routes['/204'] = (_q, res) => {
      res.writeHead(204);
      res.end();
    };
    routes['/503'] = (_q, res) => {
      res.writeHead(503);
      res.end('down');
    };
    expect(await probeHealth(`${base}/text`)).toEqual({
      status: 'HEALTHY',
      httpStatus: 200,
      ms: expect.any(Number),
      reason: 'HTTP 200 (body is not JSON (2 bytes): judged by the HTTP code)',
      body: null,
    });
    expect(await probeHealth(`${base}/204`)).toMatchObject({
      status: 'HEALTHY',
      reason: 'HTTP 204 (empty body: judged by the HTTP code)',
    });
    const down = await probeHealth(`${base}/503`);
    expect(down).toMatchObject({
      status: 'UNHEALTHY',
      reason: 'HTTP 503 (body is not JSON (4 bytes): judged by the HTTP code)',
    });
    expect(down.hint).toBeUndefined();
  });

  it('health.expect status-field: a 2xx without a JSON status fails, with a hint naming the setting', async () => {
    routes['/text'] = (_q, res) => res.end('OK');
    const r = await probeHealth(`${base}/text`, { expect: 'status-field' });
    expect(r).toMatchObject({
      status: 'UNHEALTHY',
      httpStatus: 200,
      reason: 'HTTP 200: body is not JSON (2 bytes), and health.expect is status-field',
    });
    expect(r.hint).toBe(
      'The app answered HTTP 200 without a JSON status field, which health.expect: status-field rejects. ' +
        'If any 2xx means healthy for this app, set health.expect: http-2xx (or remove the setting).',
    );
    // The seed's JSON still passes.
    routes['/seed'] = json(200, { overall: { status: 'HEALTHY' } });
    expect((await probeHealth(`${base}/seed`, { expect: 'status-field' })).status).toBe('HEALTHY');
  });

  it('an unreadable status word fails with a hint towards http-2xx; http-2xx reads only the code', async () => {
    routes['/green'] = json(200, { status: 'GREEN' });
    const r = await probeHealth(`${base}/green`);
    expect(r).toMatchObject({ status: 'UNHEALTHY', reason: 'HTTP 200: status "GREEN" is not pass, warn or fail' });
    expect(r.hint).toMatch(/set health\.expect: http-2xx on the target\.$/);
    expect(await probeHealth(`${base}/green`, { expect: 'http-2xx' })).toMatchObject({
      status: 'HEALTHY',
      reason: 'HTTP 200 (health.expect: http-2xx, the body is not read)',
    });
    routes['/503json'] = json(503, { status: 'pass' });
    expect(await probeHealth(`${base}/503json`, { expect: 'http-2xx' })).toMatchObject({ status: 'UNHEALTHY' });
  });

  it('refuses a body over 1 MiB', async () => {
    routes['/huge'] = (_q, res) => res.end(`{"status":"pass","pad":"${'x'.repeat(1_100_000)}"}`);
    expect(await probeHealth(`${base}/huge`)).toMatchObject({
      status: 'UNHEALTHY',
      httpStatus: 200,
      reason: 'HTTP 200: health body larger than 1048576 bytes',
    });
  });

  it('sends the headers it is given', async () => {
    routes['/auth'] = (req, res) =>
      json(req.headers.authorization === 'Bearer t0k' ? 200 : 401, { status: 'pass' })(req, res);
    expect((await probeHealth(`${base}/auth`, { headers: { authorization: 'Bearer t0k' } })).status).toBe('HEALTHY');
    expect((await probeHealth(`${base}/auth`)).httpStatus).toBe(401);
  });

  it('reports connection refused as UNREACHABLE', async () => {
    const r = await probeHealth(refusedUrl, { timeoutMs: 2000 });
    expect(r.status).toBe('UNREACHABLE');
    expect(r.httpStatus).toBeNull();
    expect(r.reason).toBe(`connection refused by ${refusedUrl} (is the app running and listening on that port?)`);
  });

  it('never hangs on a server that accepts and never answers', async () => {
    routes['/hang'] = () => undefined;
    const t0 = performance.now();
    const r = await probeHealth(`${base}/hang`, { timeoutMs: 300 });
    const ms = performance.now() - t0;
    expect(r.status).toBe('UNREACHABLE');
    // The reason comes from the timeout's own abort: the timeout fired (a probe without one would hang the test).
    expect(r.reason).toBe(`no complete response from ${base}/hang within 300 ms`);
    // Not before its time (a loaded machine only makes it later)…
    expect(ms).toBeGreaterThanOrEqual(290);
    // …and a bound generous enough for a loaded machine that still fails a timeout taken as seconds (300 s).
    expect(ms).toBeLessThan(TIMEOUT_SLACK_MS);
  });

  it('never hangs on a server that stalls mid-body', async () => {
    routes['/stall'] = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":');
    };
    const r = await probeHealth(`${base}/stall`, { timeoutMs: 300 });
    // The reason is the body read's timeout: it fired (without it the read would wait for the body for ever).
    expect(r).toMatchObject({
      status: 'UNHEALTHY',
      httpStatus: 200,
      reason: 'HTTP 200: body not complete within 300 ms',
    });
  });

  it('sends user:password in the URL as HTTP Basic', async () => {
    routes['/basic'] = (req, res) =>
      json(req.headers.authorization === `Basic ${Buffer.from('ops:p@ss word').toString('base64')}` ? 200 : 401, {
        status: 'pass',
      })(req, res);
    const r = await probeHealth(base.replace('http://', 'http://ops:p%40ss%20word@') + '/basic');
    expect(r).toMatchObject({ status: 'HEALTHY', httpStatus: 200 });
  });

  it('masks a password in the URL of its reason', async () => {
    const url = refusedUrl.replace('http://', 'http://ops:s3cret@');
    const r = await probeHealth(url, { timeoutMs: 2000 });
    expect(r.reason).not.toContain('s3cret');
    expect(r.reason).toContain('ops:***@');
  });
});

describe('waitForHealthy', () => {
  it('polls until HEALTHY', async () => {
    let n = 0;
    routes['/warming'] = (q, res) =>
      (++n < 4 ? json(503, { overall: { status: 'UNHEALTHY' } }) : json(200, { overall: { status: 'HEALTHY' } }))(
        q,
        res,
      );
    const r = await waitForHealthy({ url: `${base}/warming`, timeoutMs: 30_000, intervalMs: 20, allowDegraded: false });
    expect(r.ok).toBe(true);
    expect(r.attempts).toBe(4);
    expect(r.last.status).toBe('HEALTHY');
  });

  it('accepts DEGRADED only when allowed', async () => {
    routes['/deg'] = json(206, { overall: { status: 'DEGRADED' } });
    const yes = await waitForHealthy({ url: `${base}/deg`, timeoutMs: 30_000, intervalMs: 20, allowDegraded: true });
    expect(yes).toMatchObject({ ok: true, attempts: 1 });
    let served = 0;
    routes['/deg-count'] = (q, res) => {
      served++;
      json(206, { overall: { status: 'DEGRADED' } })(q, res);
    };
    const no = await waitForHealthy({
      url: `${base}/deg-count`,
      timeoutMs: 1000,
      intervalMs: 50,
      allowDegraded: false,
    });
    expect(no.ok).toBe(false);
    // It probed again after a DEGRADED answer (every probe reached the server), and waited intervalMs between
    // probes: 1000 ms at 50 ms allow 21 at most, however fast the machine (a slow one only makes fewer).
    // On a loaded machine the last probe, cut to the time left, may end before its request reached the server (one
    // attempt more than served) and then reports its own timeout.
    expect(no.attempts).toBeGreaterThanOrEqual(2);
    expect(no.attempts).toBeLessThanOrEqual(21);
    const cut = /^not healthy within 1000 ms; last probe: no complete response from .* within \d+ ms$/;
    if (no.last.status === 'DEGRADED') {
      expect(no.attempts).toBe(served);
      expect(no.last.reason).toBe('not healthy within 1000 ms; last probe: HTTP 206, overall.status DEGRADED');
    } else {
      expect(no.last.status).toBe('UNREACHABLE');
      expect([served, served + 1]).toContain(no.attempts);
      expect(no.last.reason).toMatch(cut);
    }
  });

  it('gives up at the timeout even when each probe hangs', async () => {
    const r = await waitForHealthy({ url: `${base}/hang`, timeoutMs: 400, intervalMs: 50, allowDegraded: false });
    expect(r.ok).toBe(false);
    expect(r.last.status).toBe('UNREACHABLE');
    // The probe's own timeout was cut to the time left (not the default 5000 ms): the whole wait keeps its timeout.
    const probeMs = Number(/within (\d+) ms$/.exec(r.last.reason)?.[1]);
    expect(r.last.reason).toMatch(/^not healthy within 400 ms; last probe: no complete response from /);
    expect(probeMs).toBeGreaterThan(0);
    expect(probeMs).toBeLessThanOrEqual(400);
  });

  it('stops when the signal aborts', async () => {
    const ac = new AbortController();
    let served = 0;
    routes['/abort-me'] = (q, res) => {
      served++;
      json(503, { status: 'fail' })(q, res);
      ac.abort(); // while the probe reads this answer, before the wait for the next one
    };
    // A timeout and an interval no test waits for: only the abort can end this wait (else vitest's timeout fails it).
    const r = await waitForHealthy({
      url: `${base}/abort-me`,
      timeoutMs: 3_600_000,
      intervalMs: 3_600_000,
      allowDegraded: false,
      signal: ac.signal,
    });
    expect(r.ok).toBe(false);
    expect(r.attempts).toBe(1); // no probe after the abort
    expect(served).toBe(1);
    expect(r.last.reason).toBe('aborted; last probe: HTTP 503, status "fail"');
  });
});
