/**
 * The security headers of every response, in two sets chosen by what the response is (the one owner of both; app.ts
 * applies them per route, http-limits.ts on the errors raised below the routes):
 *
 * - API answers (JSON, the SQL package, Prometheus text, every error): the OWASP REST Security Cheat Sheet set. A
 *   JSON or text answer is never rendered as a document, so the policies that only act on documents (script/style
 *   sources, Referrer-Policy, COOP, Permissions-Policy) have nothing to act on; what stays is what protects an API
 *   answer opened in a browser tab or framed: no sniffing, nothing loaded, no framing, not readable cross-origin.
 * - The web UI (index.html, its assets, the HTML fallback of client-side routes): the full document set.
 *
 * `Cache-Control: no-store` goes on every answer whose route did not set its own (the SQL package's ETag answer, the UI's
 * statics). No Strict-Transport-Security: `slipway serve` speaks plain HTTP, and HSTS is ignored on it; the TLS
 * terminator in front of it (a reverse proxy) is the one that can send it.
 */

/** The web UI's Content-Security-Policy: no 'unsafe-inline' for scripts or styles (the UI has no inline code). */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'self'",
].join('; ');

/** An API answer's Content-Security-Policy (OWASP REST): it loads nothing and may not be framed. */
export const API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'";

/** Headers on every API answer (JSON, text, errors), names lower-case. */
export const API_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': API_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'cross-origin-resource-policy': 'same-origin',
});

/** Headers on every web UI response (the document and its assets), names lower-case. */
export const UI_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': UI_CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
});

type HeaderSet = Readonly<Record<string, string>>;
type HeaderObject = Record<string, unknown>;

// Fastify keeps a reply's headers in a plain object of its own (symbol `fastify.reply.headers`, kReplyHeaders in
// fastify/lib/symbols.js): `reply.header(name, value)` lower-cases the name and stores the value there, and the reply
// hands that object to Node's writeHead as it is. A set whose names are already lower-case is written there directly:
// reply.header's per-name toLowerCase and megamorphic load and store were ~0.85k instructions per header on every answer
// (callgrind, GET /api/health). Found by the symbol's description once, so a Fastify that keeps its headers elsewhere
// gets the same headers through reply.header (test/unit/security-headers-apply.test.ts checks that this one is found).
let headersKey: symbol | null | undefined;

/** The reply's own header object (what reply.header writes), or undefined when this Fastify keeps none we know. */
export function replyHeaderObject(reply: object): HeaderObject | undefined {
  if (headersKey === undefined)
    headersKey = Object.getOwnPropertySymbols(reply).find((s) => s.description === 'fastify.reply.headers') ?? null;
  if (headersKey === null) return undefined;
  const h = (reply as Record<symbol, unknown>)[headersKey];
  return typeof h === 'object' && h !== null ? (h as HeaderObject) : undefined;
}

/** What reply.headers/hasHeader/header need: a FastifyReply, or anything with them (tests). */
interface HeaderReply {
  headers(values: HeaderSet): unknown;
  hasHeader(name: string): boolean;
  header(name: string, value: string): unknown;
}

/**
 * Sets a security header set and, unless the route chose its own, `Cache-Control: no-store` (what
 * `reply.headers(set)` and a `cache-control` header when `!reply.hasHeader('cache-control')` do, without their per-name
 * work). The API's set, on every API answer, as named stores (one object shape per route, so V8 keeps them monomorphic);
 * any other set by its names.
 */
export function applySecurityHeaders(reply: HeaderReply, set: HeaderSet): void {
  const h = replyHeaderObject(reply);
  if (h === undefined) {
    reply.headers(set);
    if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
    return;
  }
  if (set === API_SECURITY_HEADERS) {
    h['content-security-policy'] = API_SECURITY_HEADERS['content-security-policy'];
    h['x-content-type-options'] = API_SECURITY_HEADERS['x-content-type-options'];
    h['x-frame-options'] = API_SECURITY_HEADERS['x-frame-options'];
    h['cross-origin-resource-policy'] = API_SECURITY_HEADERS['cross-origin-resource-policy'];
  } else {
    for (const name of Object.keys(set)) h[name] = set[name];
  }
  if (h['cache-control'] === undefined) h['cache-control'] = 'no-store';
}

/** The paths of the API (every route that is not the web UI): their answers get the API set. */
export const API_PATH = /^\/(api|rest|metrics|health)(\/|$)/;

/** The set for a route's URL pattern: the API's for API paths, the web UI's for everything else. */
export function securityHeadersFor(url: string): Readonly<Record<string, string>> {
  return API_PATH.test(url) ? API_SECURITY_HEADERS : UI_SECURITY_HEADERS;
}
