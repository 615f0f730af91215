// A fixed manifest for the export/generate unit tests (pure inputs, no I/O).
import type { Config } from '../../src/config/schema.js';
import { generateManifest, type ManifestInput } from '../../src/manifest/generate.js';
import type { BuildManifest } from '../../src/manifest/schema.js';

export const config = {
  name: 'umig',
  version: '1.2.0',
  environment: 'prod',
} as unknown as Config;

export function manifestInput(over: Partial<ManifestInput> = {}): ManifestInput {
  return {
    config,
    buildTime: { epoch: 1_758_810_655, source: 'SOURCE_DATE_EPOCH' },
    packageName: 'umig-v1.2.0-20250925.143055.tar.gz',
    files: [
      { path: 'application/web/js/app.js', size: 4000, component: 'application' },
      { path: 'application/web/css/site.css', size: 1000, component: 'application' },
      { path: 'application/groovy/api/users.groovy', size: 3000, component: 'application' },
      { path: 'database/package.sql', size: 2000, component: 'database' },
    ],
    endpoints: { count: 27, scripts: 9, reason: null },
    db: {
      sql: '',
      changeSets: 34,
      files: 12,
      head: { id: '034', author: 'lucas', filename: 'db/changelog/034-security.sql' },
      index: [],
      warnings: [],
      properties: {},
      propertiesFromEnv: [],
      skippedSql: { files: {}, changeSets: {} },
      tables: { schema: 'public', changelog: 'databasechangelog', lock: 'databasechangeloglock' },
    },
    dbReason: null,
    verify: {
      ok: true,
      engine: 'pglite',
      changeSets: [],
      fingerprint: 'sha256:abc',
      missingExtensions: [],
      scratchDatabase: null,
      ms: 10,
    },
    environment: {
      target: 'prod',
      nodeVersion: '20.19.0',
      npmVersion: '10.8.2',
      npmVersionReason: null,
      platform: 'linux-x64',
    },
    provenance: {
      git: { commit: '4b825dc642cb6eb9a060e54bf8d69288fbee4904', dirty: false, reason: null },
      builder: { identity: 'ci@build-01', source: 'SLIPWAY_BUILDER' },
      sourceDateEpoch: 1_758_810_655,
      sourceDateEpochReason: null,
      tools: { slipway: '0.1.0', node: '20.19.0', liquibaseCompat: '4.28.0' },
    },
    sizes: { contentBytes: 10_000, packageBytes: 1_020_000, tarBytes: 4_000_000 },
    blockers: [],
    quality: {
      testCoverage: {
        javascript: {
          value: { lines: 95.2, statements: 94, functions: 90, branches: 80.5 },
          reason: null,
          source: 'coverage/coverage-summary.json',
        },
        groovy: { value: null, reason: 'no JaCoCo coverage report configured (build.quality)', source: null },
      },
      securityScan: {
        value: { critical: 0, high: 1, moderate: 2, low: 3, info: 0, total: 6 },
        reason: null,
        source: 'audit.json',
      },
      performance: { value: null, reason: 'no benchmark report configured (build.quality)', source: null },
    },
    ...over,
  };
}

export const manifest = (over: Partial<ManifestInput> = {}): BuildManifest => generateManifest(manifestInput(over));
