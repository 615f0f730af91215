import { describe, expect, it } from 'vitest';
import {
  checkEntry,
  checkSymlinkTarget,
  DEFAULT_LIMITS,
  normalizeEntryPath,
  TreeTracker,
} from '../../src/deploy/archive-rules.js';
import { compareSums, parseSums } from '../../src/deploy/sums.js';
import { checkCompatibility } from '../../src/deploy/compat.js';
import { planRetention } from '../../src/deploy/retention.js';
import { isReleaseId, makeReleaseId } from '../../src/deploy/layout.js';
import { parseDuration } from '../../src/deploy/render.js';
import { planDeploy } from '../../src/deploy/plan.js';
import { targetSchema } from '../../src/config/sections/deploy.js';
import type { ReleaseRecord } from '../../src/deploy/release-store.js';

const H = 'a'.repeat(64);
const file = (path: string, extra: Partial<Parameters<typeof checkEntry>[0]> = {}) =>
  checkEntry({ path, type: 'File', size: 1, mode: 0o644, linkpath: undefined, ...extra }, DEFAULT_LIMITS);

describe('archive entry rules', () => {
  it('normalises safe paths', () => {
    expect(normalizeEntryPath('./application/app.js', DEFAULT_LIMITS)).toEqual({ path: 'application/app.js' });
    expect(normalizeEntryPath('application/', DEFAULT_LIMITS)).toEqual({ path: 'application' });
    expect(normalizeEntryPath('./', DEFAULT_LIMITS)).toEqual({ path: '.' });
  });

  it.each([
    ['../x', 'TRAVERSAL'],
    ['a/../../x', 'TRAVERSAL'],
    ['/etc/passwd', 'ABSOLUTE_PATH'],
    ['C:/x', 'ABSOLUTE_PATH'],
    ['a\\b', 'BACKSLASH'],
    ['a//b', 'UNNORMALIZED_PATH'],
    ['a/./b', 'UNNORMALIZED_PATH'],
    ['a\u0007b', 'CONTROL_CHAR'],
    ['', 'EMPTY_PATH'],
    [`a/${'x'.repeat(256)}`, 'NAME_TOO_LONG'],
    ['d/'.repeat(600), 'PATH_TOO_LONG'],
  ])('refuses %j (%s)', (p, code) => {
    expect(file(p)).toMatchObject({ code });
  });

  it.each([
    ['Link', 'HARDLINK'],
    ['CharacterDevice', 'DEVICE'],
    ['BlockDevice', 'DEVICE'],
    ['FIFO', 'FIFO'],
    ['ContiguousFile', 'BAD_ENTRY_TYPE'],
  ])('refuses %s entries', (type, code) => {
    expect(file('a', { type })).toMatchObject({ code });
  });

  it('refuses special mode bits and oversize files', () => {
    expect(file('a', { mode: 0o4755 })).toMatchObject({ code: 'SETUID' });
    expect(file('a', { mode: 0o2755 })).toMatchObject({ code: 'SETGID' });
    expect(file('a', { mode: 0o1777 })).toMatchObject({ code: 'STICKY' });
    expect(file('a', { size: DEFAULT_LIMITS.maxFileBytes + 1 })).toMatchObject({ code: 'FILE_TOO_LARGE' });
    expect(file('a', { mode: 0o755 })).toEqual({ path: 'a' });
  });

  it('symlinks must stay inside the tree', () => {
    expect(checkSymlinkTarget('a/b', '../c')).toBeNull();
    expect(checkSymlinkTarget('a/b', '.')).toBeNull();
    expect(checkSymlinkTarget('a/b', '../../c')).toMatchObject({ code: 'SYMLINK_ESCAPE' });
    expect(checkSymlinkTarget('a', '/etc')).toMatchObject({ code: 'SYMLINK_ABSOLUTE' });
    expect(checkSymlinkTarget('a', '')).toMatchObject({ code: 'SYMLINK_EMPTY' });
  });

  it('tracks the tree: duplicates, type conflicts, writes through symlinks or below files', () => {
    const t = new TreeTracker();
    expect(t.add('a/b.txt', 'File')).toBeNull();
    expect(t.add('a', 'Directory')).toBeNull(); // explicit dir after its implicit creation is fine
    expect(t.add('a/b.txt', 'File')).toMatchObject({ code: 'DUPLICATE_ENTRY' });
    expect(t.add('a', 'File')).toMatchObject({ code: 'DUPLICATE_ENTRY' });
    expect(t.add('l', 'SymbolicLink')).toBeNull();
    expect(t.add('l/x', 'File')).toMatchObject({ code: 'THROUGH_SYMLINK' });
    expect(t.add('a/b.txt/c', 'File')).toMatchObject({ code: 'PARENT_IS_FILE' });
    expect(t.add('d/e', 'File')).toBeNull();
    expect(t.add('d', 'SymbolicLink')).toMatchObject({ code: 'TYPE_CONFLICT' });
  });
});

describe('SHA256SUMS', () => {
  it('parses sha256sum output (text and binary markers)', () => {
    const r = parseSums(`${H}  a.txt\n${'b'.repeat(64)} *dir/b.bin\n`, DEFAULT_LIMITS);
    expect(r.problems).toEqual([]);
    expect([...r.sums]).toEqual([
      ['a.txt', H],
      ['dir/b.bin', 'b'.repeat(64)],
    ]);
  });

  it('reports every bad line with its number', () => {
    const r = parseSums(`${H}  a\nnonsense\n${H}  ../b\n${H}  a\n`, DEFAULT_LIMITS);
    expect(r.problems.map((p) => p.message)).toEqual([
      'SHA256SUMS:2: not "<sha256>  <path>"',
      'SHA256SUMS:3: path traversal (..) in ../b',
      'SHA256SUMS:4: a listed twice',
    ]);
  });

  it('compares both ways', () => {
    const sums = new Map([
      ['a', H],
      ['b', H],
      ['l', H],
    ]);
    const actual = new Map([
      ['a', 'c'.repeat(64)],
      ['c', H],
      ['SHA256SUMS', H],
    ]);
    expect(compareSums(sums, actual, new Set(['l'])).map((p) => p.code)).toEqual([
      'SUMS_MISMATCH',
      'SUMS_MISSING_FILE',
      'SUMS_UNLISTED',
    ]);
  });
});

describe('compatibility (pure)', () => {
  const pkg = { version: '2.1.0', upgradeFrom: ['>=2.0.0 <2.1.0'], head: { id: '3', author: 'a', filename: 'c.xml' } };
  const index = ['1', '2', '3'].map((id) => ({
    id,
    author: 'a',
    filename: 'c.xml',
    checksum: '9:x',
    rollback: null,
    tag: null,
  }));
  it('accepts an upgrade inside the range, a reinstall, or nothing live', () => {
    expect(checkCompatibility({ pkg, liveVersion: '2.0.3', applied: null, index: null })).toEqual({
      ok: true,
      reasons: [],
      notes: ['upgrade 2.0.3 → 2.1.0 allowed by [">=2.0.0 <2.1.0"]'],
    });
    expect(checkCompatibility({ pkg, liveVersion: '2.1.0', applied: null, index: null }).notes).toEqual([
      'reinstalling 2.1.0',
    ]);
    expect(checkCompatibility({ pkg, liveVersion: null, applied: null, index: null }).ok).toBe(true);
  });
  it('refuses a live version outside upgradeFrom and a database ahead of the package', () => {
    expect(checkCompatibility({ pkg, liveVersion: '1.9.0', applied: null, index: null }).reasons).toEqual([
      'live version 1.9.0 is not in the package\'s upgradeFrom [">=2.0.0 <2.1.0"] (package 2.1.0)',
    ]);
    const applied = [...index, { id: '4', author: 'b', filename: 'd.xml', checksum: '', rollback: null, tag: null }];
    expect(checkCompatibility({ pkg, liveVersion: '2.0.0', applied, index }).reasons).toEqual([
      'the database has 1 changeset(s) this package does not contain (a newer schema?), e.g. d.xml::4::b',
    ]);
  });
  it('says how much the migration will do', () => {
    expect(checkCompatibility({ pkg, liveVersion: '2.0.0', applied: index.slice(0, 1), index }).notes[1]).toBe(
      '2 changeset(s) to apply',
    );
    expect(checkCompatibility({ pkg, liveVersion: '2.0.0', applied: index, index }).notes[1]).toBe(
      'database already at the package head: the migration will change nothing',
    );
  });
});

describe('retention (pure)', () => {
  const rec = (id: string, o: Partial<ReleaseRecord> = {}): ReleaseRecord => ({
    id,
    version: '1',
    sha256: '',
    packageName: '',
    deployedAt: '',
    deployedBy: '',
    result: 'success',
    current: false,
    pinned: false,
    present: true,
    interrupted: false,
    reason: null,
    lastLiveSeq: 1,
    ...o,
  });
  it('keeps the newest N plus current, last good and pinned', () => {
    const ids = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6'];
    const releases = [
      rec('r1', { pinned: true }),
      rec('r2', { current: true }),
      rec('r3'),
      rec('r4', { result: 'failed' }),
      rec('r5'),
      rec('r6'),
    ];
    expect(planRetention(releases, ids, 2, 'r3')).toEqual(['r4']);
    expect(planRetention(releases, ids, 10, 'r3')).toEqual([]);
  });
  it('never deletes a directory the journal does not know', () => {
    expect(planRetention([], ['x1', 'x2'], 1, null)).toEqual([]);
  });
});

describe('ids, durations, plan', () => {
  it('release ids sort by time and name the digest', () => {
    const id = makeReleaseId(new Date('2026-11-24T20:15:00.123Z'), 'abcdef0123456789'.repeat(4));
    expect(id).toBe('20261124T201500Z-abcdef012345');
    expect(isReleaseId(id)).toBe(true);
    expect(isReleaseId('../x')).toBe(false);
  });
  it('parses durations', () => {
    expect([
      parseDuration('10m'),
      parseDuration('30s'),
      parseDuration('1h'),
      parseDuration('250ms'),
      parseDuration('1500'),
    ]).toEqual([600_000, 30_000, 3_600_000, 250, 1500]);
    expect(() => parseDuration('soon')).toThrow('invalid duration "soon"');
  });
  it('plans exactly the configured steps, with reasons for the skipped ones', () => {
    const target = targetSchema.parse({
      type: 'local',
      path: '/srv/app',
      restart: 'systemctl restart app',
      health: { url: 'http://127.0.0.1:8080/health' },
      backupDatabase: true,
    });
    const plan = planDeploy({
      root: '/srv/app',
      releaseId: 'R',
      packageName: 'p.tar.gz',
      previous: 'P',
      target,
      databaseUrl: 'postgres://u:pw@db/app',
      hasDatabasePackage: true,
      watchMs: 600_000,
      force: false,
    });
    expect(plan.steps.map((s) => (s.skip ? `${s.step}: skip (${s.skip})` : `${s.step}: ${s.action}`))).toEqual([
      'verify: verify the archive digest and every SHA256SUMS line of p.tar.gz',
      'extract: extract into releases/.staging-R, verify again, link 0 shared path(s), rename to releases/R',
      'compat: check version-compatibility.json against P and the database',
      'precheck: probe http://127.0.0.1:8080/health (live system must be healthy)',
      'backup: pg_dump postgres://u:***@db/app into .slipway/backups/',
      'migrate: apply database/package.sql to postgres://u:***@db/app',
      'switch: point current at releases/R (was P)',
      'restart: run the restart command (timeout 60000 ms)',
      'health: wait until http://127.0.0.1:8080/health is HEALTHY (timeout 30000 ms)',
      'smoke: run tests/smoke/*.mjs|*.sh from the package, if any',
      'health: watch the release for 600 s',
      'retention: keep the newest 5 releases (never current, the last good or a pinned one)',
    ]);
  });
});

describe('release ids in deploy order', () => {
  it('steps past the newest existing release when deploys come within a second', async () => {
    const { nextReleaseId } = await import('../../src/deploy/deploy.js');
    const at = new Date('2026-11-24T20:15:00.500Z');
    const d = 'f'.repeat(64);
    expect(nextReleaseId(at, d, [])).toBe('20261124T201500Z-ffffffffffff');
    expect(nextReleaseId(at, d, ['20261124T201500Z-000000000000'])).toBe('20261124T201501Z-ffffffffffff');
    expect(nextReleaseId(at, d, ['20261124T201500Z-000000000000', '20261124T201501Z-111111111111'])).toBe(
      '20261124T201502Z-ffffffffffff',
    );
    expect(nextReleaseId(at, d, ['20261124T201459Z-000000000000'])).toBe('20261124T201500Z-ffffffffffff');
  });
});
