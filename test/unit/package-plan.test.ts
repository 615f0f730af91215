import { describe, expect, it } from 'vitest';
import { targetSchema } from '../../src/config/sections/deploy.js';
import type { Config } from '../../src/config/schema.js';
import { SlipwayError } from '../../src/errors.js';
import { defaultUpgradeFrom } from '../../src/builder/package-metadata.js';
import { planDeploymentInfo } from '../../src/deploy/plan.js';
import { encodeHeader, paxRecord, splitUstarPath } from '../../src/builder/package-tar.js';
import {
  formatBuildStamp,
  formatIsoSeconds,
  packageFileName,
  parseSourceDateEpoch,
} from '../../src/manifest/package-time.js';
import { compareUtf8, planArchiveEntries, type ArchiveEntry } from '../../src/builder/package-writer.js';
import { parseSha256Sums, renderSha256Sums } from '../../src/manifest/sha256sums.js';
import { planSizeReport, renderSizeReport } from '../../src/builder/size-report.js';

const file = (p: string): ArchiveEntry => ({ path: p, type: 'file', mode: 0o644, size: 1 });

describe('package naming and time', () => {
  it('formats the seed timestamp in UTC', () => {
    expect(formatBuildStamp(1_758_810_655)).toBe('20250925.143055');
    expect(formatIsoSeconds(1_758_810_655)).toBe('2025-09-25T14:30:55Z');
    expect(packageFileName('umig', '1.2.0', 0)).toBe('umig-v1.2.0-19700101.000000.tar.gz');
    expect(packageFileName('umig', '1.2.0', 0, true)).toBe('umig-v1.2.0-19700101.000000.not-ready.tar.gz');
  });
  it('parses SOURCE_DATE_EPOCH strictly', () => {
    expect(parseSourceDateEpoch(' 1700000000 ')).toBe(1_700_000_000);
    for (const bad of ['', '1.5', '-1', 'yesterday']) expect(() => parseSourceDateEpoch(bad)).toThrow(SlipwayError);
  });
  it('default upgrade range', () => {
    expect(defaultUpgradeFrom('1.2.0')).toBe('>=1.0.0 <1.2.0');
    expect(defaultUpgradeFrom('2.0.0')).toBe('>=1.0.0 <2.0.0');
    expect(defaultUpgradeFrom('0.0.1')).toBe('>=0.0.0 <0.0.1');
    expect(defaultUpgradeFrom('3.1.0-rc.1')).toBe('>=3.0.0 <3.1.0-rc.1');
  });
});

describe('planArchiveEntries', () => {
  it('adds every parent directory and sorts by byte order', () => {
    const out = planArchiveEntries([file('b/z'), file('SHA256SUMS'), file('a-b'), file('a/x/y'), file('Z')]);
    expect(out.map((e) => `${e.type === 'dir' ? 'd' : 'f'} ${e.path}`)).toEqual([
      'f SHA256SUMS',
      'f Z',
      'd a',
      'f a-b',
      'd a/x',
      'f a/x/y',
      'd b',
      'f b/z',
    ]);
    expect(out.filter((e) => e.type === 'dir').every((e) => e.mode === 0o755)).toBe(true);
  });
  it('rejects unsafe, duplicate and file/dir-clashing paths, all at once', () => {
    try {
      planArchiveEntries([
        file('../x'),
        file('/abs'),
        file('a//b'),
        file('dup'),
        file('dup'),
        file('f'),
        file('f/g'),
        file('back\\slash'),
      ]);
      expect.unreachable();
    } catch (e) {
      expect((e as SlipwayError).code).toBe('E_PACKAGE');
      expect((e as SlipwayError).details).toEqual([
        'unsafe archive path: "../x"',
        'unsafe archive path: "/abs"',
        'unsafe archive path: "a//b"',
        'unsafe archive path: "back\\\\slash"',
        'two files map to dup',
        'f is both a file and a directory',
      ]);
    }
  });
});

describe('compareUtf8', () => {
  it('orders like a byte comparison of the UTF-8 encodings (BMP, private use, astral)', () => {
    const words = [
      'a',
      'B',
      'a/b',
      'a-b',
      'ä',
      'z',
      '\uE000',
      '\uFFFD',
      '😀',
      '😀a',
      'a😀',
      'ab',
      '',
      '\u07FF',
      '\u0800',
    ];
    const bytes = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect([...words].sort(compareUtf8)).toEqual(bytes);
  });
});

describe('ustar encoding', () => {
  it('writes a ustar header with zero owners, fixed mode and checksum', () => {
    const h = encodeHeader({ path: 'application/app.js', type: 'file', mode: 0o644, size: 20, mtime: 1_700_000_000 });
    expect(h.length).toBe(512);
    const field = (o: number, l: number) => h.subarray(o, o + l).toString('latin1');
    expect(field(0, 18)).toBe('application/app.js');
    expect(field(100, 8)).toBe('0000644\0');
    expect(field(108, 16)).toBe('0000000\x000000000\0');
    expect(field(124, 12)).toBe('00000000024\0');
    expect(field(136, 12)).toBe('14524770400\0');
    expect(field(156, 1)).toBe('0');
    expect(field(257, 8)).toBe('ustar\x0000');
    expect(h.subarray(265, 329).every((b) => b === 0)).toBe(true); // uname, gname empty
    let sum = 0;
    for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : h[i]!;
    expect(field(148, 8)).toBe(`${sum.toString(8).padStart(6, '0')}\0 `);
  });
  it('splits long paths into prefix/name, falls back to pax', () => {
    expect(splitUstarPath('a/b')).toEqual({ prefix: '', name: 'a/b' });
    const p = `${'x'.repeat(120)}/y.js`;
    expect(splitUstarPath(p)).toEqual({ prefix: 'x'.repeat(120), name: 'y.js' });
    expect(splitUstarPath(`a/${'z'.repeat(101)}`)).toBeNull();
    const h = encodeHeader({ path: `a/${'z'.repeat(101)}`, type: 'file', mode: 0o644, size: 0, mtime: 0 });
    expect(h.length).toBe(512 * 3);
    expect(h.subarray(156, 157).toString()).toBe('x');
    const rec = paxRecord('path', `a/${'z'.repeat(101)}`);
    expect(rec.startsWith('113 path=a/zzz')).toBe(true);
    expect(h.subarray(512, 512 + rec.length).toString()).toBe(rec);
  });
  it('pax record length counts itself', () => {
    expect(paxRecord('path', 'abc')).toBe('12 path=abc\n');
    expect(paxRecord('path', 'x'.repeat(91))).toBe(`101 path=${'x'.repeat(91)}\n`);
  });
});

describe('SHA256SUMS', () => {
  it('renders and parses sha256sum -c format', () => {
    const a = 'a'.repeat(64);
    const text = renderSha256Sums([{ path: 'x y.txt', sha256: a }]);
    expect(text).toBe(`${a}  x y.txt\n`);
    expect(parseSha256Sums(`${text}bad line\n${a} *bin\n`)).toEqual({
      entries: [
        { sha256: a, path: 'x y.txt', line: 1 },
        { sha256: a, path: 'bin', line: 3 },
      ],
      errors: [{ line: 2, text: 'bad line' }],
    });
  });
});

describe('size report', () => {
  it('groups packed bytes by top-level dir and measures ratios', () => {
    const r = planSizeReport({
      before: {
        totalBytes: 10_000,
        totalFiles: 9,
        categories: [
          { name: 'node_modules', bytes: 8000, files: 5 },
          { name: 'application', bytes: 2000, files: 4 },
        ],
      },
      files: [
        { path: 'application/a.js', size: 1500 },
        { path: 'application/b.js', size: 300 },
        { path: 'database/package.sql', size: 100 },
        { path: 'build-manifest.json', size: 100 },
      ],
      tarBytes: 6144,
      archiveBytes: 1000,
    });
    expect(r.after.categories).toEqual([
      { name: 'application', bytes: 1800, files: 2 },
      { name: 'database', bytes: 100, files: 1 },
      { name: 'metadata', bytes: 100, files: 1 },
    ]);
    expect(r.compressionRatio).toBe(0.1628);
    expect(r.reduction).toBe(0.9);
    expect(renderSizeReport(r)).toBe(
      [
        'Before (project tree): 10.00 kB in 9 files',
        '  node_modules/             8.00 kB   80%        5 files',
        '  application/              2.00 kB   20%        4 files',
        'After (packed, uncompressed): 2.00 kB',
        '  application/              1.80 kB   90%        2 files',
        '  database/                   100 B    5%        1 files',
        '  metadata                    100 B    5%        1 files',
        'Archive: 1.00 kB (compression ratio 0.163 of 6.14 kB tar)',
        'Reduction vs project tree: 90.0%',
        '',
      ].join('\n'),
    );
  });
});

describe('deployment-info.json', () => {
  it('lists the steps planDeploy runs per target (a stop command is never run by a deploy)', () => {
    const config = {
      name: 'umig',
      version: '1.2.0',
      environment: 'prod',
      deploy: {
        targets: {
          production: targetSchema.parse({
            type: 'local',
            path: '/srv',
            keep: 10,
            shared: ['logs'],
            restart: 'bash start.sh',
            stop: 'bash stop.sh',
            health: { url: 'http://h/health', timeoutMs: 60000, intervalMs: 1000, allowDegraded: false },
            databaseUrl: 'postgres://x',
            backupDatabase: true,
            rollbackDatabase: true,
          }),
        },
      },
      database: {},
    } as unknown as Config;
    expect(planDeploymentInfo(config, true).targets).toEqual([
      {
        name: 'production',
        type: 'local',
        strategy: 'symlink',
        steps: [
          'verify: verify the archive digest and every SHA256SUMS line of the package',
          'extract: extract into releases/.staging-<release-id>, verify again, link 1 shared path(s) (logs), rename to releases/<release-id>',
          'compat: check version-compatibility.json against the live release and the database',
          'precheck: probe http://h/health (live system must be healthy)',
          'backup: pg_dump postgres://x into .slipway/backups/',
          'migrate: apply database/package.sql to postgres://x',
          'switch: point current at releases/<release-id>',
          'restart: run the restart command (timeout 60000 ms)',
          'health: wait until http://h/health is HEALTHY (timeout 60000 ms)',
          'smoke: run tests/smoke/*.mjs|*.sh from the package, if any',
          'retention: keep the newest 10 releases (never current, the last good or a pinned one)',
        ],
        healthUrl: 'http://h/health',
        rollback: { keepReleases: 10, database: true, backupDatabase: true },
      },
    ]);
  });
});
