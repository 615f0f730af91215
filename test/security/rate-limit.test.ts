import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { basic, bearer, request, startTestServer, PASSWORD, type TestServer } from './helpers.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer(); // default 30 package requests per user per minute
});
afterAll(async () => s.close());

const pkg = (user = 'viewer', p = '/api/db/package.sql') => request(s.url, p, { headers: basic(user) });

/** Uses up `user`'s 30 package requests of this minute (each answered 200). */
async function exhaust(user = 'viewer'): Promise<void> {
  for (let i = 1; i <= 30; i++) expect((await pkg(user)).status, `request ${i}`).toBe(200);
}

// Each test starts with fresh rate windows (the test clock moves past the minute), so none depends on another having
// run first: any one of them passes alone, in any order.
beforeEach(() => {
  s.clock.advance(61_000);
});

describe('Rate limiting', () => {
  it('RL 1: the 31st package request within a minute is a 429 with Retry-After', async () => {
    await exhaust();
    const r = await pkg();
    expect(r.status).toBe(429);
    expect(r.json().error.code).toBe('E_RATE_LIMIT');
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(59);
    expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(60);
  });

  it('RL 2: the limit is per user — another user still gets packages', async () => {
    await exhaust();
    expect((await pkg()).status).toBe(429);
    expect((await pkg('deployer')).status).toBe(200);
    expect((await request(s.url, '/api/db/package.sql', { headers: bearer(s.tokens.admin) })).status).toBe(200);
  });

  it('RL 3: the seed path shares the counter with /api/db/package.sql', async () => {
    await exhaust();
    const r = await pkg('viewer', '/rest/scriptrunner/latest/custom/databaseVersionsPackageSQL');
    expect(r.status).toBe(429);
  });

  it('RL 4: other routes are not limited for a user who hit the package limit', async () => {
    await exhaust();
    expect((await pkg()).status).toBe(429);
    for (let i = 0; i < 5; i++)
      expect((await request(s.url, '/api/releases', { headers: basic('viewer') })).status).toBe(200);
  });

  it('RL 5: the window resets after a minute (clock advanced, no sleeping)', async () => {
    await exhaust();
    expect((await pkg()).status).toBe(429);
    s.clock.advance(61_000);
    expect((await pkg()).status).toBe(200);
  });

  it('RL 6: logins are limited per client address (brute-force brake)', async () => {
    const attempt = () =>
      request(s.url, '/api/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'viewer', password: 'wrong-password' }),
      });
    for (let i = 1; i <= 10; i++) expect((await attempt()).status, `attempt ${i}`).toBe(401);
    const r = await attempt();
    expect(r.status).toBe(429);
    expect(r.headers['retry-after']).toBeDefined();
    const right = await request(s.url, '/api/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'viewer', password: PASSWORD }),
    });
    expect(right.status).toBe(429);
  });
});
