import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError } from '../errors.js';
import { extractPackage } from './extract.js';
import { toIoError } from './io-error.js';
import { openRunJournal, readJournal, setAsideTornTail, type JournalRead } from './journal.js';
import { isReleaseId, layoutOf, stagingDir, type TargetLayout } from './layout.js';
import { isPidAlive } from '../pid-alive.js';
import { acquireLock } from './lock.js';
import { runCommand } from './run-command.js';
import { linkSharedPaths } from './shared.js';
import { clearCurrent, currentChanged, readCurrent, switchCurrent, syncDir } from './switch.js';
import type { ExecOptions, InstallOptions, SwitchOptions, Target } from './target.js';
import { verifyTree } from './verify-tree.js';

/** A target directory on this machine. */
export class LocalTarget implements Target {
  readonly kind = 'local' as const;
  readonly layout: TargetLayout;

  constructor(root: string) {
    this.layout = layoutOf(root);
  }

  async prepare(): Promise<void> {
    for (const d of [this.layout.releases, this.layout.shared, this.layout.state]) await mkdir(d, { recursive: true });
  }

  lock(opts: Parameters<Target['lock']>[0]) {
    return acquireLock({ ...opts, lockPath: this.layout.lock });
  }

  journal(run: string, kind: Parameters<Target['journal']>[1], onEntry?: Parameters<Target['journal']>[2]) {
    return openRunJournal(this.layout.journal, run, kind, onEntry);
  }

  async readJournal() {
    return (await readJournal(this.layout.journal)).entries;
  }

  inspectJournal() {
    return readJournal(this.layout.journal);
  }

  setAsideJournalTail(tail: NonNullable<JournalRead['tail']>) {
    return setAsideTornTail(this.layout.journal, tail);
  }

  readCurrent() {
    return readCurrent(this.layout);
  }

  async listReleaseDirs(): Promise<string[]> {
    try {
      return (await readdir(this.layout.releases)).filter(isReleaseId).sort();
    } catch {
      return [];
    }
  }

  releaseDir(id: string): string {
    return path.join(this.layout.releases, id);
  }

  async installRelease(packagePath: string, releaseId: string, opts: InstallOptions): Promise<{ files: number }> {
    const staging = stagingDir(this.layout, releaseId);
    const final = this.releaseDir(releaseId);
    await rm(staging, { recursive: true, force: true });
    const r = await extractPackage({
      file: packagePath,
      dest: staging,
      limits: opts.limits,
      shared: opts.shared,
      ...(opts.delayMs ? { delayMs: opts.delayMs } : {}),
      ...(opts.select ? { select: opts.select } : {}),
    });
    try {
      await linkSharedPaths({ releaseDir: staging, sharedDir: this.layout.shared, paths: opts.shared });
      await syncDir(staging);
      // rename(2) is the commit point: releases/<id> exists only complete and verified.
      await rename(staging, final);
      await syncDir(this.layout.releases);
    } catch (e) {
      await rm(staging, { recursive: true, force: true });
      const io = toIoError(e, final, 'install the release into');
      if (io instanceof SlipwayError) throw io;
      throw new SlipwayError('E_IO', `cannot install release ${releaseId}: ${(e as Error).message}`, { cause: e });
    }
    return r;
  }

  verifyRelease(id: string, shared: string[]) {
    return verifyTree(this.releaseDir(id), { ignore: shared });
  }

  async switchTo(id: string | null, o: SwitchOptions = {}) {
    // Compared right before the rename (one process holds the lock; this catches a manual change in between).
    if (o.expected !== undefined) {
      const now = await readCurrent(this.layout);
      if (now !== o.expected)
        throw currentChanged(this.layout.root, now === null ? null : `releases/${now}`, o.expected, id);
    }
    if (id === null) {
      const t0 = performance.now();
      await clearCurrent(this.layout);
      return { ms: performance.now() - t0 };
    }
    return switchCurrent(this.layout, id);
  }

  async removeRelease(id: string): Promise<void> {
    if (!isReleaseId(id)) throw new SlipwayError('E_INTERNAL', `refusing to remove ${id}: not a release id`);
    // Renamed out of releases/<id> first (atomic), so a crash mid-delete never leaves a half-deleted directory
    // under a release id; cleanLeftovers finishes the delete.
    const trash = path.join(this.layout.releases, `.trash-${id}`);
    await rename(this.releaseDir(id), trash).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'ENOENT') throw e;
    });
    await rm(trash, { recursive: true, force: true });
  }

  exec(command: string, opts: ExecOptions) {
    return runCommand({
      argv: ['sh', '-c', command],
      cwd: opts.cwd ?? this.layout.root,
      // Package code: exactly the environment given (see command-env.ts), never the deployer's.
      env: opts.env,
      inheritEnv: false,
      user: opts.user ?? null,
      timeoutMs: opts.timeoutMs,
      logFile: path.join(this.layout.state, 'logs', opts.log),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
  }

  async cleanLeftovers(): Promise<string[]> {
    const removed: string[] = [];
    for (const name of await readdir(this.layout.releases).catch(() => [] as string[])) {
      if (name.startsWith('.staging-') || name.startsWith('.trash-')) {
        await rm(path.join(this.layout.releases, name), { recursive: true, force: true });
        removed.push(`releases/${name}`);
      }
    }
    // Owner-record temp files of lock attempts whose process died before cleaning up (lock.<pid>-<rand>).
    for (const name of await readdir(this.layout.state).catch(() => [] as string[])) {
      const m = /^lock\.(?:stale-)?(\d+)-[0-9a-f]+$/.exec(name);
      if (m && !isPidAlive(Number(m[1]))) {
        await rm(path.join(this.layout.state, name), { force: true });
        removed.push(`.slipway/${name}`);
      }
    }
    for (const name of await readdir(this.layout.root).catch(() => [] as string[])) {
      if (name.startsWith('.current.tmp-')) {
        await rm(path.join(this.layout.root, name), { force: true });
        removed.push(name);
      }
    }
    return removed;
  }
}
