import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, bearer, login, readAudit, request, startTestServer, PASSWORD, type TestServer } from './helpers.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s.close());

const health = (headers: Record<string, string> = {}) => request(s.url, '/api/health', { headers });

describe('Authentication', () => {
  it('AUTH 1: no credentials is a 401 with a Basic challenge', async () => {
    const r = await health();
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Basic realm="slipway", charset="UTF-8"');
    expect(r.json().error.code).toBe('E_AUTH');
  });

  it('AUTH 2: the web UI (X-Requested-With) gets a 401 without the challenge, so no browser dialog', async () => {
    const r = await health({ 'x-requested-with': 'XMLHttpRequest' });
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBeUndefined();
  });

  it('AUTH 3: a wrong password is a 401', async () => {
    expect((await health(basic('viewer', 'not the password'))).status).toBe(401);
  });

  it('AUTH 4: an unknown user is a 401 with the same message as a wrong password', async () => {
    const unknown = await health(basic('mallory'));
    const wrong = await health(basic('viewer', 'nope'));
    expect(unknown.status).toBe(401);
    expect(unknown.json()).toEqual(wrong.json());
  });

  it('AUTH 5: correct Basic credentials are accepted', async () => {
    expect((await health(basic('viewer'))).status).not.toBe(401);
  });

  it('AUTH 6: a valid Bearer token is accepted; an invalid one is a 401', async () => {
    expect((await health(bearer(s.tokens.viewer))).status).not.toBe(401);
    expect((await health(bearer(s.tokens.viewer + 'x'))).status).toBe(401);
    expect((await health(bearer(''))).status).toBe(401);
    // The scheme is case-insensitive (RFC 9110 §11.1), whichever way a client writes it.
    for (const scheme of ['bearer', 'BEARER', 'bEaReR'])
      expect((await health({ authorization: `${scheme} ${s.tokens.viewer}` })).status, scheme).not.toBe(401);
    expect((await health({ authorization: `Bearers ${s.tokens.viewer}` })).status).toBe(401);
  });

  it('AUTH 7: malformed or unsupported Authorization headers are 401', async () => {
    expect((await health({ authorization: 'Basic !!!notbase64' })).status).toBe(401);
    expect((await health({ authorization: `Basic ${Buffer.from('nocolon').toString('base64')}` })).status).toBe(401);
    expect((await health({ authorization: 'Digest username="viewer"' })).status).toBe(401);
  });

  it('AUTH 8: session login sets the cookie and GET /api/session returns user, groups and CSRF token', async () => {
    const sess = await login(s, 'deployer');
    const r = await request(s.url, '/api/session', { headers: { cookie: sess.cookie } });
    expect(r.json()).toMatchObject({
      authenticated: true,
      user: 'deployer',
      groups: ['deployers'],
      permissions: { read: true, deploy: true, admin: false },
      csrfToken: sess.csrf,
    });
    expect((await health({ cookie: sess.cookie })).status).not.toBe(401);
  });

  it('AUTH 9: logout ends the session; the old cookie is no longer accepted', async () => {
    const sess = await login(s, 'viewer');
    const out = await request(s.url, '/api/logout', {
      method: 'POST',
      headers: { cookie: sess.cookie, origin: sess.origin, 'x-csrf-token': sess.csrf },
    });
    expect(out.status).toBe(200);
    expect(out.headers['set-cookie']?.[0]).toMatch(/^slipway_session=; .*Max-Age=0/);
    expect((await health({ cookie: sess.cookie })).status).toBe(401);
  });

  it('AUTH 10: a forged or expired session cookie is a 401', async () => {
    expect((await health({ cookie: 'slipway_session=forged-session-id' })).status).toBe(401);
    const sess = await login(s, 'viewer');
    s.clock.advance(8 * 3600_000 + 1000);
    expect((await health({ cookie: sess.cookie })).status).toBe(401);
  });

  it('AUTH 11: a wrong login password is a 401 without a cookie', async () => {
    const r = await request(s.url, '/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'viewer', password: 'wrong' }),
    });
    expect(r.status).toBe(401);
    expect(r.headers['set-cookie']).toBeUndefined();
  });

  it('AUTH 12: the users file holds scrypt hashes (mode 0600), never a password or token', async () => {
    const file = path.join(s.dir, '.slipway', 'users.json');
    const text = await readFile(file, 'utf8');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(text).not.toContain(PASSWORD);
    expect(text).not.toContain(s.tokens.viewer);
    expect(JSON.parse(text).users.viewer.password).toMatch(/^scrypt\$32768\$8\$1\$[\w-]{22}\$[\w-]{43}$/);
  });

  it('AUTH 13: the audit log has user, route, outcome, ip and time — and no secret', async () => {
    await health(basic('admin'));
    const lines = await readAudit(
      s,
      (ls) =>
        ls.some((l) => l.user === 'admin' && l.route === '/api/health') &&
        ls.some((l) => l.route === '/api/login' && l.outcome === 401),
    );
    const entry = lines.find((l) => l.user === 'admin' && l.route === '/api/health');
    expect(entry).toMatchObject({ method: 'GET', ip: '127.0.0.1', via: 'basic' });
    expect(typeof entry?.outcome).toBe('number');
    expect(Date.parse(String(entry?.time))).not.toBeNaN();
    const failedLogin = lines.find((l) => l.route === '/api/login' && l.outcome === 401);
    expect(failedLogin?.user).toBe('viewer');
    const raw = JSON.stringify(lines);
    expect(raw).not.toContain(PASSWORD);
    for (const t of Object.values(s.tokens)) expect(raw).not.toContain(t);
    expect(raw).not.toMatch(/authorization|cookie|csrf/i);
  });
});
