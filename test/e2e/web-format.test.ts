// Pure helpers of the web UI (src/web), tested without a browser: what the pages print for measured values.
import { describe, expect, it } from 'vitest';
import { formatBytes, formatDate, formatDuration, formatValue, labelOf, shortDigest } from '../../src/web/format.js';
import { sizeRows, type ManifestView } from '../../src/web/components/size-rows.js';
import { packageUrl } from '../../src/web/api.js';

describe('format', () => {
  it('sizes in decimal units as the manifest writes them', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(1000)).toBe('1.00 kB');
    expect(formatBytes(1_020_000)).toBe('1.02 MB');
    expect(formatBytes(82_010_000_000)).toBe('82.01 GB');
    expect(formatBytes(null)).toBe('n/a');
  });

  it('dates in UTC, and non-dates unchanged', () => {
    expect(formatDate('2026-11-24T20:41:05.123Z')).toBe('2026-11-24 20:41:05 UTC');
    expect(formatDate('2026-11-24 20:41:05.5')).toMatch(/^2026-11-24 \d\d:41:05 UTC$/);
    expect(formatDate('yesterday')).toBe('yesterday');
    expect(formatDate(null)).toBe('—');
  });

  it('durations and health values by their key: uptime in seconds, *Time in ms, *Bytes as sizes, *Rate as percent', () => {
    expect(formatDuration(9)).toBe('9 s');
    expect(formatDuration(125)).toBe('2 min 5 s');
    expect(formatDuration(7260)).toBe('2 h 1 min');
    expect(formatDuration(90_000)).toBe('1 d 1 h');
    expect(formatValue('uptime', 9)).toBe('9 s');
    expect(formatValue('responseTime', 5.17)).toBe('5.17 ms');
    expect(formatValue('rssBytes', 309_060_000)).toBe('309.06 MB');
    expect(formatValue('usedPercent', 24.71)).toBe('24.7 %');
    expect(formatValue('errorRate', 0.0125)).toBe('1.25 %');
    expect(formatValue('migrationsCount', 14)).toBe('14');
    expect(formatValue('authMethods', ['basic', 'bearer'])).toBe('basic, bearer');
    expect(formatValue('reason', null)).toBe('n/a');
    expect(formatValue('ok', true)).toBe('yes');
  });

  it('labels from keys, with acronyms', () => {
    expect(labelOf('migrationsCount')).toBe('Migrations count');
    expect(labelOf('rssBytes')).toBe('RSS bytes');
    expect(labelOf('api')).toBe('API');
    expect(labelOf('lastMigrationId')).toBe('Last migration ID');
    expect(shortDigest('0123456789abcdef')).toBe('0123456789ab');
  });
});

describe('sizeRows', () => {
  const base: ManifestView = {
    name: 'umig',
    version: '1.1.0',
    buildId: 'b',
    buildTimestamp: '2026-01-01T00:00:00Z',
    components: {
      files: [
        { name: 'application', files: 3, bytes: 86 },
        { name: 'database', files: 12, bytes: 89_206 },
      ],
    },
    deployment: {
      packageName: 'p',
      packageSize: null,
      contentBytes: 89_292,
      sourceBytes: 256_483,
      compressionRatio: null,
      sizeReduction: null,
    },
  };

  it('whole project before/after from the manifest; per-category before is "not recorded" (null) when absent', () => {
    expect(sizeRows(base)).toEqual([
      { name: 'whole project', before: 256_483, after: 89_292 },
      { name: 'application', before: null, after: 86 },
      { name: 'database', before: null, after: 89_206 },
    ]);
  });

  it('uses the scan inventory when present: excluded categories have 0 after; empty ones are left out', () => {
    const m: ManifestView = {
      ...base,
      deployment: {
        ...base.deployment,
        sourceCategories: [
          { name: 'node_modules', bytes: 160_000 },
          { name: 'application', bytes: 120 },
          { name: 'logs', bytes: 0 },
        ],
      },
    };
    expect(sizeRows(m)).toEqual([
      { name: 'whole project', before: 256_483, after: 89_292 },
      { name: 'application', before: 120, after: 86 },
      { name: 'database', before: null, after: 89_206 },
      { name: 'node_modules', before: 160_000, after: 0 },
    ]);
  });
});

describe('sizeRows with the size report', () => {
  it('takes "before" from <package>.report.json when given, over what an older manifest recorded', () => {
    const m: ManifestView = {
      name: 'umig',
      version: '1.1.0',
      buildId: 'b',
      buildTimestamp: '2026-01-01T00:00:00Z',
      components: { files: [{ name: 'application', files: 3, bytes: 86 }] },
      deployment: {
        packageName: 'p',
        packageSize: null,
        contentBytes: 86,
        sourceBytes: null,
        compressionRatio: null,
        sizeReduction: null,
      },
    };
    expect(sizeRows(m)).toEqual([
      { name: 'whole project', before: null, after: 86 },
      { name: 'application', before: null, after: 86 },
    ]);
    const tree = {
      totalBytes: 5000,
      categories: [
        { name: 'logs', bytes: 4800 },
        { name: 'application', bytes: 200 },
      ],
    };
    expect(sizeRows(m, tree)).toEqual([
      { name: 'whole project', before: 5000, after: 86 },
      { name: 'application', before: 200, after: 86 },
      { name: 'logs', before: 4800, after: 0 },
    ]);
  });
});

describe('packageUrl', () => {
  it('sends only the parameters that are set, encoded', () => {
    expect(packageUrl({})).toBe('/api/db/package.sql');
    expect(packageUrl({ filename: 'a b', since: '014-x', contexts: ['prod', 'uat'] })).toBe(
      '/api/db/package.sql?filename=a+b&since=014-x&contexts=prod%2Cuat',
    );
    expect(packageUrl({ sinceTag: 'v1.0' })).toBe('/api/db/package.sql?sinceTag=v1.0');
  });
});
