import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { appendFile, mkdir, readFile, readlink, writeFile, symlink } from 'node:fs/promises';
import path from 'node:path';
import { acquireLock, readLock } from '../../src/deploy/lock.js';
import { isPidAlive } from '../../src/pid-alive.js';
import { appendJournal, readJournal } from '../../src/deploy/journal.js';
import { layoutOf } from '../../src/deploy/layout.js';
import { readCurrent, switchCurrent } from '../../src/deploy/switch.js';
import { deriveReleases, pickRollbackTarget } from '../../src/deploy/release-store.js';
import { recoverInterruptedRuns } from '../../src/deploy/recover.js';
import { targetSchema } from '../../src/config/sections/deploy.js';
import { loadContracts } from '../../src/deploy/contracts.js';
import { LocalTarget } from '../../src/deploy/local-target.js';
import { SlipwayError } from '../../src/errors.js';
import type { JournalEntry } from '../../src/deploy/types.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const CONTRACTS = await loadContracts();
const dirs: string[] = [];
const tmp = async () => {
  const d = await makeTree({});
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});
/** A pid that certainly belonged to a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('lock', () => {
  it('is exclusive, records host/pid/start, and is released', async () => {
    const lockPath = path.join(await tmp(), '.slipway/lock');
    const a = await acquireLock({ lockPath, run: 'r1', command: 'deploy a' });
    expect(await readLock(lockPath)).toMatchObject({
      host: hostname(),
      pid: process.pid,
      run: 'r1',
      command: 'deploy a',
    });
    const err = await acquireLock({ lockPath, run: 'r2', command: 'deploy b' }).catch(
      (e: unknown) => e as SlipwayError,
    );
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).code).toBe('E_LOCKED');
    expect((err as SlipwayError).message).toMatch(
      new RegExp(`^target is locked by pid ${process.pid} on ${hostname()} \\(deploy a, since `),
    );
    expect((err as SlipwayError).hint).toMatch(/--wait/);
    await a.release();
    expect(await readLock(lockPath)).toBeNull();
  });

  it('recovers a lock whose process is gone, and says whose it was', async () => {
    const lockPath = path.join(await tmp(), 'lock');
    const pid = deadPid();
    expect(isPidAlive(pid)).toBe(false);
    await writeFile(
      lockPath,
      JSON.stringify({ host: hostname(), pid, startedAt: '2026-01-01T00:00:00Z', run: 'old', command: 'deploy x' }),
    );
    const l = await acquireLock({ lockPath, run: 'new', command: 'deploy y' });
    expect(l.recovered).toMatchObject({ pid, run: 'old' });
    expect((await readLock(lockPath))?.run).toBe('new');
    await l.release();
  });

  it('never guesses about a lock from another host', async () => {
    const lockPath = path.join(await tmp(), 'lock');
    await writeFile(
      lockPath,
      JSON.stringify({ host: 'other-host', pid: deadPid(), startedAt: 'x', run: 'old', command: 'deploy' }),
    );
    await expect(acquireLock({ lockPath, run: 'n', command: 'c' })).rejects.toMatchObject({ code: 'E_LOCKED' });
  });

  it('--wait queues until the holder releases (poll with backoff), and gives up after waitMs', async () => {
    const lockPath = path.join(await tmp(), 'lock');
    const a = await acquireLock({ lockPath, run: 'a', command: 'a' });
    let waited = 0;
    // The holder lets go once b has polled twice and found the lock held: b queued, then took it.
    const onWait = () => {
      if (++waited === 2) void a.release();
    };
    const got = await acquireLock({ lockPath, run: 'b', command: 'b', wait: true, waitMs: 60_000, onWait });
    expect(got.owner.run).toBe('b');
    expect(waited).toBeGreaterThanOrEqual(2);
    await expect(acquireLock({ lockPath, run: 'c', command: 'c', wait: true, waitMs: 200 })).rejects.toThrow(
      /^gave up waiting: target is locked by pid/,
    );
    await got.release();
  });
});

describe('journal', () => {
  it('appends one JSON object per line and survives a torn last line', async () => {
    const j = path.join(await tmp(), '.slipway/journal.jsonl');
    await appendJournal(j, { run: 'r', kind: 'deploy', step: 'run', status: 'begin' });
    await appendFile(j, '{"run":"r","kind":"deploy","st'); // a crash mid-write
    await appendJournal(j, { run: 'r', kind: 'deploy', step: 'run', status: 'ok' });
    const text = await readFile(j, 'utf8');
    expect(text.split('\n').length).toBe(4);
    const { entries, torn } = await readJournal(j);
    expect(entries.map((e) => e.status)).toEqual(['begin', 'ok']);
    expect(torn).toBe(1);
  });
});

describe('switch', () => {
  it('replaces current atomically with a relative link and leaves no temp link', async () => {
    const root = await tmp();
    const layout = layoutOf(root);
    await mkdir(path.join(root, 'releases/A'), { recursive: true });
    await mkdir(path.join(root, 'releases/B'), { recursive: true });
    expect(await readCurrent(layout)).toBeNull();
    await switchCurrent(layout, 'A');
    const r = await switchCurrent(layout, 'B');
    expect(await readlink(path.join(root, 'current'))).toBe('releases/B');
    expect(Number.isFinite(r.ms) && r.ms >= 0).toBe(true); // measured (bench/ times switches)
    expect(await readCurrent(layout)).toBe('B');
  });
});

describe('releases derived from the journal', () => {
  const e = (
    run: string,
    kind: JournalEntry['kind'],
    step: JournalEntry['step'],
    status: JournalEntry['status'],
    release: string,
    data: Record<string, unknown> = {},
  ): JournalEntry => ({ at: `2026-11-24T20:00:0${run.length}Z`, run, kind, step, status, release, data });
  const journal: JournalEntry[] = [
    e('d1', 'deploy', 'run', 'begin', 'A', { version: '1.0.0', actor: 'me@h' }),
    e('d1', 'deploy', 'run', 'ok', 'A'),
    e('d2', 'deploy', 'run', 'begin', 'B'),
    e('d2', 'deploy', 'switch', 'ok', 'B'),
    e('d2', 'deploy', 'run', 'failed', 'B', { wentLive: true }),
    e('d3', 'deploy', 'run', 'begin', 'C'),
    e('d3', 'deploy', 'run', 'ok', 'C'),
    e('d4', 'deploy', 'run', 'begin', 'D'),
  ];
  it('gives every release its result; an unfinished run of a dead process is interrupted', () => {
    const r = deriveReleases(journal, 'C', new Set(['A', 'B', 'C', 'D']));
    expect(r.map((x) => [x.id, x.result, x.current, x.interrupted])).toEqual([
      ['D', 'failed', false, true],
      ['C', 'success', true, false],
      ['B', 'failed', false, false],
      ['A', 'success', false, false],
    ]);
    expect(r.find((x) => x.id === 'B')!.reason).toBe('failed (was live, rolled back automatically)');
    expect(deriveReleases(journal, 'C', new Set(), 'd4')[0]!.result).toBe('in-progress');
  });
  it('rollback goes to the last release that went live successfully, never a failed one', () => {
    expect(pickRollbackTarget(deriveReleases(journal, 'C', new Set(['A', 'B', 'C'])), 'C')?.id).toBe('A');
    // after rolling back C→A, C is rolled-back: the next rollback does not bounce back to it
    const after = [
      ...journal,
      e('r1', 'rollback', 'run', 'begin', 'A', { from: 'C' }),
      e('r1', 'rollback', 'run', 'ok', 'A', { from: 'C' }),
    ];
    const rel = deriveReleases(after, 'A', new Set(['A', 'B', 'C']));
    expect(rel.find((x) => x.id === 'C')!.result).toBe('rolled-back');
    expect(pickRollbackTarget(rel, 'A')).toBeNull();
    // a release that is gone from disk is never picked
    expect(pickRollbackTarget(deriveReleases(journal, 'C', new Set(['C'])), 'C')).toBeNull();
  });
});

describe('recovery of an interrupted deploy', () => {
  it('closes the run as interrupted, removes staging leftovers, and restores current when it crashed after the switch', async () => {
    const root = await tmp();
    const target = new LocalTarget(root);
    await target.prepare();
    for (const d of [
      'releases/20261124T200000Z-aaaaaaaaaaaa',
      'releases/20261124T200100Z-bbbbbbbbbbbb',
      'releases/.staging-x',
    ])
      await mkdir(path.join(root, d), { recursive: true });
    await symlink('releases/20261124T200100Z-bbbbbbbbbbbb', path.join(root, 'current'));
    await writeFile(path.join(root, '.current.tmp-1234'), '');
    const J = target.layout.journal;
    await appendJournal(J, {
      run: 'd9',
      kind: 'deploy',
      step: 'run',
      status: 'begin',
      release: '20261124T200100Z-bbbbbbbbbbbb',
      data: { previous: '20261124T200000Z-aaaaaaaaaaaa' },
    });
    await appendJournal(J, {
      run: 'd9',
      kind: 'deploy',
      step: 'switch',
      status: 'ok',
      release: '20261124T200100Z-bbbbbbbbbbbb',
    });
    await appendJournal(J, {
      run: 'd9',
      kind: 'deploy',
      step: 'restart',
      status: 'begin',
      release: '20261124T200100Z-bbbbbbbbbbbb',
    });
    const recover = (byRun: string) =>
      recoverInterruptedRuns({
        target,
        t: targetSchema.parse({ type: 'local', path: root }),
        contracts: CONTRACTS,
        byRun,
        databaseUrl: null,
        targetArg: '--target prod',
      });
    const r = await recover('next');
    expect(r.restored).toBe('20261124T200000Z-aaaaaaaaaaaa');
    expect(r.complete).toBe(true);
    expect(r.messages).toEqual([
      'removed leftovers of an interrupted run: releases/.staging-x, .current.tmp-1234',
      'deploy run d9 (release 20261124T200100Z-bbbbbbbbbbbb) was interrupted at restart (begin); current is 20261124T200000Z-aaaaaaaaaaaa again',
    ]);
    expect(await target.readCurrent()).toBe('20261124T200000Z-aaaaaaaaaaaa');
    const last = (await readJournal(J)).entries.pop()!;
    expect(last).toMatchObject({
      run: 'd9',
      step: 'run',
      status: 'failed',
      message: 'interrupted at restart (begin)',
      data: { interrupted: true, recoveredBy: 'next', wentLive: true },
    });
    expect((await recover('again')).messages).toEqual([]);
  });
});

describe('rollback target choice verifies on disk', () => {
  it('skips a candidate that no longer verifies and takes the next; --to a damaged one is refused', async () => {
    const { chooseVerifiedTarget } = await import('../../src/deploy/rollback.js');
    const e = (
      run: string,
      step: JournalEntry['step'],
      status: JournalEntry['status'],
      release: string,
    ): JournalEntry => ({ at: '2026-11-24T20:00:00Z', run, kind: 'deploy', step, status, release });
    const journal = ['A', 'B', 'C'].flatMap((id) => [e(id, 'run', 'begin', id), e(id, 'run', 'ok', id)]);
    const releases = deriveReleases(journal, 'C', new Set(['A', 'B', 'C']));
    const verify = async (id: string) =>
      id === 'B' ? { ok: false, problems: [{ message: 'SHA256SUMS missing' }] } : { ok: true, problems: [] };
    const skipped: string[] = [];
    const r = await chooseVerifiedTarget(releases, 'C', undefined, verify, (id, why) => skipped.push(`${id}: ${why}`));
    expect(r.id).toBe('A');
    expect(skipped).toEqual(['B: SHA256SUMS missing']);
  });

  it('removing a release renames it away first, so no half-deleted directory keeps a release id', async () => {
    const root = await tmp();
    const target = new LocalTarget(root);
    await target.prepare();
    const id = '20261124T200000Z-aaaaaaaaaaaa';
    await mkdir(path.join(root, 'releases', id, 'a/b'), { recursive: true });
    await target.removeRelease(id);
    expect(await target.listReleaseDirs()).toEqual([]);
    await mkdir(path.join(root, 'releases', `.trash-${id}`, 'x'), { recursive: true }); // as a crash mid-delete leaves it
    expect(await target.cleanLeftovers()).toEqual([`releases/.trash-${id}`]);
  });
});
