/**
 * The built-in blue-green reverse proxy (node:http). The live upstream is one variable: each request reads it
 * once when it arrives, so a switch is atomic — requests already in flight finish on the old slot, every later
 * request goes to the new one. In-flight requests are counted per upstream port so the old slot can be drained.
 * Hand-written rather than http-proxy (unmaintained since 2020) because we need exactly this: a per-request
 * upstream read, in-flight counts, one safe retry. No WebSocket/upgrade support.
 */
import { timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Upstream {
  slot: string;
  port: number;
  generation: number;
}

export interface ProxyOptions {
  host: string;
  port: number;
  /** Admin (control) server, always on 127.0.0.1; 0 = any free port. */
  adminPort: number;
  token: string;
  upstream: Upstream | null;
}

export interface ProxyStatus {
  upstream: Upstream | null;
  inflight: Record<string, number>;
  served: number;
  failed: number;
  publicPort: number;
  adminPort: number;
  pid: number;
}

export interface RunningProxy {
  publicPort: number;
  adminPort: number;
  /** Swaps the upstream unless `next` is older than the current generation; returns whether it applied. */
  setUpstream(next: Upstream): boolean;
  status(): ProxyStatus;
  close(): Promise<void>;
}

// RFC 9110 §7.6.1 hop-by-hop fields: never forwarded.
const HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Starts the public proxy and its admin server. */
export async function startProxy(opts: ProxyOptions): Promise<RunningProxy> {
  let upstream = opts.upstream;
  const inflight = new Map<number, number>();
  let served = 0;
  let failed = 0;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });

  const track = (port: number, delta: number): void => {
    const n = (inflight.get(port) ?? 0) + delta;
    if (n <= 0) inflight.delete(port);
    else inflight.set(port, n);
  };

  const forward = (req: http.IncomingMessage, res: http.ServerResponse, retry: boolean): void => {
    const up = upstream; // read once: this request belongs to this upstream for its whole life
    if (!up) {
      failed++;
      sendJson(res, 503, { error: 'no live slot yet' });
      return;
    }
    track(up.port, +1);
    let done = false;
    const finish = (): void => {
      if (!done) {
        done = true;
        track(up.port, -1);
      }
    };
    const headers: http.OutgoingHttpHeaders = {};
    for (const [k, v] of Object.entries(req.headers)) if (!HOP.has(k) && v !== undefined) headers[k] = v;
    const remote = req.socket.remoteAddress ?? '';
    headers['x-forwarded-for'] = req.headers['x-forwarded-for']
      ? `${String(req.headers['x-forwarded-for'])}, ${remote}`
      : remote;
    headers['x-forwarded-host'] ??= req.headers.host ?? '';
    headers['x-forwarded-proto'] ??= 'http';
    const bodyless = !req.headers['content-length'] && !req.headers['transfer-encoding'];
    const upReq = http.request(
      { host: '127.0.0.1', port: up.port, method: req.method, path: req.url, headers, agent },
      (upRes) => {
        const out: http.OutgoingHttpHeaders = {};
        for (const [k, v] of Object.entries(upRes.headers)) if (!HOP.has(k) && v !== undefined) out[k] = v;
        res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, out);
        upRes.pipe(res);
        upRes.on('end', () => {
          served++;
          finish();
        });
        upRes.on('error', () => {
          finish();
          res.destroy();
        });
      },
    );
    upReq.on('error', (err: NodeJS.ErrnoException) => {
      finish();
      if (res.headersSent) return void res.destroy();
      // A reused keep-alive socket the upstream just closed, or an upstream gone between switch and request:
      // a request without a body that never reached the app is safe to send once more (to the current upstream).
      if (retry && bodyless && (err.code === 'ECONNRESET' || err.code === 'ECONNREFUSED' || err.code === 'EPIPE')) {
        forward(req, res, false);
        return;
      }
      failed++;
      sendJson(res, 502, { error: `upstream ${up.slot} (port ${up.port}) failed: ${err.code ?? err.message}` });
    });
    res.on('close', () => {
      if (!res.writableFinished) upReq.destroy(); // client went away: do not leave the upstream working for nobody
      finish();
    });
    if (bodyless) upReq.end();
    else req.pipe(upReq);
  };

  const server = http.createServer((req, res) => forward(req, res, true));
  server.keepAliveTimeout = 5000;

  const proxy: RunningProxy = {
    publicPort: 0,
    adminPort: 0,
    setUpstream(next) {
      if (upstream && next.generation < upstream.generation) return false;
      upstream = next;
      return true;
    },
    status: () => ({
      upstream,
      inflight: Object.fromEntries(inflight),
      served,
      failed,
      publicPort: proxy.publicPort,
      adminPort: proxy.adminPort,
      pid: process.pid,
    }),
    async close() {
      await Promise.all([closeServer(server), closeServer(admin)]);
      agent.destroy();
    },
  };

  const admin = http.createServer((req, res) => void handleAdmin(req, res, opts.token, proxy));
  await listen(server, opts.port, opts.host);
  await listen(admin, opts.adminPort, '127.0.0.1');
  proxy.publicPort = (server.address() as AddressInfo).port;
  proxy.adminPort = (admin.address() as AddressInfo).port;
  return proxy;
}

async function handleAdmin(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  token: string,
  proxy: RunningProxy,
): Promise<void> {
  const given = Buffer.from(String(req.headers.authorization ?? ''));
  const wanted = Buffer.from(`Bearer ${token}`);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
    return sendJson(res, 401, { error: 'admin token required' });
  const url = new URL(req.url ?? '/', 'http://admin');
  if (req.method === 'GET' && url.pathname === '/status') return sendJson(res, 200, proxy.status());
  if (req.method === 'POST' && url.pathname === '/switch') {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > 4096) return sendJson(res, 413, { error: 'body too large' });
      chunks.push(c);
    }
    let body: Partial<Upstream>;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Partial<Upstream>;
    } catch {
      return sendJson(res, 400, { error: 'body must be JSON {slot, port, generation}' });
    }
    const { slot, port, generation } = body;
    if (
      typeof slot !== 'string' ||
      !Number.isInteger(port) ||
      !Number.isInteger(generation) ||
      port! < 1 ||
      port! > 65535
    ) {
      return sendJson(res, 400, { error: 'body must be JSON {slot, port, generation}' });
    }
    const applied = proxy.setUpstream({ slot, port: port!, generation: generation! });
    return sendJson(res, applied ? 200 : 409, { applied, ...proxy.status() });
  }
  return sendJson(res, 404, { error: 'GET /status or POST /switch' });
}

function sendJson(res: http.ServerResponse, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(code, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
