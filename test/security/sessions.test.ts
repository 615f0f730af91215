import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, bearer, login, request, startTestServer, type TestServer } from './helpers.js';

let s: TestServer;
beforeAll(async () => {
  // Login attempts per client raised so one client can open many sessions; sessions per user stay at 10.
  s = await startTestServer({ rateLimit: { loginPerMinute: 1000 } });
});
afterAll(async () => s.close());

const sessionOf = async (cookie: string) => (await request(s.url, '/api/session', { headers: { cookie } })).json();

describe('Sessions', () => {
  it('SESS 1: a user who logs in 30 times evicts only their own oldest sessions, never an admin’s', async () => {
    const admin = await login(s, 'admin');
    const viewer: string[] = [];
    for (let i = 0; i < 30; i++) viewer.push((await login(s, 'viewer')).cookie);
    expect((await sessionOf(admin.cookie)).user).toBe('admin');
    const alive = await Promise.all(viewer.map(async (c) => (await sessionOf(c)).authenticated as boolean));
    expect(alive.slice(0, 20)).toEqual(Array(20).fill(false));
    expect(alive.slice(20)).toEqual(Array(10).fill(true));
    // The admin can still act with the session (CSRF token and all).
    const r = await request(s.url, '/api/releases/20260101T000000Z-aaaaaaaaaaaa/rollback', {
      method: 'POST',
      headers: {
        cookie: admin.cookie,
        origin: admin.origin,
        'x-csrf-token': admin.csrf,
        'content-type': 'application/json',
      },
      body: '{}',
    });
    expect(r.status).toBe(200);
  });

  it('SESS 2: logout sent with any Authorization header still ends the server-side session', async () => {
    for (const authorization of [basic('admin').authorization, bearer('slw_bogus').authorization, 'Digest x']) {
      const sess = await login(s, 'deployer');
      const r = await request(s.url, '/api/logout', {
        method: 'POST',
        headers: {
          authorization,
          cookie: sess.cookie,
          origin: sess.origin,
          'x-csrf-token': sess.csrf,
          'content-type': 'application/json',
        },
        body: '{}',
      });
      expect(r.status, authorization).toBe(200);
      expect(r.headers['set-cookie']?.join('\n')).toMatch(/slipway_session=;.*Max-Age=0/);
      // The old cookie, replayed, no longer opens a session.
      expect((await sessionOf(sess.cookie)).authenticated, authorization).toBe(false);
    }
  });

  it('SESS 3: logout without the CSRF token is refused and the session stays', async () => {
    const sess = await login(s, 'deployer');
    const r = await request(s.url, '/api/logout', {
      method: 'POST',
      headers: { cookie: sess.cookie, origin: sess.origin, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(r.status).toBe(403);
    expect((await sessionOf(sess.cookie)).authenticated).toBe(true);
  });

  it('SESS 4: without credentials (or with a forged cookie) /api/session is 200 with the signed-out session', async () => {
    const signedOut = {
      authenticated: false,
      user: null,
      groups: [],
      permissions: { read: false, deploy: false, admin: false },
      csrfToken: null,
      expiresAt: null,
    };
    for (const headers of [{}, { cookie: 'slipway_session=forged' }] as Record<string, string>[]) {
      const r = await request(s.url, '/api/session', { headers });
      expect(r.status).toBe(200);
      expect(r.json()).toEqual(signedOut);
    }
    expect((await request(s.url, '/api/csrf')).json()).toEqual({ csrfToken: null });
  });
});
