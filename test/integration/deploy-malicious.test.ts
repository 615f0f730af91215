import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deploy } from '../../src/deploy/deploy.js';
import { extractPackage } from '../../src/deploy/extract.js';
import { DEFAULT_LIMITS, type ExtractLimits } from '../../src/deploy/archive-rules.js';
import { SlipwayError } from '../../src/errors.js';
import type { Config } from '../../src/config/schema.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import {
  baseFiles,
  craftPackageEntries,
  craftTar,
  sumsFor,
  writeCrafted,
  type RawEntry,
} from '../fixtures/deploy/craft.js';

const EVIL = `/tmp/slipway-evil-${randomBytes(4).toString('hex')}`;
const sha = (b: string | Buffer) => createHash('sha256').update(b).digest('hex');

interface Case {
  name: string;
  /** tar bytes (uncompressed unless gzip: false says they are already the file). */
  bytes: () => Buffer;
  gzip?: boolean;
  /** Regex the error (code + message + details) must match. */
  reason: RegExp;
  /** Also rejected by extractPackage alone (structural problems, not metadata lies). */
  structural?: boolean;
  limits?: Partial<ExtractLimits>;
  digest?: string;
}

const pkg =
  (extra: RawEntry[], o: Parameters<typeof craftPackageEntries>[0] = {}) =>
  () =>
    craftTar(craftPackageEntries({ ...o, extra }));
const longSeg = 'a'.repeat(300);
const manyFiles = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`application/f${i}.txt`, `x${i}`]));
const zeros = Buffer.alloc(3 * 1024 * 1024);

const cases: Case[] = [
  {
    name: 'traversal ../',
    bytes: pkg([{ path: '../evil.txt', body: 'x' }]),
    reason: /\[TRAVERSAL\]/,
    structural: true,
  },
  {
    name: 'nested traversal',
    bytes: pkg([{ path: 'application/../../evil.txt', body: 'x' }]),
    reason: /\[TRAVERSAL\]/,
    structural: true,
  },
  { name: 'absolute path', bytes: pkg([{ path: EVIL, body: 'x' }]), reason: /\[ABSOLUTE_PATH\]/, structural: true },
  {
    name: 'absolute path via pax',
    bytes: pkg([{ path: 'application/ok.txt', body: 'x', pax: { path: EVIL } }]),
    reason: /\[ABSOLUTE_PATH\]/,
    structural: true,
  },
  {
    name: 'traversal via pax',
    bytes: pkg([{ path: 'application/ok.txt', body: 'x', pax: { path: '../../pax-evil.txt' } }]),
    reason: /\[TRAVERSAL\]/,
    structural: true,
  },
  {
    name: 'traversal via GNU long name',
    bytes: pkg([{ path: 'application/short.txt', body: 'x', gnuLongName: `../${'b'.repeat(120)}.txt` }]),
    reason: /\[TRAVERSAL\]/,
    structural: true,
  },
  {
    name: 'symlink to absolute path',
    bytes: pkg([{ path: 'application/passwd', type: 'SymbolicLink', linkpath: '/etc/passwd' }]),
    reason: /\[SYMLINK_ABSOLUTE\]/,
    structural: true,
  },
  {
    name: 'symlink escaping the tree',
    bytes: pkg([{ path: 'application/out', type: 'SymbolicLink', linkpath: '../../outside' }]),
    reason: /\[SYMLINK_ESCAPE\]/,
    structural: true,
  },
  {
    name: 'symlink escape, then a file through it',
    bytes: pkg([
      { path: 'application/out', type: 'SymbolicLink', linkpath: '../..' },
      { path: 'application/out/outside/pwned.txt', body: 'x' },
    ]),
    reason: /\[SYMLINK_ESCAPE\]|\[THROUGH_SYMLINK\]/,
    structural: true,
  },
  {
    name: 'in-tree symlink, then a file through it',
    bytes: pkg([
      { path: 'application/l', type: 'SymbolicLink', linkpath: '.' },
      { path: 'application/l/x.txt', body: 'x' },
    ]),
    reason: /\[THROUGH_SYMLINK\]/,
    structural: true,
  },
  {
    name: 'symlink target via pax linkpath',
    bytes: pkg([{ path: 'application/l2', type: 'SymbolicLink', linkpath: 'server.mjs', pax: { linkpath: '/etc' } }]),
    reason: /\[SYMLINK_ABSOLUTE\]/,
    structural: true,
  },
  {
    name: 'hardlink to /etc/passwd',
    bytes: pkg([{ path: 'application/hl', type: 'Link', linkpath: '/etc/passwd' }]),
    reason: /\[HARDLINK\]/,
    structural: true,
  },
  {
    name: 'hardlink inside the tree',
    bytes: pkg([{ path: 'application/hl', type: 'Link', linkpath: 'application/server.mjs' }]),
    reason: /\[HARDLINK\]/,
    structural: true,
  },
  {
    name: 'character device',
    bytes: pkg([{ path: 'application/null', type: 'CharacterDevice' }]),
    reason: /\[DEVICE\]/,
    structural: true,
  },
  {
    name: 'block device',
    bytes: pkg([{ path: 'application/sda', type: 'BlockDevice' }]),
    reason: /\[DEVICE\]/,
    structural: true,
  },
  { name: 'fifo', bytes: pkg([{ path: 'application/pipe', type: 'FIFO' }]), reason: /\[FIFO\]/, structural: true },
  {
    name: 'contiguous file type',
    bytes: pkg([{ path: 'application/c.bin', type: 'ContiguousFile', body: 'x' }]),
    reason: /\[BAD_ENTRY_TYPE\]/,
    structural: true,
  },
  {
    name: 'setuid file',
    bytes: pkg([{ path: 'application/suid', body: 'x', mode: 0o4755 }]),
    reason: /\[SETUID\]/,
    structural: true,
  },
  {
    name: 'setgid file',
    bytes: pkg([{ path: 'application/sgid', body: 'x', mode: 0o2755 }]),
    reason: /\[SETGID\]/,
    structural: true,
  },
  {
    name: 'sticky directory',
    bytes: pkg([{ path: 'application/tmp/', type: 'Directory', mode: 0o1777 }]),
    reason: /\[STICKY\]/,
    structural: true,
  },
  {
    name: 'bomb: huge declared size',
    bytes: pkg([{ path: 'application/huge.bin', body: 'x', declaredSize: 8 * 1024 * 1024 * 1024 }]),
    reason: /\[FILE_TOO_LARGE\]/,
    structural: true,
  },
  {
    name: 'bomb: huge actual size',
    bytes: pkg([{ path: 'application/zeros.bin', body: zeros }]),
    reason: /\[FILE_TOO_LARGE\]/,
    structural: true,
    limits: { maxFileBytes: 1024 * 1024, maxTotalBytes: 2 * 1024 * 1024 },
  },
  {
    name: 'bomb: total over the limit',
    bytes: pkg([1, 2, 3].map((i) => ({ path: `application/z${i}.bin`, body: zeros.subarray(0, 900 * 1024) }))),
    reason: /\[TOO_LARGE\]/,
    structural: true,
    limits: { maxTotalBytes: 2 * 1024 * 1024 },
  },
  {
    name: 'too many entries',
    bytes: () => craftTar(craftPackageEntries({ files: { ...baseFiles(), ...manyFiles } })),
    reason: /\[TOO_MANY_ENTRIES\]/,
    structural: true,
    limits: { maxEntries: 50 },
  },
  {
    name: 'checksum mismatch',
    bytes: () =>
      craftTar(
        craftPackageEntries({
          files: { ...baseFiles(), 'application/server.mjs': 'console.log("tampered")\n' },
          sums: sumsFor(baseFiles()),
        }),
      ),
    reason: /\[SUMS_MISMATCH\]/,
    structural: true,
  },
  {
    name: 'SHA256SUMS lists a missing file',
    bytes: () => craftTar(craftPackageEntries({ sums: sumsFor({ ...baseFiles(), 'application/ghost.js': 'x' }) })),
    reason: /\[SUMS_MISSING_FILE\]/,
    structural: true,
  },
  {
    name: 'file not listed in SHA256SUMS',
    bytes: pkg([{ path: 'application/extra.js', body: 'alert(1)' }]),
    reason: /\[SUMS_UNLISTED\]/,
    structural: true,
  },
  {
    name: 'SHA256SUMS malformed line',
    bytes: () => craftTar(craftPackageEntries({ sums: sumsFor(baseFiles()) + 'not a checksum line\n' })),
    reason: /\[SUMS_FORMAT\]/,
    structural: true,
  },
  {
    name: 'SHA256SUMS with a traversal path',
    bytes: () => craftTar(craftPackageEntries({ sums: sumsFor(baseFiles()) + `${sha('x')}  ../x\n` })),
    reason: /\[SUMS_PATH\]/,
    structural: true,
  },
  {
    name: 'SHA256SUMS lists a file twice',
    bytes: () =>
      craftTar(
        craftPackageEntries({
          sums: sumsFor(baseFiles()) + `${sha('console.log("ok");\n')}  application/server.mjs\n`,
        }),
      ),
    reason: /\[SUMS_DUPLICATE\]/,
    structural: true,
  },
  {
    name: 'no SHA256SUMS',
    bytes: () => craftTar(craftPackageEntries({ omitSums: true })),
    reason: /\[SUMS_MISSING\]/,
    structural: true,
  },
  {
    name: 'duplicate entry (second copy differs)',
    bytes: pkg([{ path: 'application/server.mjs', body: 'console.log("evil")\n' }]),
    reason: /\[DUPLICATE_ENTRY\]/,
    structural: true,
  },
  {
    name: 'file and directory with the same name',
    bytes: pkg([{ path: 'application/server.mjs/', type: 'Directory' }]),
    reason: /\[DUPLICATE_ENTRY\]|\[TYPE_CONFLICT\]/,
    structural: true,
  },
  {
    name: 'file below a file',
    bytes: pkg([{ path: 'build-manifest.json/x', body: 'x' }]),
    reason: /\[PARENT_IS_FILE\]/,
    structural: true,
  },
  {
    name: 'path segment over 255 bytes (pax)',
    bytes: pkg([{ path: 'application/x', body: 'x', pax: { path: `application/${longSeg}` } }]),
    reason: /\[NAME_TOO_LONG\]/,
    structural: true,
  },
  {
    name: 'path over the length limit (pax)',
    bytes: pkg([{ path: 'application/y', body: 'x', pax: { path: 'application/' + 'd/'.repeat(600) + 'f' } }]),
    reason: /\[PATH_TOO_LONG\]/,
    structural: true,
  },
  {
    name: 'control character in a name',
    bytes: pkg([{ path: 'application/\u0001evil', body: 'x' }]),
    reason: /\[CONTROL_CHAR\]/,
    structural: true,
  },
  {
    name: 'backslash path',
    bytes: pkg([{ path: '..\\..\\evil.txt', body: 'x' }]),
    reason: /\[BACKSLASH\]/,
    structural: true,
  },
  {
    name: 'global pax header renames every later entry',
    bytes: pkg([{ path: 'application/g.txt', body: 'x', globalPax: { path: '../global-evil.txt' } }]),
    reason: /\[PAX_GLOBAL\]/,
    structural: true,
  },
  {
    name: 'corrupt header checksum',
    bytes: () => {
      const t = craftTar(craftPackageEntries());
      t[600] = (t[600]! + 1) % 256;
      return t;
    },
    reason: /\[TAR_CORRUPT\] header checksum mismatch/,
    structural: true,
  },
  {
    name: 'truncated archive',
    bytes: () => {
      const t = craftTar(craftPackageEntries({ extra: [{ path: 'application/big.txt', body: 'y'.repeat(5000) }] }));
      return t.subarray(0, t.length - 1024 - 3000);
    },
    reason: /\[TAR_TRUNCATED\]/,
    structural: true,
  },
  {
    name: 'not an archive at all',
    bytes: () => randomBytes(4096),
    gzip: false,
    reason: /\[TAR_CORRUPT\]/,
    structural: true,
  },
  { name: 'empty archive', bytes: () => Buffer.alloc(1024), reason: /\[EMPTY_ARCHIVE\]/, structural: true },
  {
    name: 'archive digest does not match its .sha256',
    bytes: pkg([]),
    digest: 'ab'.repeat(32),
    reason: /DIGEST_MISMATCH/,
  },
  {
    name: 'manifest lies about the version',
    bytes: () =>
      craftTar(
        craftPackageEntries({
          files: { ...baseFiles(), 'build-manifest.json': baseFiles('9.9.9')['build-manifest.json']! },
        }),
      ),
    reason: /COMPAT_INVALID|9\.9\.9/,
  },
  {
    name: 'manifest is not JSON',
    bytes: () => craftTar(craftPackageEntries({ files: { ...baseFiles(), 'build-manifest.json': '{ not json' } })),
    reason: /MANIFEST_INVALID/,
  },
];

/** Every path under `dir` with its type, mode, size, link target and content digest. */
async function snapshot(dir: string, skip: (rel: string) => boolean): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const name of (await readdir(path.join(dir, rel))).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      if (skip(p)) continue;
      const st = await lstat(path.join(dir, p));
      if (st.isDirectory()) {
        out.push(`d ${p} ${st.mode.toString(8)}`);
        await walk(p);
      } else if (st.isSymbolicLink()) out.push(`l ${p} -> ${await readlink(path.join(dir, p))}`);
      else out.push(`f ${p} ${st.mode.toString(8)} ${st.size} ${sha(await readFile(path.join(dir, p)))}`);
    }
  };
  await walk('');
  return out;
}

describe('malicious packages', () => {
  let sandbox: string;
  let config: Config;
  beforeAll(async () => {
    sandbox = await mkdtemp(path.join(tmpdir(), 'slipway-evil-'));
    await mkdir(path.join(sandbox, 'outside'), { recursive: true });
    await writeFile(path.join(sandbox, 'outside', 'secret.txt'), 'do not touch\n');
    for (const d of ['releases', 'shared', '.slipway'])
      await mkdir(path.join(sandbox, 'target', d), { recursive: true });
    await mkdir(path.join(sandbox, 'pkgs'));
    await mkdir(path.join(sandbox, 'stage'));
    config = await makeDeployConfig(sandbox);
  });
  afterAll(async () => {
    await rm(sandbox, { recursive: true, force: true });
    await rm(EVIL, { force: true });
  });

  it('has at least 30 crafted packages', () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  it.each(cases.map((c, i) => [i, c.name, c] as const))(
    '#%i %s: rejected with a reason, nothing written around the staging dir',
    async (i, _name, c) => {
      const file = await writeCrafted(path.join(sandbox, 'pkgs'), `case${i}`, c.bytes(), {
        gzip: c.gzip !== false,
        ...(c.digest ? { digest: c.digest } : {}),
      });
      const limits = { ...DEFAULT_LIMITS, ...c.limits };
      const t = config.deploy.targets.prod!;
      const cfg = { ...config, deploy: { targets: { prod: { ...t, limits } } } } as Config;
      const skipJournal = (p: string) =>
        p === 'target/.slipway/journal.jsonl' || p === 'target/.slipway/logs' || p === 'pkgs';
      const before = await snapshot(sandbox, skipJournal);

      const err = await deploy({ config: cfg, packagePath: file, target: 'prod' }).then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SlipwayError);
      const e = err as SlipwayError;
      expect(['E_UNSAFE_ARCHIVE', 'E_VALIDATE']).toContain(e.code);
      expect(`${e.message}\n${e.details.join('\n')}`).toMatch(c.reason);
      expect(await snapshot(sandbox, skipJournal)).toEqual(before);
      expect(existsSync(EVIL)).toBe(false);

      if (c.structural) {
        // Second line of defence on its own: extraction without the pre-scan refuses it too and leaves nothing.
        const dest = path.join(sandbox, 'stage', `x${i}`);
        const err2 = await extractPackage({ file, dest, limits }).then(
          () => null,
          (x: unknown) => x,
        );
        expect(err2).toBeInstanceOf(SlipwayError);
        expect((err2 as SlipwayError).code).toBe('E_UNSAFE_ARCHIVE');
        expect(existsSync(dest)).toBe(false);
        expect(await snapshot(sandbox, skipJournal)).toEqual(before);
        expect(existsSync(EVIL)).toBe(false);
      }
    },
  );
});
