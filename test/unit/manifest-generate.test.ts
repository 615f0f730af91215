import { describe, expect, it } from 'vitest';
import { planVersionCompatibility } from '../../src/builder/package-metadata.js';
import { buildManifestSchema, humanBytes, versionCompatibilitySchema } from '../../src/manifest/schema.js';
import { parseIstanbulSummary, parseJacoco, parseLcov, parseNpmAudit } from '../../src/manifest/quality.js';
import { manifest, manifestInput } from './manifest-fixture.js';

describe('generateManifest', () => {
  it('produces the seed fields from measured facts and validates against the schema', () => {
    const m = buildManifestSchema.parse(manifest());
    expect(m.buildId).toBe('umig-1.2.0-20250925.143055');
    expect(m.buildTimestamp).toBe('2025-09-25T14:30:55Z');
    expect(m.components.database).toEqual({
      version: '34-changesets@034',
      migrationsCount: 34,
      lastMigration: 'db/changelog/034-security.sql::034::lucas',
      healthStatus: 'HEALTHY',
      schemaFingerprint: 'sha256:abc',
      reason: null,
    });
    expect(m.components.frontend).toEqual({ version: '1.2.0', jsFiles: 1, cssFiles: 1, bytes: 5000 });
    expect(m.components.files).toEqual([
      { name: 'application', files: 3, bytes: 8000 },
      { name: 'database', files: 1, bytes: 2000 },
    ]);
    expect(m.deployment).toEqual({
      packageName: 'umig-v1.2.0-20250925.143055.tar.gz',
      packageSize: { bytes: 1_020_000, human: '1.02 MB' },
      packageSizeReason: null,
      contentBytes: 10_000,
      // The tree around the package is not a fact of the package (it lives in <package>.report.json).
      sourceBytes: null,
      compressionRatio: 0.255,
      sizeReduction: null,
      readiness: true,
      blockers: [],
    });
  });

  it('failed verification and blockers make the package not ready', () => {
    const m = manifest({
      verify: {
        ok: false,
        engine: 'pglite',
        changeSets: [],
        fingerprint: null,
        missingExtensions: [],
        scratchDatabase: null,
        ms: 1,
      },
      blockers: ['x'],
    });
    expect(m.components.database.healthStatus).toBe('UNHEALTHY');
    expect(m.deployment.readiness).toBe(false);
  });

  it('humanBytes uses decimal units like the seed', () => {
    expect([0, 999, 1000, 1_020_000, 6_300_000_000].map(humanBytes)).toEqual([
      '0 B',
      '999 B',
      '1.00 kB',
      '1.02 MB',
      '6.30 GB',
    ]);
  });
});

describe('quality report parsers', () => {
  it('istanbul coverage-summary.json', () => {
    const text = JSON.stringify({
      total: { lines: { pct: 95.2 }, statements: { pct: 94.1 }, functions: { pct: 90 }, branches: { pct: 'Unknown' } },
    });
    expect(parseIstanbulSummary(text)).toEqual({ lines: 95.2, statements: 94.1, functions: 90, branches: null });
    expect(() => parseIstanbulSummary('{}')).toThrow(/no "total"/);
  });

  it('lcov.info sums every record', () => {
    const text =
      'SF:a.js\nFNF:2\nFNH:1\nLF:10\nLH:9\nBRF:4\nBRH:1\nend_of_record\nSF:b.js\nLF:10\nLH:10\nend_of_record\n';
    expect(parseLcov(text)).toEqual({ lines: 95, statements: null, functions: 50, branches: 25 });
    expect(() => parseLcov('SF:a.js\n')).toThrow(/end_of_record/);
  });

  it('JaCoCo XML report-level counters', () => {
    const xml = `<report name="x"><package name="p"><counter type="LINE" missed="100" covered="0"/></package>
<counter type="INSTRUCTION" missed="10" covered="90"/><counter type="BRANCH" missed="1" covered="3"/>
<counter type="LINE" missed="2" covered="38"/><counter type="METHOD" missed="0" covered="7"/></report>`;
    expect(parseJacoco(xml)).toEqual({ lines: 95, statements: 90, functions: 100, branches: 75 });
  });

  it('npm audit --json', () => {
    const text = JSON.stringify({
      metadata: { vulnerabilities: { info: 0, low: 1, moderate: 2, high: 3, critical: 4, total: 10 } },
    });
    expect(parseNpmAudit(text)).toEqual({ critical: 4, high: 3, moderate: 2, low: 1, info: 0, total: 10 });
    expect(() => parseNpmAudit('{"advisories":{}}')).toThrow(/npm 7/);
  });
});

describe('version-compatibility.json database.propertiesFromEnv', () => {
  it('lists the names of the environment variables taken, and is absent when none were', () => {
    const input = manifestInput();
    const db = input.db!;
    const plan = (propertiesFromEnv: string[]) =>
      versionCompatibilitySchema.parse(
        planVersionCompatibility({
          config: { ...input.config, database: { ...input.config.database, changelog: 'db/master.xml' } },
          db: { ...db, propertiesFromEnv },
          nodeRange: null,
          nodeReason: 'none',
        }),
      );
    expect(plan(['DB_OWNER', 'REGION']).database.propertiesFromEnv).toEqual(['DB_OWNER', 'REGION']);
    expect('propertiesFromEnv' in plan([]).database).toBe(false);
  });
});
