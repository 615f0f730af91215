import { execFileSync } from 'node:child_process';
import { mkdir, readFile, rm, symlink, writeFile, truncate } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageFileSet } from '../../src/builder/package.js';
import { encodeHeader, END_OF_ARCHIVE, padding } from '../../src/builder/package-tar.js';
import { validatePackage } from '../../src/manifest/validate.js';
import { removeTree } from '../helpers/tmp.js';
import { makeFileSet, makeProject, SOURCES } from './package-fixture.js';

let dir: string;
let pkg: string;
let tree: string; // the extracted good package
let n = 0;

beforeAll(async () => {
  const p = await makeProject();
  dir = p.dir;
  const r = await packageFileSet({
    config: p.config,
    fileSet: await makeFileSet(dir, SOURCES),
    outDir: path.join(dir, 'out'),
    sourceDateEpoch: 1_700_000_000,
  });
  pkg = r.package.path;
  tree = path.join(dir, 'tree');
  await mkdir(tree);
  execFileSync('tar', ['-xzf', pkg, '-C', tree]);
});
afterAll(() => removeTree(dir));

/** Copies the good tree, lets `edit` change it, repacks it with GNU tar and returns the new package path. */
async function tamper(edit: (root: string) => Promise<void>): Promise<string> {
  const root = path.join(dir, `t${++n}`);
  execFileSync('cp', ['-a', tree, root]);
  await edit(root);
  const out = path.join(dir, `t${n}.tar.gz`);
  execFileSync('tar', ['--sort=name', '--owner=0', '--group=0', '-czf', out, '-C', root, '.']);
  // give it a correct sidecar so only the tampering shows up
  const sha = execFileSync('sha256sum', [out], { encoding: 'utf8' }).split(' ')[0];
  await writeFile(`${out}.sha256`, `${sha}  ${path.basename(out)}\n`);
  return out;
}

const codes = (r: { problems: { code: string }[] }) => r.problems.map((p) => p.code).sort();

describe('validatePackage', () => {
  it('accepts the package as built', async () => {
    const r = await validatePackage(pkg);
    expect(r.ok).toBe(true);
    expect(r.entries).toBe(21);
    expect(r.manifest?.version).toBe('1.2.0');
    expect(r.compatibility?.upgradeFrom).toEqual(['>=1.0.0 <1.2.0']);
  });

  it('reports a modified file', async () => {
    const p = await tamper((root) => writeFile(path.join(root, 'application/app.js'), 'export const a = 2;\n'));
    const r = await validatePackage(p);
    expect(codes(r)).toEqual(['SUMS_MISMATCH']);
    expect(r.problems[0]!.path).toBe('application/app.js');
  });

  it('reports a missing file and an extra file together', async () => {
    const p = await tamper(async (root) => {
      await rm(path.join(root, 'docs/README.md'));
      await writeFile(path.join(root, 'application/extra.js'), 'x\n');
    });
    const r = await validatePackage(p);
    expect(codes(r)).toEqual(['SUMS_MISSING_FILE', 'SUMS_UNLISTED']);
    expect(r.problems.map((x) => x.path).sort()).toEqual(['application/extra.js', 'docs/README.md']);
  });

  it('reports a manifest that does not match the schema (and its changed checksum)', async () => {
    const p = await tamper(async (root) => {
      const m = JSON.parse(await readFile(path.join(root, 'build-manifest.json'), 'utf8'));
      delete m.buildId;
      m.deployment.readiness = 'yes';
      await writeFile(path.join(root, 'build-manifest.json'), JSON.stringify(m));
    });
    const r = await validatePackage(p);
    expect(codes(r)).toEqual(['MANIFEST_INVALID', 'MANIFEST_INVALID', 'SUMS_MISMATCH']);
    expect(
      r.problems
        .filter((x) => x.code === 'MANIFEST_INVALID')
        .map((x) => x.message)
        .sort(),
    ).toEqual([
      'build-manifest.json: buildId: Invalid input: expected string, received undefined',
      'build-manifest.json: deployment.readiness: Invalid input: expected boolean, received string',
    ]);
  });

  it('reports missing required files, an absolute symlink and a broken compatibility file at once', async () => {
    const p = await tamper(async (root) => {
      await rm(path.join(root, 'deployment-info.json'));
      await writeFile(path.join(root, 'version-compatibility.json'), '{"version": 3');
      await symlink('/etc/passwd', path.join(root, 'application/link'));
    });
    const r = await validatePackage(p);
    expect(codes(r)).toEqual([
      'COMPAT_INVALID',
      'MISSING_REQUIRED',
      'SUMS_MISMATCH',
      'SUMS_MISSING_FILE',
      'SYMLINK_ABSOLUTE',
    ]);
  });

  it('reports a wrong digest in the sidecar and a wrong expected digest', async () => {
    const p = await tamper(async () => {});
    await writeFile(`${p}.sha256`, `${'0'.repeat(64)}  ${path.basename(p)}\n`);
    expect(codes(await validatePackage(p))).toEqual(['DIGEST_MISMATCH']);
    expect(codes(await validatePackage(pkg, { expectedSha256: 'f'.repeat(64) }))).toEqual(['DIGEST_MISMATCH']);
    await rm(`${p}.sha256`);
    expect(codes(await validatePackage(p))).toEqual(['NO_DIGEST']);
    expect(codes(await validatePackage(p, { requireDigest: false }))).toEqual([]);
  });

  it('reports `..` and absolute entry paths', async () => {
    const body = Buffer.from('x\n');
    const tar = Buffer.concat([
      ...['../evil', '/abs'].flatMap((p) => [
        encodeHeader({ path: p, type: 'file', mode: 0o644, size: body.length, mtime: 0 }),
        body,
        padding(body.length),
      ]),
      END_OF_ARCHIVE,
    ]);
    const p = path.join(dir, 'evil.tar.gz');
    await writeFile(p, gzipSync(tar));
    const r = await validatePackage(p, { requireDigest: false });
    expect(r.problems.filter((x) => x.code === 'TRAVERSAL').map((x) => x.path)).toEqual(['../evil']);
    expect(r.problems.filter((x) => x.code === 'ABSOLUTE_PATH').map((x) => x.path)).toEqual(['/abs']);
    expect(codes(r)).toContain('MISSING_REQUIRED');
  });

  it('reports a truncated archive and a missing package', async () => {
    const p = await tamper(async () => {});
    await truncate(p, 400);
    const r = await validatePackage(p, { requireDigest: false });
    expect(r.ok).toBe(false);
    // The digest, then the one reading problem: nothing after a stream that stops (no misleading SUMS_* lines).
    expect(codes(r)).toEqual(['DIGEST_MISMATCH', 'GZIP_CORRUPT']);
    expect(r.problems[1]!.message).toBe('not a readable gzip stream: unexpected end of file');
    expect(codes(await validatePackage(path.join(dir, 'nope.tar.gz')))).toEqual(['NOT_FOUND']);
  });
});
