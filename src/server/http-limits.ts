/**
 * Limits on what a client may send and how slowly, and the answers to requests that break them — including the
 * errors Node's HTTP parser and Fastify's router raise before any route or hook runs (bad URL encoding, oversized
 * request line or headers, timeouts). Every one of those answers carries the security headers and a fixed JSON body:
 * nothing from the request is ever reflected.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.js';
import { HttpError } from './http-error.js';
import { API_SECURITY_HEADERS } from './security-headers.js';

export type HttpLimits = Config['server']['http'];

/** Request body limits in bytes: credentials are tiny, actions small; a GET or HEAD takes none. */
export const BODY_LIMITS = { default: 64 * 1024, login: 4096, logout: 1024, action: 4096 } as const;

/** Every header an error answer carries, whichever layer produced it. */
export function errorHeaders(): Record<string, string> {
  return { ...API_SECURITY_HEADERS, 'cache-control': 'no-store', 'content-type': 'application/json; charset=utf-8' };
}

/** The JSON error body; `message` is always one of this module's fixed texts. */
function errorBody(code: string, message: string): string {
  return JSON.stringify({ error: { code, message } });
}

/** Timeouts and sizes for Fastify and the Node HTTP server under it. */
export function serverOptions(limits: HttpLimits) {
  const requestTimeout = limits.requestTimeoutMs;
  const headersTimeout = Math.min(limits.headersTimeoutMs, requestTimeout); // Node refuses headers > request
  return {
    // No `connectionTimeout` (Node's server.timeout): closeIdleSockets gives each connection its idle timeout instead.
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    requestTimeout,
    http: {
      headersTimeout,
      requestTimeout,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      // Node checks the two timeouts only this often (default 30 s, so a 10 s limit could hold for 40 s).
      connectionsCheckingInterval: Math.max(25, Math.min(2000, Math.floor(headersTimeout / 5))),
    },
    clientErrorHandler: clientErrorHandler(limits),
    frameworkErrors: frameworkErrorHandler,
  };
}

/**
 * Closes a connection idle for `idleTimeoutMs` only when no request is in flight on it. Node's default would also cut
 * a request whose handler is still working (a rollback waiting on its health gate); a client too slow to send its
 * request is the request and header timeouts' business.
 *
 * The timeout is the connection's own, set when it opens, not Node's server.timeout (Fastify's `connectionTimeout`):
 * Node puts server.timeout back on the socket when each keep-alive request after the first begins, and then refreshes
 * it on every write, for a timer whose firing this handler ignores while the request is in flight (the timer insert of
 * `setUnrefTimeout` and the write's `_unrefTimer`, callgrind, GET /api/health: see docs/server-request-cost.md). The
 * idle limits stay as they were: a connection that has not sent its first request is closed after `idleTimeoutMs`
 * (test/security/http-hardening.test.ts), and after every response Node replaces the socket's timeout with the
 * keep-alive timeout, as it did.
 */
export function closeIdleSockets(server: http.Server, idleTimeoutMs: number): void {
  server.on('connection', (socket: Socket) => socket.setTimeout(idleTimeoutMs));
  server.on('timeout', (socket: Socket) => {
    const res = (socket as Socket & { _httpMessage?: http.ServerResponse })._httpMessage;
    if (!res || res.writableFinished) socket.destroy();
  });
}

/** A complete raw HTTP/1.1 error response, for errors raised before Fastify has a request. */
export function rawErrorResponse(status: number, code: string, message: string): string {
  const body = errorBody(code, message);
  const headers = { ...errorHeaders(), 'content-length': String(Buffer.byteLength(body)), connection: 'close' };
  const lines = [`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? 'Error'}`];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

// Fastify types rawPacket as a Buffer's JSON form; Node passes the Buffer itself.
type ParserError = Error & { code?: string; rawPacket?: unknown };

/** Status, code and fixed message for an error of Node's HTTP parser or its timeouts. */
export function classifyClientError(err: ParserError, limits: HttpLimits): [number, string, string] {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return [408, 'E_TIMEOUT', 'request not received in time'];
  if (err.code === 'HPE_HEADER_OVERFLOW')
    return inRequestLine(Buffer.isBuffer(err.rawPacket) ? err.rawPacket : undefined, limits.maxUrlBytes)
      ? [414, 'E_VALIDATION', 'request URL too long']
      : [431, 'E_VALIDATION', 'request headers too large'];
  return [400, 'E_VALIDATION', 'malformed HTTP request'];
}

/**
 * Whether an overflow happened in the request line: the packet starts with a request line longer than the URL limit,
 * or is the tail of one (no line break before " HTTP/1."), or holds no line break at all.
 */
function inRequestLine(packet: Buffer | undefined, maxUrlBytes: number): boolean {
  if (!packet) return false;
  const text = packet.toString('latin1');
  const eol = text.indexOf('\r\n');
  const first = eol < 0 ? text : text.slice(0, eol);
  if (/^[A-Z]+ /.test(first)) return first.length > maxUrlBytes;
  return eol < 0 || / HTTP\/\d\.\d$/.test(first);
}

function clientErrorHandler(limits: HttpLimits) {
  return function onClientError(err: ParserError, socket: Socket): void {
    if (err.code === 'ECONNRESET' || socket.destroyed) return;
    const [status, code, message] = classifyClientError(err, limits);
    // As Node does: answer unless a response on this connection has already begun, then close.
    const pending = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (socket.writable && !pending?.headersSent) socket.write(rawErrorResponse(status, code, message));
    socket.destroy();
  };
}

/** Fastify's router errors (undecodable URL, over-long parameter): fixed text, never the path. */
function frameworkErrorHandler(err: FastifyError, _req: FastifyRequest, reply: FastifyReply): void {
  const tooLong = err.code === 'FST_ERR_MAX_PARAM_LENGTH';
  reply
    .code(tooLong ? 414 : 400)
    .headers(errorHeaders())
    .send(errorBody('E_VALIDATION', tooLong ? 'request URL too long' : 'malformed URL (bad percent-encoding)'));
}

/**
 * First hook of every request, before authentication: an over-long URL is 414, a control character encoded in the path
 * (`%00`) is 400, a body on a GET or HEAD is 413 (and the connection closes, so an unread body cannot hold it open).
 */
export function registerRequestLimits(app: FastifyInstance, limits: HttpLimits): void {
  // A callback hook: it runs on every request, and an async one costs a promise and a tick each time.
  app.addHook('onRequest', (req, _reply, done) => {
    const url = req.raw.url ?? '';
    if (Buffer.byteLength(url) > limits.maxUrlBytes)
      return done(new HttpError(414, 'E_VALIDATION', 'request URL too long', { headers: { connection: 'close' } }));
    if (hasEncodedControl(url))
      return done(new HttpError(400, 'E_VALIDATION', 'malformed URL (a control character in the path)'));
    if ((req.method === 'GET' || req.method === 'HEAD') && hasBody(req.headers))
      return done(
        new HttpError(413, 'E_VALIDATION', 'a GET or HEAD request takes no body', {
          headers: { connection: 'close' },
        }),
      );
    done();
  });
}

// %00-%1F and %7F: a NUL or another control character once the path is decoded. Node's parser refuses them raw, but
// encoded they reached the router (no route has one) and then the static files' 400, which has no text of its own.
// Query values are each route's schema's business (its 400 names the parameter).
const ENCODED_CONTROL = /%(?:[01][0-9a-f]|7f)/i;

/** Whether the path of a request target holds a percent-encoded control character. */
export function hasEncodedControl(url: string): boolean {
  if (!url.includes('%')) return false; // nearly every request: no scan
  const q = url.indexOf('?');
  return ENCODED_CONTROL.test(q < 0 ? url : url.slice(0, q));
}

function hasBody(headers: http.IncomingHttpHeaders): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const length = headers['content-length'];
  return length !== undefined && length !== '0';
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;

/** The methods a route at this exact path answers (for 405 + Allow); empty when no route has the path. */
export function allowedMethods(app: FastifyInstance, url: string): string[] {
  const path = url.split('?')[0] ?? '';
  return METHODS.filter((method) => {
    try {
      return app.hasRoute({ method, url: path });
    } catch {
      return false; // a path find-my-way cannot even parse as a route is no route
    }
  });
}
