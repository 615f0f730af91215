import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, login, request, startTestServer, type HttpResult, type TestServer } from './helpers.js';
import {
  API_CONTENT_SECURITY_POLICY,
  API_SECURITY_HEADERS,
  UI_SECURITY_HEADERS,
} from '../../src/server/security-headers.js';

const PAYLOAD = '<script>alert(1)</script>';
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s.close());

const get = (p: string, headers: Record<string, string> = basic('admin')) => request(s.url, p, { headers });

/** Nothing in the body can be interpreted as markup, and the browser is told not to sniff. */
function expectInert(r: HttpResult): void {
  expect(r.text).not.toMatch(/<script|<img|<svg|onerror=|onload=/i);
  expect(r.headers['x-content-type-options']).toBe('nosniff');
  expect(String(r.headers['content-type'])).toMatch(/^(application\/json|text\/plain)/);
}

describe('XSS prevention', () => {
  it('XSS 1: script tag in ?filename= never reaches Content-Disposition', async () => {
    const r = await get(`/api/db/package.sql?filename=${encodeURIComponent(PAYLOAD)}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-disposition']).toBe('attachment; filename="_script_alert_1___script_.sql"');
  });

  it('XSS 2: quotes and CR/LF in ?filename= cannot inject a header', async () => {
    const r = await get(`/api/db/package.sql?filename=${encodeURIComponent('a"\r\nSet-Cookie: x=1')}`);
    expect(r.status).toBe(200);
    expect(r.headers['set-cookie']).toBeUndefined();
    expect(r.headers['content-disposition']).toBe('attachment; filename="a___Set-Cookie__x_1.sql"');
  });

  it('XSS 3: script in an unknown path is not reflected in the 404', async () => {
    const r = await get(`/${encodeURIComponent(PAYLOAD)}`);
    expect(r.status).toBe(404);
    expectInert(r);
    expect(r.json()).toEqual({ error: { code: 'E_NOT_FOUND', message: 'no such route' } });
  });

  it('XSS 4: markup in an unknown query parameter name is not reflected', async () => {
    const r = await get(`/api/releases?${encodeURIComponent('<img src=x onerror=alert(1)>')}=1`);
    expect(r.status).toBe(400);
    expectInert(r);
  });

  it('XSS 5: script in ?since= is rejected without echoing it', async () => {
    const r = await get(`/api/db/package.sql?since=${encodeURIComponent(PAYLOAD)}`);
    expect(r.status).toBe(400);
    expect(r.json().error.field).toBe('since');
    expectInert(r);
  });

  it('XSS 6: attribute-breaking payload in ?contexts= is rejected without echoing it', async () => {
    const r = await get(`/api/db/package.sql?contexts=${encodeURIComponent('"><svg onload=alert(1)>')}`);
    expect(r.status).toBe(400);
    expect(r.json().error.field).toBe('contexts');
    expectInert(r);
  });

  it('XSS 7: script as the login user name is rejected without echoing it', async () => {
    const r = await request(s.url, '/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: PAYLOAD, password: 'x' }),
    });
    expect(r.status).toBe(400);
    expect(r.json().error.field).toBe('username');
    expectInert(r);
  });

  it('XSS 8: script as a release id in the rollback URL is rejected without echoing it', async () => {
    const r = await request(s.url, `/api/releases/${encodeURIComponent(PAYLOAD)}/rollback`, {
      method: 'POST',
      headers: basic('admin'),
    });
    expect(r.status).toBe(400);
    expect(r.json().error.field).toBe('id');
    expectInert(r);
    expect(s.calls.rollback).toHaveLength(0);
  });

  it('XSS 9: markup as ?format= is rejected without echoing it', async () => {
    const r = await get(`/api/manifest?format=${encodeURIComponent('<b>x</b>')}`);
    expect(r.status).toBe(400);
    expect(r.json().error.field).toBe('format');
    expectInert(r);
  });

  it('XSS 10: stored markup (a release field) is served as escaped JSON, never as HTML', async () => {
    const r = await get('/api/releases');
    expect(r.status).toBe(200);
    expectInert(r);
    expect(r.text).toContain('\\u003cscript\\u003ealert(1)\\u003c/script\\u003e');
    expect(r.json().releases[1].deployedBy).toBe(PAYLOAD); // still the exact value once parsed
  });

  it('XSS 11: markup inside the SQL package is downloaded as text/plain attachment with nosniff', async () => {
    const r = await get('/api/db/package.sql');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['content-disposition']).toBe('attachment; filename="demo-database-package.sql"');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
  });

  it('XSS 12: API answers carry the OWASP REST set: a CSP that loads nothing and forbids framing, nothing document-only', async () => {
    const r = await get('/api/health');
    expect(r.headers['content-security-policy']).toBe(API_CONTENT_SECURITY_POLICY);
    expect(r.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    for (const [k, v] of Object.entries(API_SECURITY_HEADERS)) expect(r.headers[k], k).toBe(v);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['cross-origin-resource-policy']).toBe('same-origin');
    expect(r.headers['cache-control']).toBe('no-store');
    // Referrer-Policy, COOP and Permissions-Policy act only on documents; a JSON answer is never one.
    for (const k of ['referrer-policy', 'cross-origin-opener-policy', 'permissions-policy'])
      expect(r.headers[k], k).toBeUndefined();
    // The SQL package (text/plain) and /metrics are API answers too; the package keeps its own cache rule.
    const pkg = await get('/api/db/package.sql');
    expect(pkg.headers['content-security-policy']).toBe(API_CONTENT_SECURITY_POLICY);
    expect(pkg.headers['cache-control']).toBe('private, no-cache');
    const metrics = await get('/metrics');
    expect(metrics.headers['content-security-policy']).toBe(API_CONTENT_SECURITY_POLICY);
    expect(metrics.headers['x-content-type-options']).toBe('nosniff');
  });

  it('XSS 13: error responses carry the API set too (CSP, nosniff, X-Frame-Options, CORP, no-store)', async () => {
    for (const r of [await request(s.url, '/api/health'), await get('/api/nope'), await get('/nope')]) {
      expect([401, 404]).toContain(r.status);
      for (const [k, v] of Object.entries(API_SECURITY_HEADERS)) expect(r.headers[k], k).toBe(v);
      expect(r.headers['cache-control']).toBe('no-store');
      expect(r.headers['referrer-policy']).toBeUndefined();
    }
    // Not the web UI's policy, which allows scripts and styles from the server.
    expect(UI_SECURITY_HEADERS['content-security-policy']).not.toBe(API_CONTENT_SECURITY_POLICY);
  });

  it('XSS 14: asking for text/html still gets JSON (no HTML rendering of errors)', async () => {
    const r = await get(`/api/nope?q=${encodeURIComponent(PAYLOAD)}`, { ...basic('admin'), accept: 'text/html' });
    expect(r.status).toBe(404);
    expectInert(r);
  });

  it('XSS 15: the session endpoint returns JSON with nosniff for a logged-in browser', async () => {
    const sess = await login(s, 'viewer');
    const r = await request(s.url, '/api/session', { headers: { cookie: sess.cookie } });
    expect(r.status).toBe(200);
    expectInert(r);
    expect(r.json()).toMatchObject({ authenticated: true, user: 'viewer', groups: ['viewers'] });
  });
});
