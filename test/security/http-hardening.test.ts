// HTTP hardening over a real socket (raw bytes through net.connect): framework-level errors carry the security
// headers and a fixed JSON body that reflects nothing; slow headers, slow bodies and idle connections are closed
// within their deadlines (set low here); 150 slow clients do not starve a valid request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { API_SECURITY_HEADERS, UI_SECURITY_HEADERS } from '../../src/server/security-headers.js';
import { bearer, request, startTestServer, type TestServer } from './helpers.js';

const LIMITS = {
  headersTimeoutMs: 1000,
  requestTimeoutMs: 2000,
  keepAliveTimeoutMs: 1000,
  idleTimeoutMs: 3000,
  maxUrlBytes: 2048,
  maxHeaderBytes: 8192,
};
// A loaded CI machine may answer late; a limit that never fires would take far longer than this.
const SLACK_MS = 4000;

let s: TestServer;
let host: string;
let port: number;
beforeAll(async () => {
  // The rollback stand-in works longer than the idle timeout: a request in flight must not be cut.
  s = await startTestServer(
    { http: LIMITS },
    {
      rollback: async (o) => {
        await new Promise((r) => setTimeout(r, LIMITS.idleTimeoutMs + 1500));
        return { to: o.to, ok: true };
      },
    },
  );
  const u = new URL(s.url);
  host = u.hostname;
  port = Number(u.port);
});
afterAll(async () => s?.close());

interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  raw: string;
  closedAfterMs: number;
  /** performance.now() when the server closed the connection. */
  closedAt: number;
}

/** Sends raw bytes (all at once, or `trickle` bytes one per interval) and reads until the server closes. */
function raw(
  bytes: string,
  opts: { trickle?: string; intervalMs?: number; socket?: (s: net.Socket) => void; to?: TestServer } = {},
) {
  return new Promise<RawAnswer>((resolve, reject) => {
    const started = performance.now();
    const sock = opts.to
      ? net.connect({ host: new URL(opts.to.url).hostname, port: Number(new URL(opts.to.url).port) })
      : net.connect({ host, port });
    opts.socket?.(sock);
    const chunks: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    sock.on('connect', () => {
      if (bytes) sock.write(bytes);
      if (opts.trickle !== undefined) {
        let i = 0;
        timer = setInterval(() => {
          if (sock.destroyed || !sock.writable) return;
          sock.write(opts.trickle![i++ % opts.trickle!.length]!);
        }, opts.intervalMs ?? 200);
      }
    });
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', () => undefined); // a reset after the answer still ends the exchange
    sock.on('close', () => {
      clearInterval(timer);
      resolve(parse(Buffer.concat(chunks).toString('latin1'), performance.now() - started));
    });
    sock.setTimeout(60_000, () => {
      sock.destroy();
      reject(new Error(`server kept the connection open for 60 s: ${bytes.slice(0, 60)}`));
    });
  });
}

function parse(text: string, closedAfterMs: number): RawAnswer {
  const end = text.indexOf('\r\n\r\n');
  const head = end < 0 ? text : text.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0);
  return {
    status,
    headers,
    body: end < 0 ? '' : text.slice(end + 4),
    raw: text,
    closedAfterMs,
    closedAt: performance.now(),
  };
}

const get = (target: string, extra = '') => `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n${extra}\r\n`;
const post = (target: string, body: string, type = 'application/json') =>
  `POST ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nOrigin: http://x\r\nContent-Type: ${type}\r\n` +
  `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

/** The checks every error answer must pass: status, every security header, JSON body, nothing reflected. */
function expectHardened(r: RawAnswer, status: number, reflected: string[] = []): void {
  expect(r.status, r.raw.slice(0, 300)).toBe(status);
  for (const [k, v] of Object.entries(API_SECURITY_HEADERS)) expect(r.headers[k], `${status} ${k}`).toBe(v);
  expect(r.headers['cache-control']).toBe('no-store');
  // The document-only headers of the web UI's set are not on a JSON error.
  for (const k of Object.keys(UI_SECURITY_HEADERS))
    if (!(k in API_SECURITY_HEADERS)) expect(r.headers[k], `${status} ${k}`).toBeUndefined();
  expect(r.headers['content-type']).toMatch(/^application\/json/);
  const body = JSON.parse(r.body) as { error: { code: string; message: string } };
  expect(body.error.code).toMatch(/^E_[A-Z_]+$/);
  for (const bad of ['<', '>', 'onerror', '%zz', ...reflected]) expect(r.body).not.toContain(bad);
}

const XSS = '<img src=x onerror=alert(1)>';

describe('framework-level errors carry the security headers and reflect nothing', () => {
  const cases: [string, string, number, string[]?][] = [
    ['undecodable URL', get('/%zz'), 400],
    ['undecodable URL with markup', get(`/%zz${encodeURI(XSS)}`), 400, ['img']],
    ['raw markup in the request line', get(`/${XSS}`), 400, ['img']],
    ['markup without blanks', get('/<img/src=x/onerror=alert(1)>'), 404, ['img']],
    ['encoded markup', get(`/${encodeURIComponent(XSS)}`), 404, ['img']],
    ['unknown route', get('/api/nope?q=<b>'), 404],
    ['wrong method on a GET route', 'DELETE /api/health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n', 405],
    ['GET on the login route', get('/api/login'), 405],
    [
      'login body over its 4 KiB limit',
      post('/api/login', JSON.stringify({ username: 'a', password: 'x'.repeat(5000) })),
      413,
    ],
    ['a body on a GET', get('/api/health', 'Content-Length: 5\r\n').replace(/\r\n$/, '\r\nhello'), 413],
    ['a chunked body on a GET', get('/health/live', 'Transfer-Encoding: chunked\r\n') + '5\r\nhello\r\n0\r\n\r\n', 413],
    ['URL over maxUrlBytes', get(`/api/${'a'.repeat(3000)}`), 414],
    ['URL over the header limit', get(`/${'a'.repeat(20_000)}${XSS.replaceAll(' ', '')}`), 414],
    ['headers over the header limit', get('/health/live', `X-Big: ${'b'.repeat(20_000)}\r\n`), 431],
    ['malformed JSON body', post('/api/login', `{"username": "${XSS}"`), 400, ['img']],
    ['text/plain body', post('/api/login', XSS, 'text/plain'), 415, ['img']],
    ['not HTTP at all', `GARBAGE ${XSS}\r\n\r\n`, 400, ['img']],
  ];
  it.each(cases)('%s', async (_name, bytes, status, reflected) => {
    const r = await raw(bytes);
    expectHardened(r, status, reflected);
    if (status === 405) expect(r.headers.allow).toMatch(/^(GET, HEAD|POST)$/);
  });

  it('a control character encoded in the path is a 400 that says so (before authentication); a bad body keeps its own', async () => {
    const message = (r: RawAnswer) => (JSON.parse(r.body) as { error: { message: string } }).error.message;
    for (const target of [
      '/api/releases%00',
      '/%00',
      '/assets/%00.js',
      '/api/releases/x%0a/rollback',
      '/api/health%1B',
      '/x%7f?a=1',
    ]) {
      const r = await raw(get(target));
      expectHardened(r, 400);
      expect(message(r), target).toBe('malformed URL (a control character in the path)');
    }
    // In the query a value is its route's business: this download name is sanitised like any other.
    const q = await request(s.url, '/api/db/package.sql?filename=a%00b', { headers: bearer(s.tokens.viewer) });
    expect(q.status).toBe(200);
    expect(q.headers['content-disposition']).toBe('attachment; filename="a_b.sql"');
    const body = await raw(post('/api/login', '{"username": '));
    expectHardened(body, 400);
    expect(message(body)).toBe('malformed request (the body must be valid JSON)');
  });

  it('a normal answer carries the same headers', async () => {
    const r = await request(s.url, '/api/health', { headers: bearer(s.tokens.viewer) });
    for (const [k, v] of Object.entries(API_SECURITY_HEADERS)) expect(r.headers[k]).toBe(v);
    expect(r.headers['cache-control']).toBe('no-store');
  });
});

describe('slow clients are closed', () => {
  it('Slowloris headers (a byte every 200 ms) get 408 and are closed after headersTimeoutMs', async () => {
    const r = await raw('GET /health/live HTTP/1.1\r\nHost: x\r\n', { trickle: 'X-a: b\r\n', intervalMs: 200 });
    expectHardened(r, 408);
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(LIMITS.headersTimeoutMs - 100);
    expect(r.closedAfterMs).toBeLessThan(LIMITS.headersTimeoutMs + SLACK_MS);
  });

  it('a slow body (a byte every 200 ms) gets 408 and is closed after requestTimeoutMs', async () => {
    const head = 'POST /api/login HTTP/1.1\r\nHost: x\r\nOrigin: http://x\r\nContent-Type: application/json\r\n';
    const r = await raw(`${head}Content-Length: 1000\r\n\r\n{`, { trickle: ' ', intervalMs: 200 });
    expectHardened(r, 408);
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(LIMITS.requestTimeoutMs - 100);
    expect(r.closedAfterMs).toBeLessThan(LIMITS.requestTimeoutMs + SLACK_MS);
  });

  it('a connection that sends nothing is closed', async () => {
    const r = await raw('');
    expect(r.closedAfterMs).toBeLessThan(LIMITS.idleTimeoutMs + SLACK_MS);
  });

  it('a connection that sends nothing is closed after idleTimeoutMs when that comes before headersTimeoutMs', async () => {
    // Its own server, whose header and request deadlines are far beyond the idle timeout: only the idle timeout can
    // close this connection within the bound.
    const own = await startTestServer({
      http: { ...LIMITS, headersTimeoutMs: 60_000, requestTimeoutMs: 60_000, idleTimeoutMs: 1000 },
    });
    try {
      const r = await raw('', { to: own });
      expect(r.closedAfterMs).toBeGreaterThanOrEqual(1000 - 100);
      expect(r.closedAfterMs).toBeLessThan(1000 + SLACK_MS);
    } finally {
      await own.close();
    }
  });

  it('a request whose handler works longer than idleTimeoutMs is answered, not cut', async () => {
    const r = await request(s.url, '/api/releases/20260101T000000Z-aaaaaaaaaaaa/rollback', {
      method: 'POST',
      headers: { ...bearer(s.tokens.deployer), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(r.status, r.text).toBe(200);
  });

  it('150 slow connections do not starve a valid request, and all of them are closed in time', async () => {
    // Its own server, whose slow-client deadlines leave a loaded machine seconds to answer the valid request while
    // every slow connection is still held open: the promise is that order of events, not a latency.
    const roomy = { ...LIMITS, headersTimeoutMs: 5000, requestTimeoutMs: 5000, keepAliveTimeoutMs: 5000 };
    const own = await startTestServer({ http: roomy });
    const sockets: net.Socket[] = [];
    const slow = Array.from({ length: 150 }, (_, i) =>
      raw(
        i % 2
          ? 'GET /health/live HTTP/1.1\r\n'
          : post('/api/login', '').replace('Content-Length: 0', 'Content-Length: 500'),
        {
          trickle: 'X',
          intervalMs: 300,
          socket: (sock) => void sockets.push(sock),
          to: own,
        },
      ),
    );
    try {
      const ok = await request(own.url, '/api/health', { headers: bearer(own.tokens.viewer) });
      const answeredAt = performance.now();
      expect([200, 206]).toContain(ok.status);
      const answers = await Promise.all(slow);
      // Answered while all 150 were still open (a connection cap or a busy loop would answer it only after some closed).
      expect(answeredAt).toBeLessThan(Math.min(...answers.map((a) => a.closedAt)));
      const latest = Math.max(...answers.map((a) => a.closedAfterMs));
      expect(latest).toBeLessThan(roomy.requestTimeoutMs + SLACK_MS * 2);
      for (const a of answers) expect([408, 400]).toContain(a.status);
    } finally {
      for (const sock of sockets) sock.destroy();
      await own.close();
    }
  });
});
