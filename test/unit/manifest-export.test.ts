import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exportManifest, provenanceText } from '../../src/manifest/export.js';
import { buildManifestSchema } from '../../src/manifest/schema.js';
import { manifest } from './manifest-fixture.js';

describe('exportManifest', () => {
  it('json is the manifest, 2-space indented, newline-terminated', () => {
    const m = manifest();
    const text = exportManifest(m, 'json');
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "schemaVersion": 1,');
    expect(buildManifestSchema.parse(JSON.parse(text))).toEqual(m);
  });

  it('yaml round-trips to the same manifest', () => {
    const m = manifest();
    const text = exportManifest(m, 'yaml');
    expect(text.split('\n').slice(0, 3)).toEqual([
      'schemaVersion: 1',
      'buildId: umig-1.2.0-20250925.143055',
      'name: umig',
    ]);
    expect(parse(text)).toEqual(m);
  });

  it('summary: short human text', () => {
    expect(exportManifest(manifest(), 'summary')).toBe(
      [
        'umig 1.2.0 — build umig-1.2.0-20250925.143055 at 2025-09-25T14:30:55Z for prod',
        'Package: umig-v1.2.0-20250925.143055.tar.gz, 1.02 MB (1020000 bytes), compression ratio 0.255',
        'Provenance: commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 (clean); built by ci@build-01 (SLIPWAY_BUILDER); SOURCE_DATE_EPOCH 1758810655; slipway 0.1.0, node 20.19.0, liquibase-compat 4.28.0',
        'Database: 34 changesets, last db/changelog/034-security.sql::034::lucas, verification HEALTHY',
        'API: 27 endpoints in 9 scripts; frontend: 1 JS and 1 CSS files (5.00 kB)',
        'Coverage: JavaScript 95.2% lines, 80.5% branches, 90% functions; Groovy n/a (no JaCoCo coverage report configured (build.quality))',
        'Security: 0 critical, 1 high, 2 moderate, 3 low',
        'Ready to deploy: yes',
        '',
      ].join('\n'),
    );
  });

  it('summary of the in-archive copy names what is missing and every blocker', () => {
    const m = manifest({
      blockers: ['stage: env DATABASE_URL missing', 'database verification failed'],
      sizes: { contentBytes: 10, packageBytes: null, tarBytes: null },
      endpoints: { count: null, scripts: 0, reason: 'no Groovy scripts in the application component' },
      db: null,
      verify: null,
      dbReason: 'no database.changelog in the config',
    });
    expect(exportManifest(m, 'summary')).toBe(
      [
        'umig 1.2.0 — build umig-1.2.0-20250925.143055 at 2025-09-25T14:30:55Z for prod',
        'Package: umig-v1.2.0-20250925.143055.tar.gz, n/a (this copy is inside the archive, which cannot hold its own compressed size; see <package>.manifest.json beside it)',
        'Provenance: commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 (clean); built by ci@build-01 (SLIPWAY_BUILDER); SOURCE_DATE_EPOCH 1758810655; slipway 0.1.0, node 20.19.0, liquibase-compat 4.28.0',
        'Database: n/a (no database.changelog in the config)',
        'API: n/a (no Groovy scripts in the application component); frontend: 1 JS and 1 CSS files (5.00 kB)',
        'Coverage: JavaScript 95.2% lines, 80.5% branches, 90% functions; Groovy n/a (no JaCoCo coverage report configured (build.quality))',
        'Security: 0 critical, 1 high, 2 moderate, 3 low',
        'Ready to deploy: NO — 2 blocker(s): stage: env DATABASE_URL missing; database verification failed',
        '',
      ].join('\n'),
    );
  });

  it('deployment-report: Markdown for operators', () => {
    expect(exportManifest(manifest(), 'deployment-report')).toBe(`# Deployment report: umig 1.2.0

**Status: READY to deploy.**

| Item | Value |
| --- | --- |
| Build ID | umig-1.2.0-20250925.143055 |
| Built at | 2025-09-25T14:30:55Z (from SOURCE_DATE_EPOCH) |
| Target environment | prod |
| Build machine | Node 20.19.0, npm 10.8.2, linux-x64 |
| Provenance | commit 4b825dc642cb6eb9a060e54bf8d69288fbee4904 (clean); built by ci@build-01 (SLIPWAY_BUILDER); SOURCE_DATE_EPOCH 1758810655; slipway 0.1.0, node 20.19.0, liquibase-compat 4.28.0 |

## Package

| Item | Value |
| --- | --- |
| File | umig-v1.2.0-20250925.143055.tar.gz |
| Size | 1.02 MB (1020000 bytes) |
| Packed content | 10.00 kB (10000 bytes, uncompressed) |
| Project tree before build | n/a (the project tree is described in <package>.report.json beside the package) |
| Compression ratio | 0.255 |
| Size reduction | n/a (the project tree is described in <package>.report.json beside the package) |

## Components

| Component | Files | Size |
| --- | ---: | ---: |
| application | 3 | 8.00 kB |
| database | 1 | 2.00 kB |

## Database

| Item | Value |
| --- | --- |
| Changesets | 34 |
| Last changeset | db/changelog/034-security.sql::034::lucas |
| Verification | HEALTHY |
| Schema fingerprint | sha256:abc |

## Quality

| Item | Value |
| --- | --- |
| JavaScript coverage | 95.2% lines, 80.5% branches, 90% functions |
| Groovy coverage | n/a (no JaCoCo coverage report configured (build.quality)) |
| Dependency audit | 0 critical, 1 high, 2 moderate, 3 low |
| Performance | n/a (no benchmark report configured (build.quality)) |

## Before deploying

\`\`\`sh
slipway validate umig-v1.2.0-20250925.143055.tar.gz
sha256sum -c umig-v1.2.0-20250925.143055.tar.gz.sha256
\`\`\`
`);
  });

  it('deployment-report lists blockers and escapes pipes in cells', () => {
    const text = exportManifest(manifest({ blockers: ['http check a|b: 503'] }), 'deployment-report');
    expect(text).toContain('**Status: NOT READY — 1 blocker(s).**\n\n');
    expect(text).toContain('## Blockers\n\n- http check a|b: 503\n\n## Package');
  });

  it('provenance: dirty, no git, clock time, and a manifest from before provenance', () => {
    const base = manifest();
    const p = base.provenance!;
    const with_ = (over: Partial<typeof p>) => provenanceText({ ...base, provenance: { ...p, ...over } });
    expect(with_({ git: { commit: p.git.commit, dirty: true, reason: null } })).toMatch(
      /^commit [0-9a-f]{40} \(dirty tree\); /,
    );
    expect(
      with_({ git: { commit: null, dirty: null, reason: 'not a git checkout: git: fatal: not a git repository' } }),
    ).toMatch(/^commit n\/a \(not a git checkout: git: fatal: not a git repository\); built by/);
    expect(with_({ sourceDateEpoch: null, sourceDateEpochReason: 'clock' })).toContain('SOURCE_DATE_EPOCH n/a (clock)');
    const { provenance: _omit, ...old } = base;
    expect(provenanceText(old)).toBe('n/a (built before Slipway recorded provenance)');
  });
});
