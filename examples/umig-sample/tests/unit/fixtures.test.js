// The committed fixtures are read the way the UI reads live responses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { summarizeHealth } from '../../src/web/js/entities/DatabaseVersionManager.js';
import { BaseEntityManager } from '../../src/web/js/entities/BaseEntityManager.js';

const fixture = (name) => JSON.parse(readFileSync(new URL(`../fixtures/${name}`, import.meta.url), 'utf8'));

test('health fixtures summarise to their status with the reasons operators need', () => {
  assert.deepEqual(
    ['healthy', 'degraded', 'unhealthy'].map((s) => summarizeHealth(fixture(`health-${s}.json`)).status),
    ['HEALTHY', 'DEGRADED', 'UNHEALTHY'],
  );
  assert.deepEqual(summarizeHealth(fixture('health-degraded.json')).problems, ['database: DEGRADED (round trip 1450 ms exceeds 1000 ms)']);
  assert.deepEqual(summarizeHealth(fixture('health-unhealthy.json')).problems, ['Health check failed']);
  assert.equal(summarizeHealth(fixture('health-healthy.json')).migrationsCount, 20);
});

test('list responses in all three API shapes normalise to rows + total', () => {
  const teams = fixture('teams.json');
  assert.deepEqual(BaseEntityManager.normalizeListResponse(teams).total, 4);
  assert.deepEqual(BaseEntityManager.normalizeListResponse(teams.data).total, 4);
  assert.deepEqual(BaseEntityManager.normalizeListResponse({ items: teams.data.slice(0, 2), total: 9 }).total, 9);
  assert.deepEqual(BaseEntityManager.normalizeListResponse(null), { rows: [], total: 0 });
});
