import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageFileSet } from '../../src/builder/package.js';
import { validatePackage } from '../../src/manifest/validate.js';
import { buildManifestSchema } from '../../src/manifest/schema.js';
import { removeTree } from '../helpers/tmp.js';
import { makeFileSet, makeProject, SOURCES } from './package-fixture.js';

const EPOCH = 1_700_000_000; // 2023-11-14T22:13:20Z
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

async function packTo(outName: string, epoch = EPOCH, extra: Record<string, string> = {}) {
  const { dir, config } = await makeProject(extra);
  dirs.push(dir);
  const fileSet = await makeFileSet(dir, [...SOURCES, ...Object.keys(extra)]);
  const result = await packageFileSet({ config, fileSet, outDir: path.join(dir, outName), sourceDateEpoch: epoch });
  return { dir, config, result };
}

describe('packageFileSet (real tar, gzip, sha256sum)', () => {
  it('is byte-reproducible for the same SOURCE_DATE_EPOCH and differs for another', async () => {
    const a = await packTo('a');
    const b = await packTo('b');
    const c = await packTo('c', EPOCH + 1);
    expect(path.basename(a.result.package.path)).toBe('demo-app-v1.2.0-20231114.221320.tar.gz');
    expect(path.basename(c.result.package.path)).toBe('demo-app-v1.2.0-20231114.221321.tar.gz');
    const [ba, bb, bc] = await Promise.all([a, b, c].map((x) => readFile(x.result.package.path)));
    expect(ba!.equals(bb!)).toBe(true);
    expect(a.result.package.sha256).toBe(b.result.package.sha256);
    expect(ba!.equals(bc!)).toBe(false);
    // gzip header: magic, deflate, no flags (no name), mtime 0, xfl 2 (level 9), OS 3 (Unix)
    expect([...ba!.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 2, 3]);
    expect(a.result.buildTime).toEqual({ epoch: EPOCH, source: 'SOURCE_DATE_EPOCH' });
  });

  it('lists sorted entries with explicit dirs, 0/0 owners, fixed modes and mtime in GNU tar', async () => {
    const { result } = await packTo('out');
    const listing = execFileSync('tar', ['--utc', '-tzvf', result.package.path], { encoding: 'utf8' })
      .trim()
      .split('\n');
    const names = listing.map((l) => l.split(/\s+/).slice(5).join(' '));
    expect(names).toEqual([
      'SHA256SUMS',
      'application/',
      'application/api/',
      'application/api/users.groovy',
      'application/app.js',
      'application/web/',
      'application/web/css/',
      'application/web/css/site.css',
      'build-manifest.json',
      'database/',
      'database/db/',
      'database/db/001.sql',
      'deployment-info.json',
      'docs/',
      'docs/README.md',
      'scripts/',
      'scripts/start.sh',
      'tests/',
      'tests/smoke/',
      'tests/smoke/ping.mjs',
      'version-compatibility.json',
    ]);
    for (const l of listing) {
      const [mode, owner, , date, time] = l.split(/\s+/);
      expect(owner).toBe('0/0');
      expect(`${date} ${time}`).toBe('2023-11-14 22:13');
      expect(mode).toBe(l.endsWith('/') ? 'drwxr-xr-x' : '-rw-r--r--');
    }
    // the numeric listing shows no user or group names
    expect(execFileSync('tar', ['-tzvf', result.package.path], { encoding: 'utf8' })).not.toMatch(/root/);
  });

  it('extracts with GNU tar and passes `sha256sum -c SHA256SUMS` and `sha256sum -c <pkg>.sha256`', async () => {
    const { dir, result } = await packTo('out');
    const x = path.join(dir, 'x');
    await mkdir(x);
    execFileSync('tar', ['-xzf', result.package.path, '-C', x]);
    const sums = execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: x, encoding: 'utf8' });
    expect(sums.trim().split('\n')).toHaveLength(10);
    expect(sums).not.toMatch(/FAILED/);
    const side = execFileSync('sha256sum', ['-c', path.basename(result.sidecar)], {
      cwd: path.dirname(result.sidecar),
      encoding: 'utf8',
    });
    expect(side.trim()).toBe(`${result.package.name}: OK`);
    const manifest = buildManifestSchema.parse(JSON.parse(await readFile(path.join(x, 'build-manifest.json'), 'utf8')));
    expect(manifest.buildId).toBe('demo-app-1.2.0-20231114.221320');
    expect(manifest.components.api).toEqual({ version: '1.2.0', endpointsCount: 2, scriptsCount: 1, reason: null });
    expect(manifest.deployment.packageSize).toBeNull();
    const beside = buildManifestSchema.parse(JSON.parse(await readFile(result.manifestPath, 'utf8')));
    expect(beside.deployment.packageSize?.bytes).toBe(result.package.bytes);
    expect(beside.deployment.compressionRatio).toBe(result.sizes.compressionRatio);
    expect((await validatePackage(result.package.path)).problems).toEqual([]);
  });

  it('round-trips paths longer than ustar allows (prefix split and pax path) through GNU tar', async () => {
    const mid = `src/${'d'.repeat(90)}/${'e'.repeat(60)}.js`; // >100 bytes: ustar prefix/name split
    const long = `src/${'f'.repeat(120)}/${'g'.repeat(120)}.js`; // name part >100 bytes: needs a pax record
    const { dir, result } = await packTo('out', EPOCH, { [mid]: 'mid\n', [long]: 'long\n' });
    const names = execFileSync('tar', ['-tzf', result.package.path], { encoding: 'utf8' }).split('\n');
    expect(names).toContain(`application/${mid.slice(4)}`);
    expect(names).toContain(`application/${long.slice(4)}`);
    const x = path.join(dir, 'x');
    await mkdir(x);
    execFileSync('tar', ['-xzf', result.package.path, '-C', x]);
    expect(execFileSync('sha256sum', ['-c', 'SHA256SUMS'], { cwd: x, encoding: 'utf8' })).not.toMatch(/FAILED/);
    expect(await readFile(path.join(x, 'application', long.slice(4)), 'utf8')).toBe('long\n');
    expect((await validatePackage(result.package.path)).problems).toEqual([]);
  });

  it('streams a file larger than the in-memory threshold and leaves no temp files', async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 17);
    for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
    const { dir, config } = await makeProject();
    dirs.push(dir);
    await writeFile(path.join(dir, 'src/big.bin'), big);
    const fileSet = await makeFileSet(dir, [...SOURCES, 'src/big.bin']);
    const out = await mkdtemp(path.join(tmpdir(), 'slipway-out-'));
    dirs.push(out);
    const result = await packageFileSet({ config, fileSet, outDir: out, sourceDateEpoch: EPOCH });
    expect((await readdir(out)).sort()).toEqual([
      'demo-app-v1.2.0-20231114.221320.manifest.json',
      'demo-app-v1.2.0-20231114.221320.report.json',
      'demo-app-v1.2.0-20231114.221320.tar.gz',
      'demo-app-v1.2.0-20231114.221320.tar.gz.sha256',
    ]);
    const x = path.join(out, 'x');
    await mkdir(x);
    execFileSync('tar', ['-xzf', result.package.path, '-C', x]);
    expect((await readFile(path.join(x, 'application/big.bin'))).equals(big)).toBe(true);
  });
});
