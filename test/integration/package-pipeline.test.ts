import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { build } from '../../src/builder/pipeline.js';
import { validatePackage } from '../../src/manifest/validate.js';
import { removeTree } from '../helpers/tmp.js';
import { CONFIG, makeProject } from './package-fixture.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

const QUALITY = `  quality:
    coverage: reports/coverage-summary.json
    jacoco: reports/jacoco.xml
    audit: reports/audit.json
    bench: reports/missing.json
`;

describe('build() pipeline', () => {
  it('keeps earlier packages and the compile cache, removes only its own leftovers, and times every phase', async () => {
    const { dir, config } = await makeProject();
    dirs.push(dir);
    const out = path.join(dir, 'out');
    await mkdir(out, { recursive: true });
    await writeFile(path.join(out, 'other-app-v1.0.0-20200101.000000.tar.gz'), 'not ours');
    await writeFile(path.join(out, '.demo-app-v1.2.0-20231114.221320.tar.gz.12345678.tmp'), 'left by a killed build');
    const first = await build({ config, sourceDateEpoch: 1_700_000_000, env: {} });
    expect(first.phases.map((p) => [p.name, p.status])).toEqual([
      ['clean', 'ok'],
      ['stage', 'ok'],
      ['compile', 'ok'],
      ['database', 'skipped'],
      ['verify', 'skipped'],
      ['manifest', 'ok'],
      ['package', 'ok'],
    ]);
    expect(first.details.buildTime).toEqual({ epoch: 1_700_000_000, source: 'SOURCE_DATE_EPOCH' });
    const second = await build({ config, env: { SOURCE_DATE_EPOCH: '1700000100' } });
    expect(path.basename(second.package.path)).toBe('demo-app-v1.2.0-20231114.221500.tar.gz');
    const names = (await readdir(out)).sort();
    expect(names).toEqual([
      '.cache',
      'demo-app-v1.2.0-20231114.221320.manifest.json',
      'demo-app-v1.2.0-20231114.221320.report.json',
      'demo-app-v1.2.0-20231114.221320.tar.gz',
      'demo-app-v1.2.0-20231114.221320.tar.gz.sha256',
      'demo-app-v1.2.0-20231114.221500.manifest.json',
      'demo-app-v1.2.0-20231114.221500.report.json',
      'demo-app-v1.2.0-20231114.221500.tar.gz',
      'demo-app-v1.2.0-20231114.221500.tar.gz.sha256',
      'other-app-v1.0.0-20200101.000000.tar.gz',
    ]);
    await build({ config, sourceDateEpoch: 1_700_000_200, clean: false, env: {} });
    expect((await readdir(out)).filter((n) => n.endsWith('.tar.gz')).length).toBe(4);
    expect((await validatePackage(second.package.path)).ok).toBe(true);
    // sizes are measured: before from the stage scan, after from the archive
    expect(second.sizes.before?.totalFiles).toBeGreaterThan(0);
    expect(second.sizes.after.archiveBytes).toBe(second.package.bytes);
    expect(second.manifest.deployment.packageSize?.bytes).toBe(second.package.bytes);
  });

  it('reads quality figures only from the reports the config points at', async () => {
    const { dir } = await makeProject(
      {
        'reports/coverage-summary.json': JSON.stringify({
          total: { lines: { pct: 81.5 }, statements: { pct: 80 }, functions: { pct: 70 }, branches: { pct: 60 } },
        }),
        'reports/jacoco.xml': '<report name="g"><counter type="LINE" missed="1" covered="3"/></report>',
        'reports/audit.json': JSON.stringify({
          metadata: { vulnerabilities: { info: 0, low: 0, moderate: 1, high: 0, critical: 0, total: 1 } },
        }),
      },
      CONFIG.replace('build:\n  output: out\n', `build:\n  output: out\n${QUALITY}`),
    );
    dirs.push(dir);
    const { config } = await loadConfig({ cwd: dir, env: {} });
    const r = await build({ config, sourceDateEpoch: 1_700_000_000, env: {} });
    expect(r.manifest.quality).toEqual({
      testCoverage: {
        javascript: {
          value: { lines: 81.5, statements: 80, functions: 70, branches: 60 },
          reason: null,
          source: 'reports/coverage-summary.json',
        },
        groovy: {
          value: { lines: 75, statements: null, functions: null, branches: null },
          reason: null,
          source: 'reports/jacoco.xml',
        },
      },
      securityScan: {
        value: { critical: 0, high: 0, moderate: 1, low: 0, info: 0, total: 1 },
        reason: null,
        source: 'reports/audit.json',
      },
      performance: { value: null, reason: 'cannot read reports/missing.json: ENOENT', source: null },
    });
    const inner = JSON.parse(await readFile(r.details.packaged.manifestPath, 'utf8')) as { quality: unknown };
    expect(inner.quality).toEqual(r.manifest.quality);
  });
});
