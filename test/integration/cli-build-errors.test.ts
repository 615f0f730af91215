// Bad input through the built binary: clear error, non-zero exit, no partial package left behind.
// Tests run as root, so permission cases drop to uid 65534 with setpriv, a read-only output dir is a read-only bind
// mount, and a full disk is a 64 KiB tmpfs (root may mount; the test fails loudly if it cannot).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { packageFileSet } from '../../src/builder/package.js';
import { SlipwayError } from '../../src/errors.js';
import { removeTree } from '../helpers/tmp.js';
import { ensureDist, runCli } from './cli-build-helpers.js';
import { CONFIG, makeFileSet, makeProject, SOURCES } from './package-fixture.js';

const NOBODY = 65534;
const dirs: string[] = [];
const mounts: string[] = [];
afterEach(() => {
  for (const m of mounts.splice(0)) execFileSync('umount', [m]);
});
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

async function project(extra: Record<string, string | Buffer> = {}, config = CONFIG) {
  await ensureDist();
  const p = await makeProject(extra, config);
  dirs.push(p.dir);
  return p;
}

/** Every file name under dir (recursively), so a test can assert that nothing was left behind. */
async function listAll(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir, { recursive: true })).map(String).sort();
  } catch {
    return [];
  }
}

const noPackage = (names: string[]) => names.filter((n) => /\.tar\.gz|\.tmp$|\.sha256$|manifest\.json$/.test(n));

describe('bad input (built binary)', () => {
  it('a required component whose globs match nothing fails the build (exit 1)', async () => {
    const { dir } = await project(
      {},
      CONFIG.replace('include: ["src/**"]', 'include: ["nothing/**"]\n      required: true'),
    );
    const r = runCli(['build'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error E_SCAN: required component application matched no files/);
    expect(noPackage(await listAll(path.join(dir, 'out')))).toEqual([]);
  });

  it('a JavaScript syntax error fails with file:line:column (exit 1)', async () => {
    const { dir } = await project({ 'src/broken.js': 'export const ok = 1;\nconst = ;\n' });
    const r = runCli(['build'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error E_SYNTAX: .*src\/broken\.js:2:\d+/);
    expect(noPackage(await listAll(path.join(dir, 'out')))).toEqual([]);
  });

  it('an unreadable file fails with its name (run as an unprivileged user)', async () => {
    const { dir } = await project({ 'src/secret.json': '{"a":1}\n' });
    execFileSync('chmod', ['-R', 'a+rwX', dir]);
    await chmod(dir, 0o777);
    await chmod(path.join(dir, 'src/secret.json'), 0o000);
    const r = runCli(['build'], dir, { asUser: NOBODY });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/src\/secret\.json/);
    expect(r.stderr).toMatch(/EACCES|permission denied/i);
    expect(noPackage(await listAll(path.join(dir, 'out')))).toEqual([]);
  });

  it('an output path below a regular file fails clearly (ENOTDIR)', async () => {
    const { dir } = await project();
    await writeFile(path.join(dir, 'afile'), 'x');
    const r = runCli(['build', '--out', 'afile/out'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error E_IO: \/.*\/afile\/out: cannot write: a parent of the output path is a file, not a directory \(ENOTDIR\)$/m,
    );
  });

  it('a read-only output directory (read-only bind mount) fails with EROFS and leaves nothing', async () => {
    const { dir } = await project();
    const out = path.join(dir, 'ro');
    await mkdir(out);
    execFileSync('mount', ['--bind', out, out]);
    mounts.push(out);
    execFileSync('mount', ['-o', 'remount,ro,bind', out]);
    const r = runCli(['build', '--out', 'ro'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error E_IO: \/.*\/ro: cannot write: the file system is read-only \(EROFS\)$/m);
    expect(await listAll(out)).toEqual([]);
  });

  it('an output directory the user may not write (0555, unprivileged user) fails with EACCES', async () => {
    const { dir } = await project();
    execFileSync('chmod', ['-R', 'a+rwX', dir]);
    await chmod(dir, 0o777);
    const out = path.join(dir, 'locked');
    await mkdir(out);
    await chmod(out, 0o555);
    const r = runCli(['build', '--out', 'locked'], dir, { asUser: NOBODY });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error E_IO: \/.*\/locked: cannot write: permission denied \(EACCES\)$/m);
    expect(await listAll(out)).toEqual([]);
  });

  it('a full disk (64 KiB tmpfs) fails with ENOSPC and removes the half-written archive', async () => {
    const noise = randomBytes(256 * 1024); // incompressible: the archive cannot fit in 64 KiB
    const { dir } = await project({ 'src/noise.bin': noise });
    const out = path.join(dir, 'full');
    await mkdir(out);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', out]);
    mounts.push(out);
    const r = runCli(['build', '--out', 'full'], dir);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error E_IO: \/.*\/full\/demo-app-v1\.2\.0-20231114\.221320\.tar\.gz: cannot write: the disk is full \(ENOSPC\)$/m,
    );
    expect(r.stderr).toMatch(/hint: Free disk space or choose another --out directory\./);
    // only the compile cache (kept on purpose between builds) may be there; no archive, temp file or sidecar
    expect((await listAll(out)).filter((n) => !n.startsWith('.cache'))).toEqual([]);
  });

  it('the library reports ENOSPC as E_IO and leaves no file either', async () => {
    const { dir, config } = await project({ 'src/noise.bin': randomBytes(256 * 1024) });
    const out = path.join(dir, 'full2');
    await mkdir(out);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', out]);
    mounts.push(out);
    const fileSet = await makeFileSet(dir, [...SOURCES.filter((s) => s.startsWith('src/')), 'src/noise.bin']);
    const err = await packageFileSet({ config, fileSet, outDir: out, sourceDateEpoch: 1_700_000_000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).code).toBe('E_IO');
    expect((err as SlipwayError).message).toBe(
      `${out}/demo-app-v1.2.0-20231114.221320.tar.gz: cannot write: the disk is full (ENOSPC)`,
    );
    expect(await listAll(out)).toEqual([]);
  });
});
