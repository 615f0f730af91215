/**
 * Syscall faults injected with strace into the built CLI's deploy of 2.0.0 (2 new changesets) over 1.0.0 on a real
 * PostgreSQL database and a real app: a sample of the points where a disk or a filesystem refuses (found by
 * injecting EIO/ENOSPC/EACCES/EPERM/EXDEV/EMFILE into write, fsync, rename, symlink, unlink, link, mkdir and openat
 * at varying counts; the cases here are the ones that were wrong). After each: the message is E_IO naming the path
 * that was refused (never "internal error", never "package damaged"), 1.0.0 is live and answering, its changesets
 * only, the lock free, `current` a complete verified release, and the next deploy completes with no manual step.
 *
 * strace counts each syscall per thread (`when=N`); UV_THREADPOOL_SIZE=1 puts every asynchronous filesystem call of
 * the CLI on one thread, so the count names the same call on every run. `-b execve` lets go of the commands the
 * deploy starts (restart script, app), so only slipway's own calls fail. Each case checks that the fault hit the
 * call it is about (the message names its path), so a shifted count fails the test rather than passing it.
 */
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { hostname } from 'node:os';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { appPackage, setupAppTarget, type AppTarget, type CliOutcome } from '../helpers/deploy-target.js';
import { BIN, ensureDist } from '../helpers/cli-bin.js';
import { waitFor } from '../helpers/wait.js';
import { verifyTree } from '../../src/deploy/verify-tree.js';
import type { FixturePackage } from '../fixtures/deploy/make-package.js';

const CS = [
  { id: '1', sql: 'CREATE TABLE f1 (id int);', rollback: 'DROP TABLE f1;' },
  { id: '2', sql: 'CREATE TABLE f2 (id int);', rollback: 'DROP TABLE f2;' },
  { id: '3', sql: 'CREATE TABLE f3 (id int);', rollback: 'DROP TABLE f3;' },
];

/** The built CLI under strace with `inject`; killed (and reported as such) if it has not exited by the deadline. */
async function straced(s: AppTarget, inject: string[], args: string[]): Promise<CliOutcome> {
  const c = spawn(
    'strace',
    ['-f', '-b', 'execve', '-qq', '-o', '/dev/null', ...inject, process.execPath, BIN, ...args],
    { cwd: s.dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, UV_THREADPOOL_SIZE: '1' } },
  );
  let out = '';
  let err = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr.on('data', (d: Buffer) => (err += d.toString()));
  let outcome: CliOutcome | null = null;
  c.on('exit', (code, signal) => (outcome = { code, signal, out, err }));
  try {
    return await waitFor('the straced CLI to exit', () => outcome ?? false, { timeoutMs: 150_000 });
  } catch (e) {
    c.kill('SIGKILL');
    throw new Error(`${(e as Error).message}\nCLI stderr so far:\n${err}`, { cause: e });
  }
}

describe('deploy under injected syscall faults (strace, built CLI, real PostgreSQL)', { timeout: 400_000 }, () => {
  let s: AppTarget | null = null;
  beforeAll(ensureDist, 300_000);
  afterEach(async () => {
    await s?.cleanup();
    s = null;
  });

  /** A target with 1.0.0 (changeset 1) live, and the 2.0.0 package (changesets 1–3) to deploy over it. */
  async function onOneZero(): Promise<{ t: AppTarget; p1: FixturePackage; p2: FixturePackage }> {
    const t = (s = await setupAppTarget('s14sys'));
    await t.config();
    const p1 = await appPackage('1.0.0', CS.slice(0, 1));
    const p2 = await appPackage('2.0.0', CS);
    const first = await t.cli(['deploy', p1.path, '--target', 'prod']);
    expect(first.code, first.err).toBe(0);
    return { t, p1, p2 };
  }

  /** 1.0.0 live and verified, its changeset only, the lock free; then the next deploy completes. */
  async function backOnOneZeroThenNextDeploy(t: AppTarget, p2: FixturePackage, staleLockLeft = false) {
    const cur = await t.current();
    expect(cur).not.toBeNull();
    expect(await verifyTree(path.join(t.root, 'releases', cur!))).toMatchObject({ ok: true });
    expect(await t.answer()).toBe('version 1.0.0\n');
    expect(await t.changelog()).toEqual(['1']);
    expect(await t.lockFree()).toBe(!staleLockLeft);
    const next = await t.cli(['deploy', p2.path, '--target', 'prod']);
    expect(next.code, next.err).toBe(0);
    expect(await t.answer()).toBe('version 2.0.0\n');
    expect(await t.changelog()).toEqual(['1', '2', '3']);
    expect(await t.lockFree()).toBe(true);
  }

  const deployArgs = (p: FixturePackage) => ['deploy', p.path, '--target', 'prod', '--config', 'slipway.config.yaml'];

  it('fsync EIO while the extracted tree is verified: E_IO naming the staging directory, not "package damaged"', async () => {
    const { t, p2 } = await onOneZero();
    // fsyncs 1–4 are the journal's first lines; 5–14 the staged files'. Was: E_UNSAFE_ARCHIVE "extracted tree does
    // not match SHA256SUMS … [UNREADABLE] … EIO" with the hint to rebuild the package.
    const r = await straced(t, ['-e', 'trace=fsync', '-e', 'inject=fsync:error=EIO:when=5..14'], deployArgs(p2));
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/^error E_IO: \S+\/releases\/\.staging-[^:]+: cannot extract into .*\(EIO\)$/m);
    expect(r.err).not.toMatch(/E_UNSAFE_ARCHIVE|damaged|internal error/);
    expect(r.err).toMatch(/is still live \(current unchanged, app not restarted, database not migrated\)/);
    await backOnOneZeroThenNextDeploy(t, p2);
  });

  it('rename of the new `current` link refused (EXDEV): E_IO, not "internal error"; the target is put back', async () => {
    const { t, p2 } = await onOneZero();
    // rename 1 is the staging directory's, 2 the link's over `current` (after the migration ran). Was: "internal
    // error: Error: EXDEV … This is a bug in slipway" after the undo.
    const r = await straced(t, ['-e', 'trace=rename', '-e', 'inject=rename:error=EXDEV:when=2'], deployArgs(p2));
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(/^error E_IO: \S+\/\.current\.tmp-\w+: .*crosses filesystems.*\(EXDEV\)$/m);
    expect(r.err).not.toMatch(/internal error|bug in slipway/);
    await backOnOneZeroThenNextDeploy(t, p2);
  });

  it('symlink of the new `current` link refused (EACCES): the message names the link, not the release it points at', async () => {
    const { t, p2 } = await onOneZero();
    // Was: "cannot write under releases/<id>" (symlink(2)'s target text, relative, not the path written).
    const r = await straced(t, ['-e', 'trace=symlink', '-e', 'inject=symlink:error=EACCES:when=1'], deployArgs(p2));
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(
      /^error E_IO: \S+\/target\/\.current\.tmp-\w+: cannot write under \S+\/\.current\.tmp-\w+: permission denied \(EACCES\)$/m,
    );
    await backOnOneZeroThenNextDeploy(t, p2);
  });

  it('a stale lock that cannot be moved aside (EPERM): E_IO naming it at once, where the deploy spun forever', async () => {
    const { t, p2 } = await onOneZero();
    const lock = path.join(t.root, '.slipway/lock');
    // A lock left by a run of this host whose process is gone (a pid that cannot be running: above pid_max).
    const pidMax = Number(execFileSync('cat', ['/proc/sys/kernel/pid_max'], { encoding: 'utf8' }).trim());
    await mkdir(path.dirname(lock), { recursive: true });
    const stale = {
      host: hostname(),
      pid: pidMax + 1,
      startedAt: new Date().toISOString(),
      run: 'r-gone',
      command: 'deploy',
    };
    await writeFile(lock, JSON.stringify(stale) + '\n');
    // Only renames of the lock file fail (-P): as on a sticky .slipway/ where another user's stale lock cannot be moved.
    const r = await straced(t, ['-P', lock, '-e', 'trace=rename', '-e', 'inject=rename:error=EPERM'], deployArgs(p2));
    expect(r.code, r.err).toBe(1);
    expect(r.err).toMatch(
      new RegExp(
        `^error E_IO: \\S+/\\.slipway/lock: cannot move aside the stale lock of pid ${stale.pid} on \\S+ \\(no longer running\\) \\S+/\\.slipway/lock: operation not permitted \\(EPERM\\)$`,
        'm',
      ),
    );
    expect(JSON.parse(await readFile(lock, 'utf8'))).toEqual(stale); // untouched
    // Once the lock can be moved, the next deploy recovers it by itself.
    await backOnOneZeroThenNextDeploy(t, p2, true);
  });
});
