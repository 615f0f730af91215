// Reproducibility through the built binary: the tree around the package (ignored logs, .git/, node_modules/) is
// described in <package>.report.json beside the archive, never inside it, so it cannot change the digest.
import { execFileSync } from 'node:child_process';
import { appendFile, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildReportSchema } from '../../src/manifest/report.js';
import { removeTree } from '../helpers/tmp.js';
import { ensureDist, runCli } from './cli-build-helpers.js';
import { makeProject } from './package-fixture.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

interface JsonOut {
  package: { path: string; sha256: string; bytes: number };
  sizes: { before: { totalBytes: number; categories: { name: string; bytes: number; files: number }[] } };
  report: string;
}

describe('size report beside the package (built binary)', () => {
  it('appending a line to an ignored log changes the report, not one byte of the package', async () => {
    await ensureDist();
    const { dir } = await makeProject({ '.gitignore': 'logs/\n', 'logs/app.log': 'started\n' });
    dirs.push(dir);
    const first = runCli(['build', '--json'], dir);
    expect(first.code).toBe(0);
    const a = JSON.parse(first.stdout) as JsonOut;
    expect(a.report).toBe(path.join(dir, 'out/demo-app-v1.2.0-20231114.221320.report.json'));
    const reportA = buildReportSchema.parse(JSON.parse(await readFile(a.report, 'utf8')));
    expect(reportA).toMatchObject({ packageName: path.basename(a.package.path), sha256: a.package.sha256 });
    expect(reportA.sizes).toEqual(a.sizes);
    const logs = reportA.sizes.before?.categories.find((c) => c.name === 'logs');
    expect(logs).toEqual({ name: 'logs', bytes: 8, files: 1 });
    const bytesA = await readFile(a.package.path);
    // Nothing about the tree inside the archive.
    const inner = JSON.parse(
      execFileSync('tar', ['-xzOf', a.package.path, 'build-manifest.json'], { encoding: 'utf8' }),
    );
    expect(inner.deployment.sourceBytes).toBeNull();
    expect(inner.deployment.sizeReduction).toBeNull();
    expect(inner.deployment).not.toHaveProperty('sourceCategories');

    await appendFile(path.join(dir, 'logs/app.log'), 'one more line\n');
    const second = runCli(['build', '--json'], dir);
    expect(second.code).toBe(0);
    const b = JSON.parse(second.stdout) as JsonOut;
    expect(b.package.sha256).toBe(a.package.sha256);
    expect((await readFile(b.package.path)).equals(bytesA)).toBe(true);
    const reportB = buildReportSchema.parse(JSON.parse(await readFile(b.report, 'utf8')));
    expect(reportB.sizes.before?.categories.find((c) => c.name === 'logs')).toEqual({
      name: 'logs',
      bytes: 22,
      files: 1,
    });
    expect(reportB.sizes.before!.totalBytes - reportA.sizes.before!.totalBytes).toBe(14);
  });
});
