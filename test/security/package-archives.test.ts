/**
 * Archives are read exactly as GNU tar reads them (real `tar` and `gzip` are the oracle), modes are normalised on
 * extraction, links are judged by resolving them through the tree, and size limits come from declared sizes.
 * Every package here is hand-crafted (test/fixtures/deploy/craft.ts) and deployed for real.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, realpath, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Header } from 'tar';
import { deploy } from '../../src/deploy/deploy.js';
import { DEFAULT_LIMITS } from '../../src/deploy/archive-rules.js';
import { validatePackage } from '../../src/manifest/validate.js';
import { SlipwayError } from '../../src/errors.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import {
  baseFiles,
  craftPackageEntries,
  craftTar,
  sumsFor,
  writeCrafted,
  type RawEntry,
} from '../fixtures/deploy/craft.js';

const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');
const ZERO_BLOCK = Buffer.alloc(512);
const MiB = 1024 * 1024;

let sandbox: string;
let n = 0;
beforeAll(async () => {
  sandbox = await mkdtemp(path.join(tmpdir(), 'slipway-archives-'));
});
afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
});

/** A fresh project dir with target `prod`; returns config and target root. */
async function project(target: Record<string, unknown> = {}) {
  const dir = path.join(sandbox, `p${n++}`);
  await mkdir(dir);
  const config = await makeDeployConfig(dir, target);
  return { dir, config, root: path.join(dir, 'target') };
}

async function write(name: string, tar: Buffer, opts: { gzip?: boolean } = {}): Promise<string> {
  await mkdir(path.join(sandbox, 'pkgs'), { recursive: true });
  return writeCrafted(path.join(sandbox, 'pkgs'), `${name}-${n++}`, tar, opts);
}

/** GNU tar's listing of an archive (the oracle), with its stderr. */
function gnuList(file: string): { names: string[]; stderr: string; status: number | null } {
  const r = spawnSync('tar', ['-tzf', file], { encoding: 'utf8' });
  return { names: r.stdout.split('\n').filter(Boolean), stderr: r.stderr, status: r.status };
}

async function deployError(file: string, target: Record<string, unknown> = {}) {
  const { config, root } = await project(target);
  const err = await deploy({ config, packagePath: file, target: 'prod' }).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SlipwayError);
  const releases = await readdir(path.join(root, 'releases')).catch(() => []);
  return { err: err as SlipwayError, releases };
}

async function deployOk(file: string, target: Record<string, unknown> = {}) {
  const { config, root } = await project(target);
  const r = await deploy({ config, packagePath: file, target: 'prod' });
  expect(r.ok, r.reason ?? '').toBe(true);
  return { root, live: path.join(root, 'releases', r.releaseId) };
}

const codes = (r: { problems: { code: string }[] }) => r.problems.map((p) => p.code);

describe('archives are read as GNU tar reads them', () => {
  const hidden: RawEntry = { path: 'application/hidden.mjs', body: 'process.exit(1)\n' };
  const withHidden = { ...baseFiles(), [hidden.path]: hidden.body as string };

  it('refuses entries hidden behind a single zero block (GNU tar stops there)', async () => {
    // SHA256SUMS lists the hidden file, so a reader that goes on past the zero block sees a consistent package.
    const before = craftTar(craftPackageEntries({ sums: sumsFor(withHidden) }), { trailer: false });
    const file = await write('lone-zero', Buffer.concat([before, ZERO_BLOCK, craftTar([hidden])]));
    const gnu = gnuList(file);
    expect(gnu.names).not.toContain(hidden.path);
    expect(gnu.names).toContain('application/server.mjs');
    expect(gnu.stderr).toMatch(/A lone zero block/);

    const v = await validatePackage(file);
    expect(codes(v)).toEqual(['TAR_LONE_ZERO_BLOCK']);
    expect(v.problems[0]!.message).toMatch(/single zero block at offset \d+ is followed by more data/);
    const { err, releases } = await deployError(file);
    expect(err.code).toBe('E_UNSAFE_ARCHIVE');
    expect(err.message).toContain('[TAR_LONE_ZERO_BLOCK]');
    expect(releases).toEqual([]);
  });

  it('refuses an entry after the end-of-archive marker (GNU tar ignores it)', async () => {
    const file = await write(
      'after-eof',
      Buffer.concat([craftTar(craftPackageEntries({ sums: sumsFor(withHidden) })), craftTar([hidden])]),
    );
    expect(gnuList(file).names).not.toContain(hidden.path);
    expect(codes(await validatePackage(file))).toEqual(['TAR_TRAILING_DATA']);
    const { err, releases } = await deployError(file);
    expect(err.message).toContain('[TAR_TRAILING_DATA]');
    expect(releases).toEqual([]);
  });

  it('accepts zero padding after the marker (GNU tar pads to its 10 KiB record)', async () => {
    const tar = craftTar(craftPackageEntries());
    const file = await write('padded', Buffer.concat([tar, Buffer.alloc(10240 - (tar.length % 10240))]));
    expect(gnuList(file).status).toBe(0);
    expect(codes(await validatePackage(file))).toEqual([]);
  });

  it('refuses garbage after the gzip stream (gzip -t complains too)', async () => {
    const file = await write('gz-garbage', craftTar(craftPackageEntries()));
    await writeFile(file, Buffer.concat([gzipSync(craftTar(craftPackageEntries())), Buffer.from('garbage!')]));
    await rm(`${file}.sha256`);
    const gz = spawnSync('gzip', ['-t', file], { encoding: 'utf8' });
    expect(gz.status).not.toBe(0);
    expect(gz.stderr).toMatch(/trailing garbage|not in gzip format/);
    const v = await validatePackage(file, { requireDigest: false });
    expect(codes(v)).toContain(v.problems[0]!.code);
    expect(['GZIP_TRAILING_DATA', 'GZIP_CORRUPT']).toContain(v.problems[0]!.code);
    expect(v.problems).toHaveLength(1);
  });

  it('refuses an archive without its end-of-archive marker', async () => {
    const file = await write('no-eof', craftTar(craftPackageEntries(), { trailer: false }));
    expect(codes(await validatePackage(file))).toEqual(['TAR_TRUNCATED']);
  });

  it('refuses a header whose checksum does not match, as GNU tar does', async () => {
    const tar = craftTar(craftPackageEntries());
    tar.writeUInt8(tar.readUInt8(522) ^ 0x01, 522); // a byte of the second header's name (SHA256SUMS)
    const file = await write('bad-cksum', tar);
    expect(gnuList(file).status).not.toBe(0);
    const v = await validatePackage(file);
    expect(codes(v)).toEqual(['TAR_CORRUPT']);
    expect(v.problems[0]!.message).toBe('header checksum mismatch at offset 512');
  });
});

describe('modes and owners of the live release', () => {
  it('normalises a 0777 directory, a 0666 file and a 0777 script; owners come from the deployer', async () => {
    const files = { ...baseFiles(), 'application/data/notes.txt': 'n\n', 'application/run.sh': 'echo hi\n' };
    const entries = craftPackageEntries({ files }).map((e) =>
      e.path === 'application/run.sh' ? { ...e, mode: 0o777 } : e.path.endsWith('.txt') ? { ...e, mode: 0o666 } : e,
    );
    entries.unshift({ path: 'application/data/', type: 'Directory', mode: 0o777 });
    const file = await write('modes', craftTar(entries));
    expect(codes(await validatePackage(file))).toEqual([]);
    const { live } = await deployOk(file);
    const mode = async (p: string) => ((await lstat(path.join(live, p))).mode & 0o7777).toString(8);
    expect(await mode('.')).toBe('755');
    expect(await mode('application')).toBe('755');
    expect(await mode('application/data')).toBe('755');
    expect(await mode('application/data/notes.txt')).toBe('644');
    expect(await mode('application/run.sh')).toBe('755');
    expect(await mode('application/server.mjs')).toBe('644');
    const st = await stat(path.join(live, 'application/data/notes.txt'));
    expect(st.uid).toBe(process.getuid!());
    expect(st.gid).toBe(process.getgid!());
  });

  it('ignores the owner an archive names (uid 1234 in the header)', async () => {
    const h = new Header({ path: 'application/owned.txt', type: 'File', size: 2, mode: 0o644, uid: 1234, gid: 1234 });
    h.encode();
    const files = { ...baseFiles(), 'application/owned.txt': 'o\n' };
    const body = Buffer.concat([Buffer.from('o\n'), Buffer.alloc(510)]);
    const rest = craftTar(craftPackageEntries({ files: baseFiles(), sums: sumsFor(files) }), { trailer: false });
    const file = await write('owner', Buffer.concat([rest, h.block!, body, Buffer.alloc(1024)]));
    expect(execFileSync('tar', ['-tvzf', file], { encoding: 'utf8' })).toMatch(/1234\/1234 .* application\/owned\.txt/);
    const { live } = await deployOk(file);
    expect((await stat(path.join(live, 'application/owned.txt'))).uid).toBe(process.getuid!());
  });
});

describe('links are judged by resolving them inside the tree', () => {
  const linkPkg = (links: RawEntry[]) => craftTar(craftPackageEntries({ extra: links }));

  it('refuses a two-link chain out of the release whose links each look harmless', async () => {
    const links: RawEntry[] = [
      { path: 'application/up', type: 'SymbolicLink', linkpath: '..' },
      { path: 'application/x', type: 'SymbolicLink', linkpath: 'up/..' },
    ];
    const file = await write('chain', linkPkg(links));
    // The oracle: GNU tar extracts it, and the kernel resolves application/x to the parent of the release.
    const out = path.join(sandbox, `gnu-${n++}`);
    await mkdir(out);
    execFileSync('tar', ['-xzf', file, '-C', out]);
    expect(await realpath(path.join(out, 'application/x'))).toBe(path.dirname(await realpath(out)));

    const v = await validatePackage(file);
    expect(codes(v)).toEqual(['SYMLINK_ESCAPE']);
    expect(v.problems[0]!.message).toBe(
      'symlink application/x -> up/.. leaves the release directory when resolved (climbs above the release root)',
    );
    const { err, releases } = await deployError(file);
    expect(err.code).toBe('E_UNSAFE_ARCHIVE');
    expect(err.message).toContain('[SYMLINK_ESCAPE] symlink application/x');
    expect(releases).toEqual([]);
  });

  it('refuses a link loop and a link that climbs out of a shared path', async () => {
    const loop = await write(
      'loop',
      linkPkg([
        { path: 'application/a', type: 'SymbolicLink', linkpath: 'b' },
        { path: 'application/b', type: 'SymbolicLink', linkpath: 'a' },
      ]),
    );
    expect(codes(await validatePackage(loop))).toEqual(['SYMLINK_LOOP', 'SYMLINK_LOOP']);
    const viaShared = await write(
      'via-shared',
      linkPkg([{ path: 'application/s', type: 'SymbolicLink', linkpath: '../logs/../..' }]),
    );
    // Lexically ../logs/../.. is the release's parent already; through a shared path `logs/..` is the target root.
    expect(codes(await validatePackage(viaShared, { shared: ['logs'] }))).toEqual(['SYMLINK_ESCAPE']);
    const intoShared = await write(
      'into-shared',
      linkPkg([{ path: 'application/logs', type: 'SymbolicLink', linkpath: '../logs/app' }]),
    );
    expect(codes(await validatePackage(intoShared, { shared: ['logs'] }))).toEqual([]);
    const outOfShared = await write(
      'out-of-shared',
      linkPkg([
        { path: 'application/l', type: 'SymbolicLink', linkpath: '../logs/..' },
        { path: 'application/m', type: 'SymbolicLink', linkpath: 'l/../secret' },
      ]),
    );
    const v = await validatePackage(outOfShared, { shared: ['logs'] });
    expect(v.problems.map((p) => `${p.code} ${p.path}`)).toEqual([
      'SYMLINK_ESCAPE application/l',
      'SYMLINK_ESCAPE application/m',
    ]);
  });

  it('deploys in-tree links, chains included', async () => {
    const file = await write(
      'good-links',
      linkPkg([
        { path: 'application/current.mjs', type: 'SymbolicLink', linkpath: 'server.mjs' },
        { path: 'application/alias.mjs', type: 'SymbolicLink', linkpath: 'current.mjs' },
        { path: 'docs', type: 'SymbolicLink', linkpath: 'application' },
      ]),
    );
    expect(codes(await validatePackage(file))).toEqual([]);
    const { live } = await deployOk(file);
    expect(await realpath(path.join(live, 'application/alias.mjs'))).toBe(
      await realpath(path.join(live, 'application/server.mjs')),
    );
  });
});

/** A gzip file made of concatenated members: huge runs of zeros cost one compressed member each. */
async function writeMembers(name: string, parts: (Buffer | { zeros: number })[]): Promise<string> {
  const zeroMember = gzipSync(Buffer.alloc(64 * MiB), { level: 1 });
  const out: Buffer[] = [];
  for (const p of parts) {
    if (Buffer.isBuffer(p)) out.push(gzipSync(p));
    else {
      if (p.zeros % (64 * MiB) !== 0) throw new Error('zeros must be a multiple of 64 MiB');
      for (let i = 0; i < p.zeros / (64 * MiB); i++) out.push(zeroMember);
    }
  }
  await mkdir(path.join(sandbox, 'pkgs'), { recursive: true });
  const file = path.join(sandbox, 'pkgs', `${name}.tar.gz`);
  await writeFile(file, Buffer.concat(out));
  await writeFile(`${file}.sha256`, `${sha(Buffer.concat(out))}  ${name}.tar.gz\n`);
  return file;
}

function fileHeader(p: string, size: number): Buffer {
  const h = new Header({ path: p, type: 'File', size, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) });
  h.encode();
  return h.block!;
}

describe('size limits come from declared sizes and configured ceilings', () => {
  it('deploys a legitimate package with a 300 MiB zero-filled file', { timeout: 240_000 }, async () => {
    const size = 320 * MiB; // over 300 MiB, a multiple of the 64 MiB member
    const zerosSha = (() => {
      const h = createHash('sha256');
      const chunk = Buffer.alloc(64 * MiB);
      for (let i = 0; i < size / (64 * MiB); i++) h.update(chunk);
      return h.digest('hex');
    })();
    const files = baseFiles();
    const sums =
      Object.keys(files)
        .map((p) => `${sha(files[p]!)}  ${p}`)
        .concat(`${zerosSha}  application/zeros.bin`)
        .sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1))
        .join('\n') + '\n';
    const head = craftTar(craftPackageEntries({ sums }), { trailer: false });
    const file = await writeMembers('zeros', [
      head,
      fileHeader('application/zeros.bin', size),
      { zeros: size },
      Buffer.alloc(1024),
    ]);
    const v = await validatePackage(file);
    expect(codes(v)).toEqual([]);
    const { live } = await deployOk(file);
    expect((await stat(path.join(live, 'application/zeros.bin'))).size).toBe(size);
  });

  it('refuses a 10 GiB bomb at its header, quickly, with one problem', { timeout: 60_000 }, async () => {
    const size = 10 * 1024 * MiB;
    const head = craftTar(craftPackageEntries(), { trailer: false });
    const file = await writeMembers('bomb', [
      head,
      fileHeader('application/bomb.bin', size),
      { zeros: size },
      Buffer.alloc(1024),
    ]);
    // CPU time, not wall time: a loaded machine stretches the wall clock, not the work. Gunzipping the 10 GiB the
    // header declares costs about a minute of CPU here (measured: 1.5 s per 256 MiB of these members); refusing at
    // the header costs a fraction of a second.
    const cpu0 = process.cpuUsage();
    const v = await validatePackage(file);
    const cpu = process.cpuUsage(cpu0);
    expect(v.problems).toEqual([
      {
        code: 'FILE_TOO_LARGE',
        message: `application/bomb.bin declares ${size} bytes, over the ${DEFAULT_LIMITS.maxFileBytes}-byte limit (limits.maxFileBytes)`,
        path: 'application/bomb.bin',
      },
    ]);
    expect((cpu.user + cpu.system) / 1000).toBeLessThan(5000);
    const { err, releases } = await deployError(file);
    // One archive problem (the other details are the deploy's own notes), not a cascade of misleading ones.
    expect(err.details.filter((d) => d.startsWith('['))).toEqual([`[FILE_TOO_LARGE] ${v.problems[0]!.message}`]);
    expect(releases).toEqual([]);
  });

  it(
    'refuses 10 GiB spread over files under the per-file limit once the declared total passes the ceiling',
    { timeout: 120_000 },
    async () => {
      const per = 128 * MiB;
      const parts: (Buffer | { zeros: number })[] = [craftTar(craftPackageEntries(), { trailer: false })];
      for (let i = 0; i < 80; i++) parts.push(fileHeader(`application/part${i}.bin`, per), { zeros: per });
      parts.push(Buffer.alloc(1024));
      const file = await writeMembers('spread-bomb', parts);
      const limits = { ...DEFAULT_LIMITS, maxTotalBytes: 256 * MiB };
      const v = await validatePackage(file, { limits });
      expect(v.problems).toEqual([
        {
          code: 'TOO_LARGE',
          message: `the files declare more than ${limits.maxTotalBytes} bytes in total (limits.maxTotalBytes)`,
          path: 'application/part1.bin', // the metadata files plus two 128 MiB parts pass 256 MiB
        },
      ]);
      const { err, releases } = await deployError(file, { limits: { maxTotalBytes: limits.maxTotalBytes } });
      expect(err.details.filter((d) => d.startsWith('['))).toEqual([`[TOO_LARGE] ${v.problems[0]!.message}`]);
      expect(releases).toEqual([]);
      expect(existsSync(path.join(sandbox, 'pkgs', 'spread-bomb.tar.gz'))).toBe(true);
    },
  );
});
