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

/** The paths of the API (every route that is not the web UI): their answers get the API set. */
export const API_PATH = /^\/(api|rest|metrics|health)(\/|$)/;

/** The set for a route's URL pattern: the API's for API paths, the web UI's for everything else. */
export function securityHeadersFor(url: string): Readonly<Record<string, string>> {
  return API_PATH.test(url) ? API_SECURITY_HEADERS : UI_SECURITY_HEADERS;
}
