import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { basic, login, request, startTestServer, PASSWORD, type TestServer } from './helpers.js';

const TARGET = '/api/releases/20260101T000000Z-aaaaaaaaaaaa/rollback';
let s: TestServer;
let sess: { cookie: string; csrf: string; origin: string };
beforeAll(async () => {
  s = await startTestServer();
  sess = await login(s, 'deployer');
});
afterAll(async () => s.close());
beforeEach(() => {
  s.calls.rollback.length = 0;
});

const post = (headers: Record<string, string>, body = '{}') =>
  request(s.url, TARGET, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

describe('CSRF protection', () => {
  it('CSRF 1: a session POST without X-CSRF-Token is refused and nothing runs', async () => {
    const r = await post({ cookie: sess.cookie, origin: sess.origin });
    expect(r.status).toBe(403);
    expect(r.json().error.code).toBe('E_CSRF');
    expect(s.calls.rollback).toHaveLength(0);
  });

  it('CSRF 2: a wrong X-CSRF-Token is refused', async () => {
    const r = await post({ cookie: sess.cookie, origin: sess.origin, 'x-csrf-token': sess.csrf.slice(0, -2) + 'xx' });
    expect(r.status).toBe(403);
    expect(r.json().error.code).toBe('E_CSRF');
    expect(s.calls.rollback).toHaveLength(0);
  });

  it('CSRF 3: the right token from a foreign Origin is refused', async () => {
    const r = await post({ cookie: sess.cookie, origin: 'https://evil.example', 'x-csrf-token': sess.csrf });
    expect(r.status).toBe(403);
    expect(r.json().error.message).toBe('cross-origin request refused');
    expect(s.calls.rollback).toHaveLength(0);
  });

  it('CSRF 4: the right token without Origin or Referer is refused', async () => {
    const r = await post({ cookie: sess.cookie, 'x-csrf-token': sess.csrf });
    expect(r.status).toBe(403);
    expect(r.json().error.code).toBe('E_CSRF');
    expect(s.calls.rollback).toHaveLength(0);
  });

  it('CSRF 5: the header token without the matching double-submit cookie is refused', async () => {
    const sessionOnly = sess.cookie
      .split('; ')
      .filter((c) => c.startsWith('slipway_session='))
      .join('; ');
    const r = await post({ cookie: sessionOnly, origin: sess.origin, 'x-csrf-token': sess.csrf });
    expect(r.status).toBe(403);
    expect(r.json().error.code).toBe('E_CSRF');
    expect(s.calls.rollback).toHaveLength(0);
  });

  it('CSRF 6: token, cookie and same Origin together are accepted (positive control)', async () => {
    const r = await post({ cookie: sess.cookie, origin: sess.origin, 'x-csrf-token': sess.csrf });
    expect(r.status).toBe(200);
    expect(s.calls.rollback).toHaveLength(1);
    expect(s.calls.rollback[0]).toMatchObject({
      to: '20260101T000000Z-aaaaaaaaaaaa',
      actor: 'deployer',
      target: 'prod',
    });
  });

  it('CSRF 7: a form-style text/plain POST (no preflight) is refused with 415', async () => {
    const r = await request(s.url, TARGET, {
      method: 'POST',
      headers: { cookie: sess.cookie, origin: sess.origin, 'x-csrf-token': sess.csrf, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(r.status).toBe(415);
    expect(s.calls.rollback).toHaveLength(0);
  });

  it('CSRF 8: login from a foreign Origin is refused (login CSRF)', async () => {
    const r = await request(s.url, '/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' },
      body: JSON.stringify({ username: 'deployer', password: PASSWORD }),
    });
    expect(r.status).toBe(403);
    expect(r.headers['set-cookie']).toBeUndefined();
  });

  it('CSRF 9: logout with a session needs the token as well', async () => {
    const r = await request(s.url, '/api/logout', {
      method: 'POST',
      headers: { cookie: sess.cookie, origin: sess.origin },
    });
    expect(r.status).toBe(403);
    const still = await request(s.url, '/api/session', { headers: { cookie: sess.cookie } });
    expect(still.json().authenticated).toBe(true);
  });

  it('CSRF 10: API clients with Basic credentials are exempt (no cookie, nothing to forge)', async () => {
    const r = await post(basic('deployer'));
    expect(r.status).toBe(200);
    expect(s.calls.rollback).toHaveLength(1);
  });

  it('CSRF 11: the session cookie is SameSite=Strict and HttpOnly; the CSRF cookie is readable', async () => {
    const r = await request(s.url, '/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: s.url },
      body: JSON.stringify({ username: 'viewer', password: PASSWORD }),
    });
    const cookies = r.headers['set-cookie'] ?? [];
    const session = cookies.find((c) => c.startsWith('slipway_session='));
    const csrf = cookies.find((c) => c.startsWith('slipway_csrf='));
    expect(session).toMatch(/; Path=\/; SameSite=Strict; Max-Age=28800; HttpOnly$/);
    expect(csrf).toMatch(/; Path=\/; SameSite=Strict; Max-Age=28800$/);
    expect(csrf?.split(';')[0]).toBe(`slipway_csrf=${r.json().csrfToken}`);
  });

  it('CSRF 12: X-Forwarded-Host/-Proto cannot make a foreign Origin look local unless server.trustProxy is set', async () => {
    const forged = {
      cookie: sess.cookie,
      origin: 'https://evil.example',
      'x-csrf-token': sess.csrf,
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    };
    const r = await post(forged);
    expect(r.status).toBe(403);
    expect(s.calls.rollback).toHaveLength(0);
  });
});
