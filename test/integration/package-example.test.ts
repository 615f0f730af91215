// The example application must build into a valid package (real changelog → database/package.sql, PGlite verification).
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { build, type BuildResult } from '../../src/builder/pipeline.js';
import { buildReportSchema } from '../../src/manifest/report.js';
import { validatePackage } from '../../src/manifest/validate.js';
import { removeTree } from '../helpers/tmp.js';

const EXAMPLE = path.resolve(import.meta.dirname, '../../examples/umig-sample');
let dir: string;
let result: BuildResult;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'slipway-umig-'));
  // A copy, so the test never writes into the checkout; the clutter script adds what git does not hold.
  cpSync(EXAMPLE, dir, { recursive: true, filter: (p) => !/[/\\](dist|out)([/\\]|$)/.test(p.slice(EXAMPLE.length)) });
  const clutter = path.join(dir, 'scripts/make-clutter.mjs');
  if (existsSync(clutter)) execFileSync(process.execPath, [clutter], { cwd: dir, stdio: 'ignore' });
  const { config } = await loadConfig({ cwd: dir, environment: 'uat', env: {} });
  result = await build({ config, sourceDateEpoch: 1_700_000_000, env: { PATH: process.env.PATH ?? '' } });
}, 300_000);
afterAll(() => removeTree(dir));

describe('examples/umig-sample builds', () => {
  it('into a package that validates, with the database package and a verified changelog', async () => {
    const v = await validatePackage(result.package.path);
    expect(v.problems).toEqual([]);
    const m = result.manifest;
    expect(m.buildId).toBe('umig-1.2.0-20231114.221320');
    expect(m.components.database.migrationsCount).toBeGreaterThanOrEqual(12);
    expect(m.components.database.healthStatus).toBe('HEALTHY');
    expect(m.components.api.endpointsCount).toBeGreaterThan(0);
    // The size report beside the package records the measured inventory of the whole tree, category by category,
    // summing to its total; the manifest inside the archive carries nothing about the tree.
    const report = buildReportSchema.parse(JSON.parse(await readFile(result.report, 'utf8')));
    const cats = report.sizes.before?.categories ?? [];
    expect(cats.map((c) => c.name)).toContain('application');
    expect(cats.reduce((s, c) => s + c.bytes, 0)).toBe(report.sizes.before?.totalBytes);
    expect(m.deployment.sourceBytes).toBeNull();
    expect(v.compatibility?.database.head).not.toBeNull();
    const x = path.join(dir, 'x');
    await mkdir(x);
    execFileSync('tar', ['-xzf', result.package.path, '-C', x]);
    expect(execFileSync('sha256sum', ['-c', '--quiet', 'SHA256SUMS'], { cwd: x, encoding: 'utf8' })).toBe('');
    const sql = await readFile(path.join(x, 'database/package.sql'), 'utf8');
    expect(sql).toMatch(/DATABASECHANGELOG/i);
    const index = JSON.parse(await readFile(path.join(x, 'database/changesets.json'), 'utf8')) as unknown[];
    expect(index.length).toBe(m.components.database.migrationsCount);
    expect(existsSync(path.join(x, 'database/plain/install.sql'))).toBe(true);
    // development clutter never ships
    const listing = execFileSync('tar', ['-tzf', result.package.path], { encoding: 'utf8' });
    expect(listing).not.toMatch(/node_modules|\.git\/|^logs\/|tests\/fixtures|docs\/development/m);
    // measured sizes: the tree before includes the clutter, the archive is smaller
    expect(result.sizes.before!.totalBytes).toBeGreaterThan(result.sizes.after.archiveBytes);
  });
});
