// Unit tests for formatting and form validation.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as F from '../../src/web/js/utils/FormatUtils.js';
import { validate, schemas, rules, flattenErrors } from '../../src/web/js/utils/Validation.js';

test('formatBytes uses binary multiples and keeps null visible as a dash', () => {
  assert.equal(F.formatBytes(512), '512 B');
  assert.equal(F.formatBytes(1536), '1.5 KB');
  assert.equal(F.formatBytes(6.3 * 1024 * 1024), '6.3 MB');
  assert.equal(F.formatBytes(null), '—');
});

test('formatDuration and formatMinutes', () => {
  assert.equal(F.formatDuration(45), '45s');
  assert.equal(F.formatDuration(5400), '1h 30m');
  assert.equal(F.formatDuration(90_061), '1d 1h 1m');
  assert.equal(F.formatDuration(0), '0s');
  assert.equal(F.formatMinutes(70), '1h 10m');
});

test('formatPercent, formatStatusLabel, formatStepCode, truncate, pluralize', () => {
  assert.equal(F.formatPercent(0.9876), '98.8%');
  assert.equal(F.formatPercent(null), '—');
  assert.equal(F.formatStatusLabel('IN_PROGRESS'), 'In progress');
  assert.equal(F.formatStepCode(30), 'STEP-030');
  assert.equal(F.truncate('Replicate the final database delta', 20), 'Replicate the final…');
  assert.equal(F.pluralize(1, 'step'), '1 step');
  assert.equal(F.pluralize(1200, 'step'), '1,200 steps');
});

test('dates format in the requested locale and zone', () => {
  assert.equal(F.formatDate('2026-06-13T18:00:00Z', { locale: 'en-GB', timeZone: 'UTC' }), '13 Jun 2026');
  assert.equal(F.formatDateTime('2026-06-13T18:05:00Z', { locale: 'en-GB', timeZone: 'UTC' }), '13 Jun 2026, 18:05');
  assert.equal(F.formatRelative('2026-06-13T15:00:00Z', { now: Date.parse('2026-06-13T18:00:00Z'), locale: 'en' }), '3 hours ago');
  assert.equal(F.toDate('not a date'), null);
});

test('formatUserName combines name and trigram', () => {
  assert.equal(F.formatUserName({ usr_first_name: 'Jane', usr_last_name: 'Doe', usr_code: 'JDO' }), 'Jane Doe (JDO)');
  assert.equal(F.formatUserName({ usr_code: 'JDO' }), 'JDO');
  assert.equal(F.formatUserName(null), '—');
});

test('user schema mirrors the users_usr constraints and reports every problem at once', () => {
  const result = validate(schemas.user, { usr_code: 'jd', usr_first_name: '', usr_last_name: 'Doe', usr_email: 'not-an-email' });
  assert.equal(result.valid, false);
  assert.deepEqual(result.errors, {
    usr_code: ['Three capital letters, e.g. JDO'],
    usr_first_name: ['This field is required'],
    usr_email: ['Enter a valid e-mail address'],
  });
  assert.deepEqual(flattenErrors({ usr_code: ['bad'] }, { usr_code: 'Trigram' }), ['Trigram: bad']);
  assert.equal(validate(schemas.user, { usr_code: 'JDO', usr_first_name: 'Jane', usr_last_name: 'Doe', usr_email: 'jane@umig.example' }).valid, true);
});

test('migration end date must not precede the start date (ck_mgr_dates)', () => {
  const bad = validate(schemas.migration, { mgr_name: 'X', mgr_type: 'EXTERNAL', mgr_start_date: '2026-06-30', mgr_end_date: '2026-01-05' });
  assert.deepEqual(bad.errors, { mgr_end_date: ['The end date is before the start date'] });
  assert.equal(rules.range(0, 10)('11'), 'Must be between 0 and 10');
  assert.equal(rules.hexColor()('#00875A'), null);
});
