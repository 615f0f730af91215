// Unit tests for the DOM-free parts of the UI components and entity managers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { computePageItems, describeRange } from '../../src/web/js/components/PaginationComponent.js';
import { sortRows, compareValues } from '../../src/web/js/components/TableManager.js';
import { canTransition, summarizeSteps } from '../../src/web/js/entities/StepsEntityManager.js';
import { summarizeHealth } from '../../src/web/js/entities/DatabaseVersionManager.js';
import { toYaml } from '../../src/web/js/entities/ComponentVersionTracker.js';
import { relativeLuminance, textColorFor } from '../../src/web/js/components/StatusBadge.js';
import { debounce, normalizeFilters } from '../../src/web/js/components/FilterComponent.js';
import { ApiClient, ApiError } from '../../src/web/js/core/ApiClient.js';
import { parseHash, compileRoute } from '../../src/web/js/core/Router.js';

test('computePageItems keeps first/last pages and a constant width', () => {
  assert.deepEqual(computePageItems(1, 5), [1, 2, 3, 4, 5]);
  assert.deepEqual(computePageItems(1, 10), [1, 2, 3, 4, 5, '…', 10]);
  assert.deepEqual(computePageItems(5, 10), [1, '…', 4, 5, 6, '…', 10]);
  assert.deepEqual(computePageItems(10, 10), [1, '…', 6, 7, 8, 9, 10]);
  assert.deepEqual(computePageItems(3, 0), []);
  assert.equal(describeRange(2, 20, 95), '21–40 of 95');
  assert.equal(describeRange(5, 20, 95), '81–95 of 95');
  assert.equal(describeRange(1, 20, 0), '0 of 0');
});

test('sortRows is stable, numeric-aware and keeps empty values last', () => {
  const rows = [{ n: 'Step 10' }, { n: null }, { n: 'Step 9' }, { n: 'Step 100' }];
  assert.deepEqual(sortRows(rows, 'n').map((r) => r.n), ['Step 9', 'Step 10', 'Step 100', null]);
  assert.deepEqual(sortRows(rows, 'n', 'desc').map((r) => r.n), ['Step 100', 'Step 10', 'Step 9', null]);
  assert.ok(compareValues('2026-01-05', '2025-12-31') > 0);
  assert.equal(rows[0].n, 'Step 10');
});

test('runsheet transitions and summary', () => {
  assert.equal(canTransition('TODO', 'IN_PROGRESS'), true);
  assert.equal(canTransition('COMPLETED', 'IN_PROGRESS'), false);
  assert.equal(canTransition('UNKNOWN', 'TODO'), false);
  const s = summarizeSteps([
    { stm_status: 'COMPLETED', stm_duration_minutes: 15 },
    { stm_status: 'IN_PROGRESS', stm_duration_minutes: 45 },
    { stm_status: 'BLOCKED', stm_duration_minutes: 10 },
    { stm_status: 'CANCELLED', stm_duration_minutes: 99 },
  ]);
  assert.deepEqual(s, { total: 3, completed: 1, ratio: 1 / 3, plannedMinutes: 70, remainingMinutes: 55, attention: 1 });
});

test('summarizeHealth reads the seed health shape and the 503 error shape', () => {
  const healthy = summarizeHealth({
    overall: { status: 'HEALTHY', version: '1.2.0', uptime: 120 },
    components: { database: { status: 'HEALTHY', migrationsCount: 20, lastMigration: '110-dev-migration-plan', responseTime: 4.2 }, api: { status: 'HEALTHY' } },
    metrics: { memoryUsage: { rssBytes: 5_000_000 }, requestsPerMinute: 12 },
  });
  assert.equal(healthy.status, 'HEALTHY');
  assert.equal(healthy.migrationsCount, 20);
  assert.deepEqual(healthy.problems, []);
  const down = summarizeHealth({ overall: { status: 'UNHEALTHY' }, error: { message: 'Health check failed' } });
  assert.deepEqual(down.problems, ['Health check failed']);
  const degraded = summarizeHealth({ overall: { status: 'DEGRADED' }, components: { database: { status: 'DEGRADED', reason: 'slow' } } });
  assert.deepEqual(degraded.problems, ['database: DEGRADED (slow)']);
});

test('toYaml quotes ambiguous scalars and nests objects and arrays', () => {
  assert.equal(
    toYaml({ version: '1.2.0', ready: true, blockers: [], size: 1024, note: 'yes', components: { db: { files: 9 } }, list: ['a', { b: 1 }] }),
    ['version: 1.2.0', 'ready: true', 'blockers: []', 'size: 1024', 'note: "yes"', 'components:', '  db:', '    files: 9', 'list:', '  - a', '  - b: 1'].join('\n'),
  );
});

test('badge text colour has the better contrast', () => {
  assert.equal(textColorFor('#FFFFFF'), '#172B4D');
  assert.equal(textColorFor('#0052CC'), '#FFFFFF');
  assert.ok(Math.abs(relativeLuminance('#FFFFFF') - 1) < 1e-9);
});

test('filters drop empty values and debounce collapses bursts', async () => {
  assert.deepEqual(normalizeFilters({ search: '  core ', status: 'all', team: '', active: false }), { search: 'core', active: false });
  const calls = [];
  const d = debounce((x) => calls.push(x), 20);
  d(1);
  d(2);
  d(3);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(calls, [3]);
});

test('router parses hashes and route parameters', () => {
  assert.deepEqual(parseHash('#/users?page=2&search=jdo'), { path: '/users', query: { page: '2', search: 'jdo' } });
  assert.deepEqual(parseHash(''), { path: '/', query: {} });
  const { regex, names } = compileRoute('/plans/:planId/steps');
  assert.deepEqual(names, ['planId']);
  assert.equal(regex.exec('/plans/abc-1/steps')[1], 'abc-1');
});

test('ApiClient builds URLs, parses JSON, retries 5xx GETs and never retries POST', async () => {
  const seen = [];
  let failures = 1;
  const fetchImpl = async (url, init) => {
    seen.push(`${init.method} ${url}`);
    if (init.method === 'GET' && failures-- > 0) return new Response('{"error":"busy"}', { status: 503, headers: { 'content-type': 'application/json' } });
    if (init.method === 'POST') return new Response('{"error":"tms_name is required"}', { status: 400, headers: { 'content-type': 'application/json' } });
    return new Response('{"data":[{"tms_id":1}]}', { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const api = new ApiClient({ fetchImpl, retries: 2 });
  assert.equal(api.buildUrl('teams', { page: 2, search: '', tag: ['a', 'b'] }), '/rest/scriptrunner/latest/custom/teams?page=2&tag=a&tag=b');
  assert.deepEqual(await api.get('teams', { page: 1 }), { data: [{ tms_id: 1 }] });
  assert.deepEqual(seen, ['GET /rest/scriptrunner/latest/custom/teams?page=1', 'GET /rest/scriptrunner/latest/custom/teams?page=1']);
  await assert.rejects(api.post('teams', {}), (e) => e instanceof ApiError && e.status === 400 && e.userMessage === 'tms_name is required');
  assert.equal(seen.filter((s) => s.startsWith('POST')).length, 1);
});
