/**
 * One host of an ssh target as a `Target` (src/deploy/target.ts), so the per-host steps of a fleet rollout — the
 * restart, the health gate and the undo path (settle.ts) — are the local deploy's own functions. Every operation is
 * a fixed POSIX-sh script with its inputs as positional parameters (quote.ts); the host needs sh, GNU coreutils
 * (sha256sum, mv -T, realpath, sync FILE), tar and find — no Node.
 */
import { hostname } from 'node:os';
import path from 'node:path';
import { maskSecretsDeep, SlipwayError } from '../errors.js';
import { hashFile } from '../fileset/hash.js';
import { formatJournalLine, parseJournal, type JournalRead, type RunJournal } from '../deploy/journal.js';
import { isReleaseId, layoutOf, type TargetLayout } from '../deploy/layout.js';
import { isStale, type AcquireLockOptions, type LockHandle, type LockOwner } from '../deploy/lock.js';
import type { RunCommandResult } from '../deploy/run-command.js';
import type { ExecOptions, InstallOptions, Target } from '../deploy/target.js';
import type { JournalEntry } from '../deploy/types.js';
import type { TreeVerification } from '../deploy/verify-tree.js';
import { SCRIPTS } from './remote-scripts.js';
import type { SshSession } from './ssh.js';
import { uploadFile } from './upload.js';

const posix = path.posix;

/** What one install did on a host (measured). */
export interface HostInstall {
  files: number;
  uploadedBytes: number;
  /** The archive was already there with the right digest. */
  uploadSkipped: boolean;
  resumedFrom: number;
}

export class SshTarget implements Target {
  readonly kind = 'ssh' as const;
  readonly layout: TargetLayout;
  /** Set by installRelease (for the fleet journal). */
  lastInstall: HostInstall | null = null;

  constructor(
    readonly session: SshSession,
    root: string,
    /** Timeout of short remote operations (ms). */
    private readonly opTimeoutMs: number,
  ) {
    this.layout = layoutOf(root);
  }

  private async sh(name: keyof typeof SCRIPTS, args: string[], what: string, timeoutMs = this.opTimeoutMs) {
    const r = await this.session.script(SCRIPTS[name], args, { timeoutMs });
    return this.session.check(r, what, timeoutMs);
  }

  async prepare(): Promise<void> {
    await this.sh('prepare', [this.layout.root], `prepare ${this.layout.root}`);
  }

  async lock(opts: Omit<AcquireLockOptions, 'lockPath'>): Promise<LockHandle> {
    const owner: LockOwner = {
      host: hostname(),
      pid: process.pid,
      startedAt: new Date().toISOString(),
      run: opts.run,
      command: opts.command,
    };
    const deadline = Date.now() + (opts.waitMs ?? 600_000);
    let recovered: LockOwner | null = null;
    for (;;) {
      const r = await this.sh('lock', [this.layout.root, JSON.stringify(owner)], 'take the lock');
      const lines = r.stdout.toString('utf8').trim().split('\n');
      if (lines[lines.length - 1] === 'acquired') break;
      let holder: LockOwner | null = null;
      try {
        holder = JSON.parse(lines.slice(0, -1).join('\n')) as LockOwner;
      } catch {
        holder = null;
      }
      // Only a lock this controller host took, whose process is gone, is stale; another host's is never guessed at.
      if (isStale(holder) && !recovered) {
        await this.sh('unlock', [this.layout.root, holder!.run], 'remove a stale lock');
        recovered = holder;
        continue;
      }
      if (!opts.wait || Date.now() > deadline)
        throw new SlipwayError(
          'E_LOCKED',
          `${this.session.label}: ${this.layout.root} is locked by ${holder ? `pid ${holder.pid} on ${holder.host} (${holder.command}, since ${holder.startedAt})` : 'an unreadable owner'}`,
          {
            hint:
              holder?.host === hostname()
                ? 'Another deploy from this machine is running; wait for it (--wait).'
                : `The holder runs on another machine; when it is gone, remove ${this.layout.state}/lock.d on the host.`,
          },
        );
      opts.onWait?.(holder);
      await new Promise((res) => setTimeout(res, 500));
    }
    return {
      owner,
      recovered,
      release: async () => {
        await this.sh('unlock', [this.layout.root, owner.run], 'release the lock');
      },
    };
  }

  /** Whether the host's lock is held, and by whom (null: held with an unreadable owner file, or free). */
  async readLock(): Promise<{ held: boolean; owner: LockOwner | null }> {
    const r = await this.sh('lockState', [this.layout.root], 'read the lock');
    const [state, ...rest] = r.stdout.toString('utf8').split('\n');
    if (state !== 'held') return { held: false, owner: null };
    try {
      return { held: true, owner: JSON.parse(rest.join('\n')) as LockOwner };
    } catch {
      return { held: true, owner: null };
    }
  }

  /**
   * Removes the host's lock when it is still the one `holder` describes (its run; or, with `holder` null, a lock
   * without a readable owner): `slipway unlock`. Returns whether it is gone.
   */
  async removeLock(holder: LockOwner | null): Promise<boolean> {
    await this.sh('unlock', [this.layout.root, holder?.run ?? ''], 'remove the lock');
    return !(await this.readLock()).held;
  }

  journal(run: string, kind: JournalEntry['kind'], onEntry?: (e: JournalEntry) => void): RunJournal {
    return {
      run,
      write: async (e) => {
        // As appendJournal does: no secret (a database URL's password) is ever journaled.
        const entry = maskSecretsDeep({ at: new Date().toISOString(), kind, run, ...e } as JournalEntry);
        await this.sh('append', [this.layout.journal, formatJournalLine(entry)], 'append to the journal');
        onEntry?.(entry);
      },
    };
  }

  async inspectJournal(): Promise<JournalRead> {
    const r = await this.sh('read', [this.layout.journal], 'read the journal');
    return parseJournal(r.stdout);
  }

  async readJournal(): Promise<JournalEntry[]> {
    return (await this.inspectJournal()).entries;
  }

  async setAsideJournalTail(tail: NonNullable<JournalRead['tail']>): Promise<string> {
    await this.sh('setAside', [this.layout.journal, String(tail.offset)], 'repair the journal');
    return `${this.layout.journal}.torn-${tail.offset}`;
  }

  async readCurrent(): Promise<string | null> {
    const r = await this.sh('readlink', [this.layout.current], 'read current');
    const link = r.stdout.toString('utf8').trim();
    const id = link.startsWith('releases/') ? link.slice('releases/'.length) : '';
    return isReleaseId(id) ? id : null;
  }

  async listReleaseDirs(): Promise<string[]> {
    const r = await this.sh('list', [this.layout.releases], 'list releases');
    return r.stdout.toString('utf8').split('\n').filter(isReleaseId).sort();
  }

  releaseDir(id: string): string {
    return posix.join(this.layout.releases, id);
  }

  /** Uploads the archive (skipped when the host has it, resumed when a part is there), then installs remotely. */
  async installRelease(packagePath: string, releaseId: string, opts: InstallOptions): Promise<{ files: number }> {
    if (!isReleaseId(releaseId)) throw new SlipwayError('E_INTERNAL', `not a release id: ${releaseId}`);
    const sha256 = await hashFile(packagePath);
    const remote = posix.join(this.layout.state, 'incoming', `${sha256}.tar.gz`);
    const up = await uploadFile(this.session, packagePath, remote, sha256, this.opTimeoutMs * 10);
    const sharedArgs = opts.shared.flatMap((p) => [
      p,
      posix.relative(posix.dirname(posix.join('releases', releaseId, p)), posix.join('shared', p)),
    ]);
    const r = await this.sh(
      'install',
      [this.layout.root, releaseId, sha256, ...sharedArgs],
      `install ${releaseId}`,
      this.opTimeoutMs * 10,
    );
    const files = Number(r.stdout.toString('utf8').trim().split('\n').pop());
    this.lastInstall = { files, uploadedBytes: up.bytes, uploadSkipped: up.skipped, resumedFrom: up.resumedFrom };
    return { files };
  }

  async verifyRelease(id: string, _shared: string[]): Promise<TreeVerification> {
    const r = await this.session.script(SCRIPTS.verify, [this.releaseDir(id)], { timeoutMs: this.opTimeoutMs * 10 });
    if (r.code === 255) this.session.check(r, `verify ${id}`);
    const problems =
      r.code === 0
        ? []
        : r.stderr
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((message) => ({ code: 'REMOTE_VERIFY', message }));
    return { ok: r.code === 0, problems, files: Number(r.stdout.toString('utf8').trim()) || 0 };
  }

  async switchTo(id: string | null): Promise<{ ms: number }> {
    const t0 = performance.now();
    if (id === null) await this.sh('clearCurrent', [this.layout.root], 'remove current');
    else {
      if (!isReleaseId(id)) throw new SlipwayError('E_INTERNAL', `not a release id: ${id}`);
      const tmp = `.current.tmp-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
      await this.sh('switch', [this.layout.root, id, tmp], `switch current to ${id}`);
    }
    return { ms: performance.now() - t0 };
  }

  async removeRelease(id: string): Promise<void> {
    if (!isReleaseId(id)) throw new SlipwayError('E_INTERNAL', `refusing to remove ${id}: not a release id`);
    await this.sh('remove', [this.layout.releases, id], `remove ${id}`);
  }

  /**
   * Runs a package command on the host: `env -i` with exactly `env` (plus the host's own PATH and HOME), stdin
   * from /dev/null, output appended to the host's .slipway/logs/<log> (so a daemon it starts never holds the ssh
   * channel); its last lines come back for messages. The timeout kills the ssh client: the remote command may run
   * on, so restart commands must be idempotent (as for local targets).
   */
  async exec(command: string, opts: ExecOptions): Promise<RunCommandResult> {
    if (opts.user) throw new SlipwayError('E_CONFIG', 'runAs is not supported on ssh targets');
    const hostOwn = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL']);
    const pairs = Object.entries(opts.env)
      .filter(([k]) => !hostOwn.has(k))
      .map(([k, v]) => `${k}=${v}`);
    const log = posix.join(this.layout.state, 'logs', opts.log);
    const r = await this.session.script(
      SCRIPTS.exec,
      [opts.cwd ?? this.layout.root, log, ...pairs, 'sh', '-c', command],
      { timeoutMs: opts.timeoutMs, signal: opts.signal },
    );
    if (r.code === 255 && !r.timedOut) this.session.check(r, 'run a command');
    return {
      code: r.timedOut ? null : r.code,
      signal: r.timedOut ? 'SIGKILL' : null,
      timedOut: r.timedOut,
      ms: r.ms,
      tail: r.stdout.toString('utf8').trimEnd().split('\n').slice(-8),
    };
  }

  async cleanLeftovers(): Promise<string[]> {
    const r = await this.sh('clean', [this.layout.root], 'remove leftovers');
    return r.stdout.toString('utf8').split('\n').filter(Boolean);
  }
}
