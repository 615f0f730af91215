import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, request, startTestServer, type HttpResult, type TestServer } from './helpers.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer({ rateLimit: { packagePerMinute: 1000 } });
});
afterAll(async () => s.close());

const get = (p: string) => request(s.url, p, { headers: basic('admin') });
const post = (p: string, body: string, headers: Record<string, string> = {}) =>
  request(s.url, p, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...basic('admin'), ...headers },
    body,
  });

/** A 400 naming the field, with a JSON error and no stack trace or source path. */
function expectBadField(r: HttpResult, field: string): void {
  expect(r.status).toBe(400);
  expect(r.json().error).toMatchObject({ code: 'E_VALIDATION', field });
  expect(r.text).not.toMatch(/\bat \S+ \(|\.ts:\d+|node_modules/);
}

describe('Input validation', () => {
  it('IV 1: ?filename= over 100 characters is a 400 naming filename', async () => {
    expectBadField(await get(`/api/db/package.sql?filename=${'a'.repeat(101)}`), 'filename');
  });

  it('IV 2: ?filename= of exactly 100 characters is accepted', async () => {
    const r = await get(`/api/db/package.sql?filename=${'a'.repeat(100)}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-disposition']).toBe(`attachment; filename="${'a'.repeat(100)}.sql"`);
  });

  it('IV 3: the seed characters . / \\ : become _ (path traversal defused)', async () => {
    const r = await get(`/api/db/package.sql?filename=${encodeURIComponent('../../etc/pass:wd\\x')}`);
    expect(r.status).toBe(200);
    expect(r.headers['content-disposition']).toBe('attachment; filename="______etc_pass_wd_x.sql"');
  });

  it('IV 4: a repeated ?filename= (array) is a 400 naming filename', async () => {
    expectBadField(await get('/api/db/package.sql?filename=a&filename=b'), 'filename');
  });

  it('IV 5: an unknown query parameter is a 400 naming it', async () => {
    expectBadField(await get('/api/db/package.sql?fielname=x'), 'fielname');
  });

  it('IV 6: SQL-ish ?since= is a 400 naming since, and the package is not generated', async () => {
    const before = s.calls.packages.length;
    expectBadField(
      await get(`/api/db/package.sql?since=${encodeURIComponent("1'; DROP TABLE databasechangelog; --")}`),
      'since',
    );
    expect(s.calls.packages.length).toBe(before);
  });

  it('IV 7: malformed ?contexts= (empty item) is a 400 naming contexts; a good list reaches the library split', async () => {
    expectBadField(await get('/api/db/package.sql?contexts=a,,b'), 'contexts');
    const r = await get('/api/db/package.sql?contexts=prod,!test');
    expect(r.status).toBe(200);
    expect(s.calls.packages.at(-1)).toMatchObject({ contexts: ['prod', '!test'] });
  });

  it('IV 8: ?format= outside json|yaml|summary|deployment-report is a 400 naming format', async () => {
    expectBadField(await get('/api/manifest?format=xml'), 'format');
  });

  it('IV 9: ?state= outside applied|pending|drift|unknown is a 400 naming state', async () => {
    expectBadField(await get('/api/db/changesets?state=bogus'), 'state');
  });

  it('IV 10: a release id with ".." is a 400 naming id', async () => {
    expectBadField(await post('/api/releases/a..b/rollback', '{}'), 'id');
    expectBadField(await get('/api/manifest?release=..'), 'release');
  });

  it('IV 11: an unknown body field is a 400, and invalid JSON is a 400 without a stack trace', async () => {
    expectBadField(await post('/api/releases/20260101T000000Z-aaaaaaaaaaaa/rollback', '{"force":true}'), 'force');
    const bad = await post('/api/releases/20260101T000000Z-aaaaaaaaaaaa/rollback', '{"emergency":');
    expect(bad.status).toBe(400);
    expect(bad.json().error.code).toBe('E_VALIDATION');
    expect(bad.text).not.toMatch(/\.ts:\d+|\bat /);
    expect(s.calls.rollback).toHaveLength(0);
  });

  it('IV 12: a login body without password is a 400 naming password; a body over 64 KiB is a 413', async () => {
    expectBadField(await post('/api/login', JSON.stringify({ username: 'viewer' })), 'password');
    const big = await post('/api/login', JSON.stringify({ username: 'viewer', password: 'x'.repeat(70_000) }));
    expect(big.status).toBe(413);
    expect(big.json().error.message).toBe('request body too large');
  });

  it('IV 13: a wrongly typed body field is a 400 naming it', async () => {
    expectBadField(
      await post('/api/releases/20260101T000000Z-aaaaaaaaaaaa/rollback', '{"emergency":"yes"}'),
      'emergency',
    );
  });
});
