// Unit tests for the front-end security helpers (run with `node --test tests/unit/`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SecurityUtils, RateLimiter, SecurityError } from '../../src/web/js/utils/SecurityUtils.js';

test('escapeHtml escapes every HTML-significant character and maps null to ""', () => {
  assert.equal(SecurityUtils.escapeHtml('<img src=x onerror="alert(1)">'), '&lt;img src&#x3D;x onerror&#x3D;&quot;alert(1)&quot;&gt;');
  assert.equal(SecurityUtils.escapeHtml("Tom's & Jerry's"), 'Tom&#39;s &amp; Jerry&#39;s');
  assert.equal(SecurityUtils.escapeHtml(null), '');
  assert.equal(SecurityUtils.escapeHtml(42), '42');
});

test('sanitizeInput strips tags and control characters, drops prototype keys, caps length', () => {
  const input = JSON.parse('{"name":"  <b>Core</b> banking\\u0007 ","__proto__":{"admin":true},"tags":["<i>a</i>"],"n":3}');
  const out = SecurityUtils.sanitizeInput(input, { maxLength: 12 });
  assert.deepEqual(out, { name: 'Core banking', tags: ['a'], n: 3 });
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal(SecurityUtils.sanitizeInput('line1\nline2', { allowNewlines: false }), 'line1 line2');
});

test('sanitizeFilename removes separators and traversal, keeps a clean extension', () => {
  assert.equal(SecurityUtils.sanitizeFilename('../../etc/passwd'), 'etc_passwd');
  assert.equal(SecurityUtils.sanitizeFilename('umig database package.sql'), 'umig-database-package.sql');
  assert.equal(SecurityUtils.sanitizeFilename('a:b*c?.sql'), 'a_b_c.sql');
  assert.equal(SecurityUtils.sanitizeFilename(''), 'download');
  assert.equal(SecurityUtils.sanitizeFilename('x'.repeat(300) + '.sql').length, 100);
});

test('isSafeUrl accepts http(s), mailto and same-origin paths only', () => {
  assert.equal(SecurityUtils.isSafeUrl('https://confluence.example/x'), true);
  assert.equal(SecurityUtils.isSafeUrl('/rest/scriptrunner/latest/custom/teams'), true);
  assert.equal(SecurityUtils.isSafeUrl('mailto:dba@umig.example'), true);
  assert.equal(SecurityUtils.isSafeUrl('javascript:alert(1)'), false);
  assert.equal(SecurityUtils.isSafeUrl(' JaVaScRiPt:alert(1)'), false);
  assert.equal(SecurityUtils.isSafeUrl('data:text/html,<script>'), false);
  assert.equal(SecurityUtils.isSafeUrl('data:image/png;base64,iVBORw0KGgo='), false);
  assert.equal(SecurityUtils.isSafeUrl('//evil.example/x'), false);
});

test('identifier validation matches the database constraints', () => {
  assert.equal(SecurityUtils.isValidUserCode('JDO'), true);
  assert.equal(SecurityUtils.isValidUserCode('jdo'), false);
  assert.equal(SecurityUtils.isValidUserCode('JDOE'), false);
  assert.equal(SecurityUtils.isValidUuid('e5e2e58d-4cee-4d46-8a06-8ae830d82c1d'), true);
  assert.equal(SecurityUtils.assertEntityId('17'), 17);
  assert.throws(() => SecurityUtils.assertEntityId('1; DROP TABLE teams_tms'), SecurityError);
  assert.throws(() => SecurityUtils.assertEntityId(0), SecurityError);
});

test('buildCSP renders directives in order and skips empty ones', () => {
  assert.equal(
    SecurityUtils.buildCSP({ 'default-src': ["'self'"], 'img-src': ["'self'", 'data:'], 'script-src': [] }),
    "default-src 'self'; img-src 'self' data:",
  );
});

test('getCSRFToken falls back to a stable per-session token without a document', () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v) };
  const first = SecurityUtils.getCSRFToken(undefined, storage);
  assert.match(first, /^[0-9a-f]{64}$/);
  assert.equal(SecurityUtils.getCSRFToken(undefined, storage), first);
});

test('RateLimiter allows `limit` calls per window and reports when to retry', () => {
  let now = 1_000_000;
  const limiter = new RateLimiter({ limit: 3, windowMs: 60_000, now: () => now });
  assert.deepEqual([1, 2, 3].map(() => limiter.tryAcquire('pkg').allowed), [true, true, true]);
  const refused = limiter.tryAcquire('pkg');
  assert.equal(refused.allowed, false);
  assert.equal(refused.retryAfterMs, 60_000);
  assert.equal(limiter.tryAcquire('other').allowed, true);
  now += 60_001;
  assert.equal(limiter.tryAcquire('pkg').allowed, true);
});
