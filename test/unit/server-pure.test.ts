import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sanitizeFilename } from '../../src/server/filename.js';
import { permissionsOf, isAllowed } from '../../src/server/access.js';
import { parseCookies, serializeCookie } from '../../src/server/cookies.js';
import { RequestStats } from '../../src/server/request-stats.js';
import { httpCodeForStatus, toIetfStatus, worstStatus } from '../../src/health/status.js';
import { parseInput } from '../../src/server/validate.js';
import { renderError } from '../../src/server/app.js';
import { HttpError } from '../../src/server/http-error.js';
import { SlipwayError } from '../../src/errors.js';

const GROUPS = { read: 'viewers', deploy: 'deployers', admin: 'admins' };

describe('sanitizeFilename (seed rule + header-safe)', () => {
  it.each([
    ['umig-database-package', 'umig-database-package.sql'],
    ['pkg.sql', 'pkg_sql.sql'],
    ['../../etc/passwd', '______etc_passwd.sql'],
    ['C:\\temp\\x', 'C__temp_x.sql'],
    ['a b"c\r\n', 'a_b_c__.sql'],
    ['état', '_tat.sql'],
  ])('%j → %j', (input, expected) => {
    expect(sanitizeFilename(input)).toBe(expected);
  });
  it('accepts 100 characters and rejects 101 with a 400 naming filename', () => {
    expect(sanitizeFilename('x'.repeat(100))).toBe(`${'x'.repeat(100)}.sql`);
    expect(() => sanitizeFilename('x'.repeat(101))).toThrow(
      expect.objectContaining({ statusCode: 400, field: 'filename' }),
    );
  });
  it('rejects a name with no letter or digit', () => {
    expect(() => sanitizeFilename('../..')).toThrow(expect.objectContaining({ statusCode: 400 }));
  });
});

describe('permissionsOf', () => {
  it.each([
    [['viewers'], { read: true, deploy: false, admin: false }],
    [['deployers'], { read: true, deploy: true, admin: false }],
    [['admins'], { read: true, deploy: true, admin: true }],
    [['guests'], { read: false, deploy: false, admin: false }],
    [[], { read: false, deploy: false, admin: false }],
  ])('%j', (groups, expected) => {
    expect(permissionsOf(groups, GROUPS)).toEqual(expected);
  });
  it('public needs nothing; deploy needs the deploy group', () => {
    expect(isAllowed('public', [], GROUPS)).toBe(true);
    expect(isAllowed('deploy', ['viewers'], GROUPS)).toBe(false);
  });
});

describe('cookies', () => {
  it('parses the first value of each name and serialises strict cookies', () => {
    expect(parseCookies('a=1; b=2; a=3; junk; c=')).toEqual({ a: '1', b: '2', c: '' });
    expect(parseCookies(undefined)).toEqual({});
    expect(serializeCookie('s', 'v', { maxAgeSeconds: 60, httpOnly: true, secure: true })).toBe(
      's=v; Path=/; SameSite=Strict; Max-Age=60; HttpOnly; Secure',
    );
  });
});

describe('RequestStats', () => {
  it('counts the last 60 seconds only', () => {
    let now = 1_000_000;
    const s = new RequestStats(() => now);
    s.record(200, 4);
    s.record(503, 6);
    now += 30_000;
    s.record(200, 2);
    expect(s.lastMinute()).toEqual({ requests: 3, errors: 1, errorRate: 1 / 3, averageMs: 4 });
    now += 31_000;
    expect(s.lastMinute()).toEqual({ requests: 1, errors: 0, errorRate: 0, averageMs: 2 });
    now += 60_000;
    expect(s.lastMinute()).toEqual({ requests: 0, errors: 0, errorRate: 0, averageMs: null });
  });
});

describe('health status mapping', () => {
  it('maps to HTTP and IETF, worst wins', () => {
    expect([
      httpCodeForStatus('HEALTHY', { degradedCode: 206 }),
      httpCodeForStatus('DEGRADED', { degradedCode: 206 }),
      httpCodeForStatus('DEGRADED', { degradedCode: 200 }),
      httpCodeForStatus('UNHEALTHY', { degradedCode: 206 }),
    ]).toEqual([200, 206, 200, 503]);
    expect(['HEALTHY', 'DEGRADED', 'UNHEALTHY'].map((s) => toIetfStatus(s as 'HEALTHY'))).toEqual([
      'pass',
      'warn',
      'fail',
    ]);
    expect(worstStatus({ a: { status: 'HEALTHY' }, b: { status: 'DEGRADED' } })).toBe('DEGRADED');
    expect(worstStatus({ a: { status: 'UNHEALTHY' }, b: { status: 'DEGRADED' } })).toBe('UNHEALTHY');
  });
});

describe('parseInput', () => {
  const schema = z.object({ n: z.coerce.number().int().max(5) }).strict();
  it('names the bad field and never echoes the value', () => {
    expect(() => parseInput(schema, { n: '9' }, 'query')).toThrow(
      expect.objectContaining({ statusCode: 400, field: 'n' }),
    );
    try {
      parseInput(schema, { n: '1', '<x>': 1 }, 'query');
    } catch (e) {
      expect((e as HttpError).message).toBe('query: unknown field');
      expect((e as HttpError).field).toBe('query');
    }
    expect(parseInput(schema, { n: '3' }, 'query')).toEqual({ n: 3 });
  });
});

describe('renderError', () => {
  it('never returns a stack, a cause or a server path', () => {
    const internal = renderError(new Error('secret detail at /srv/x.ts:1'));
    expect(internal).toEqual({
      status: 500,
      body: { error: { code: 'E_INTERNAL', message: 'internal error; the server log has the details' } },
      headers: {},
    });
    const lib = renderError(
      new SlipwayError('E_LOCKED', 'target is locked', { file: '/srv/target/.slipway/lock', hint: 'wait' }),
    );
    expect(lib).toEqual({
      status: 409,
      body: { error: { code: 'E_LOCKED', message: 'target is locked', hint: 'wait' } },
      headers: {},
    });
    const fastify = renderError(Object.assign(new Error('Unsupported Media Type: <script>'), { statusCode: 415 }));
    expect(fastify.body).toEqual({
      error: { code: 'E_VALIDATION', message: 'unsupported content type: send application/json' },
    });
  });
});
