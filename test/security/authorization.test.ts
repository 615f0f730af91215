import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, bearer, login, request, startTestServer, PASSWORD, type TestServer } from './helpers.js';
import { waitUntil } from '../helpers/wait.js';
import { addUser } from '../../src/server/users-file.js';

const ROLLBACK = '/api/releases/20260101T000000Z-aaaaaaaaaaaa/rollback';
let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ health: { public: false } });
});
afterAll(async () => s.close());

const post = (headers: Record<string, string>) =>
  request(s.url, ROLLBACK, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{}' });

describe('Authorization', () => {
  it('AUTHZ 1: a user outside viewers/deployers/admins is a 403 on read routes', async () => {
    for (const p of ['/api/health', '/api/releases', '/api/db/package.sql', '/metrics']) {
      const r = await request(s.url, p, { headers: basic('outsider') });
      expect(r.status, p).toBe(403);
      expect(r.json().error.code).toBe('E_FORBIDDEN');
    }
  });

  it('AUTHZ 2: viewers read health, releases, packages and metrics', async () => {
    for (const p of ['/api/releases', '/api/db/package.sql', '/metrics'])
      expect((await request(s.url, p, { headers: basic('viewer') })).status, p).toBe(200);
    expect([200, 206, 503]).toContain((await request(s.url, '/api/health', { headers: basic('viewer') })).status);
  });

  it('AUTHZ 3: a viewer cannot roll back (403) and the rollback never runs', async () => {
    const r = await post(basic('viewer'));
    expect(r.status).toBe(403);
    expect(s.calls.rollback).toHaveLength(0);
  });

  it('AUTHZ 4: a deployer can roll back', async () => {
    const r = await post(bearer(s.tokens.deployer));
    expect(r.status).toBe(200);
    expect(s.calls.rollback.at(-1)).toMatchObject({ actor: 'deployer' });
  });

  it('AUTHZ 5: an admin implicitly has deploy rights', async () => {
    const r = await post(basic('admin'));
    expect(r.status).toBe(200);
    expect(s.calls.rollback.at(-1)).toMatchObject({ actor: 'admin' });
  });

  it('AUTHZ 6: removing a user from deployers ends their open session (groups changed)', async () => {
    const sess = await login(s, 'deployer');
    const headers = { cookie: sess.cookie, origin: sess.origin, 'x-csrf-token': sess.csrf };
    await addUser({
      usersFile: path.join(s.dir, '.slipway', 'users.json'),
      name: 'deployer',
      password: PASSWORD,
      groups: ['viewers'],
      now: new Date(),
    });
    // The server watches the users file; wait (generous deadline) until it has seen the change.
    await waitUntil(
      async () =>
        (await request(s.url, '/api/session', { headers: { cookie: sess.cookie } })).json().authenticated === false,
      10_000,
      'the session to end',
    );
    const before = s.calls.rollback.length;
    expect((await post(headers)).status).toBe(401);
    expect(s.calls.rollback.length).toBe(before);
  });

  it('AUTHZ 7: liveness and readiness probes need no credentials; nothing else does without them', async () => {
    expect((await request(s.url, '/health/live')).status).toBe(200);
    expect([200, 206, 503]).toContain((await request(s.url, '/health/ready')).status);
    for (const p of [
      '/api/health',
      '/rest/scriptrunner/latest/custom/databaseVersions/health',
      '/api/manifest',
      '/api/db/changesets',
    ]) {
      expect((await request(s.url, p)).status, p).toBe(401);
    }
  });

  it('AUTHZ 8: every route the server has, bar the named public ones, is a 401 without credentials', async () => {
    // The routes as Fastify lists them (one per line, children indented under their parent), so a route added
    // later, or added where the authentication hook does not reach it, is caught here without naming it.
    const PUBLIC = new Set(['/health/live', '/health/ready', '/api/login', '/api/logout', '/api/session', '/api/csrf']);
    const parents: string[] = [];
    const checked: string[] = [];
    for (const line of s.running.app.printRoutes({ commonPrefix: false }).split('\n')) {
      const m = /^((?:│ {3}| {4})*)[├└]── (\S+) \(([^)]+)\)$/.exec(line);
      if (!m) continue;
      const depth = m[1]!.length / 4;
      const route = (parents[depth - 1] ?? '') + m[2]!;
      parents[depth] = route;
      if (route === '*' || PUBLIC.has(route)) continue; // '*': the web UI's files
      for (const method of m[3]!.split(', ')) {
        const url = route.replace(/:[a-z]+/gi, '20260101T000000Z-aaaaaaaaaaaa');
        const r = await request(s.url, url, {
          method,
          ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
        });
        expect(r.status, `${method} ${url}`).toBe(401);
        checked.push(`${method} ${route}`);
      }
    }
    expect(checked).toContain('GET /api/health');
    expect(checked).toContain('POST /api/releases/:id/rollback');
    expect(checked.length).toBeGreaterThanOrEqual(15);
  });
});
