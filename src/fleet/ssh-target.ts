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
import { currentChanged } from '../deploy/switch.js';
import type { ExecOptions, InstallOptions, SwitchOptions, Target } from '../deploy/target.js';
import type { JournalEntry } from '../deploy/types.js';
import type { TreeVerification } from '../deploy/verify-tree.js';
import { CURRENT_CHANGED, JOURNAL_FAILED, SCRIPTS, withJournalPrelude } from './remote-scripts.js';
import { transportFailure, type RemoteResult, type RunOptions, type SshSession } from './ssh.js';
import { parseUploadState, uploadFile, type RemoteRunner, type UploadState } from './upload.js';

const posix = path.posix;
/** The name of an archive a deploy uploaded (.slipway/incoming/<sha256>.tar.gz); nothing else there is pruned. */
const UPLOADED_ARCHIVE = /^[0-9a-f]{64}\.tar\.gz$/;

/** What one install did on a host (measured). */
export interface HostInstall {
  files: number;
  uploadedBytes: number;
  /** The archive was already there with the right digest. */
  uploadSkipped: boolean;
  resumedFrom: number;
}

/**
 * Runs of this process that have ended (`markRunEnded`): a host lock one of them could not give back (its host could
 * not be reached then) is stale — its pid is alive, but no code of it holds the lock any more. The server runs fleet
 * deploys in its own process, and so do the tests.
 */
const endedRuns = new Set<string>();

/** Records that run `run` of this process has ended (controller-run.ts, after it released what it could). */
export function markRunEnded(run: string): void {
  endedRuns.add(run);
}

/** A host lock nothing holds any more: its process is gone, or it is this process's and its run has ended. */
function lockIsStale(holder: LockOwner | null): boolean {
  return (
    isStale(holder) ||
    (holder !== null && holder.host === hostname() && holder.pid === process.pid && endedRuns.has(holder.run))
  );
}

/** What a host holds, read in one round trip (under the run's lock when `open` read it). */
export interface HostState {
  current: string | null;
  releases: string[];
  journal: JournalRead;
  /** With a deploy's `open`: the uploaded archive's state there (as the `uploadState` script prints it). */
  upload?: UploadState;
  /** With a deploy's `open`: current's version-compatibility.json (null: current has none). */
  currentCompat?: Buffer | null;
  /** Uploaded archives in .slipway/incoming (`<sha256>.tar.gz`). */
  archives: string[];
  /** The journal's size in bytes and whether it ends with a newline (a torn last line does not). */
  journalBytes: number;
  journalEndsLine: boolean;
}

/**
 * What a target knows its host holds without asking again: the state last read there, plus what this target did
 * since (journal lines appended, releases installed or removed, archives uploaded). Forgotten (null) after any
 * command whose effect is not known (a timeout, a cut connection, a failure part-way).
 */
interface KnownState {
  entries: JournalEntry[];
  journalBytes: number;
  journalEndsLine: boolean;
  releases: Set<string>;
  archives: Set<string>;
}

/** A journal line as sent to the host, and the entry it encodes. */
interface PendingLine {
  line: string;
  entry: JournalEntry;
}

/** What `open` found: the lock taken (and the state under it), or the holder's owner record. */
export type OpenResult =
  { acquired: true; lock: LockHandle; state: HostState } | { acquired: false; holder: LockOwner | null };

export class SshTarget implements Target {
  readonly kind = 'ssh' as const;
  readonly layout: TargetLayout;
  /** Set by installRelease (for the fleet journal). */
  lastInstall: HostInstall | null = null;
  /**
   * Journal lines of deferred journals (`journal(…, { defer: true })`) not yet on the host: they are appended and
   * fsync'd by the next remote command, before it does anything else (JOURNAL_PRELUDE), or by `flushJournal`.
   */
  private pending: PendingLine[] = [];
  /** See KnownState. */
  private known: KnownState | null = null;
  /** The release list `inspectJournal` read with the journal, for the `listReleaseDirs` right after it. */
  private prefetched: string[] | null = null;
  /** What `open` read under the lock, until the next remote command (which may change it). */
  private opened: HostState | null = null;
  /** The archive whose upload state `opened` holds (a deploy's `open`). */
  private openedArchive: string | null = null;
  /** The run whose lock this target took last: an install publishes only while the host's lock names it. */
  private lockRun: string | null = null;
  /** The run whose lock `finish` gave back on the host (its handle's release then has nothing to do). */
  private unlockedRun: string | null = null;

  constructor(
    readonly session: SshSession,
    root: string,
    /** Timeout of short remote operations (ms). */
    private readonly opTimeoutMs: number,
    /** The target's `runAs`: package commands run as this user on the host (sudo -n -u). */
    readonly runAs?: string | undefined,
  ) {
    this.layout = layoutOf(root);
  }

  /**
   * Every remote command of this target goes through here: deferred journal lines go first, in the same `sh`
   * (one round trip). A journal that cannot be written stops the command before it starts: E_DEPLOY, and the
   * lines are dropped (the next command does not retry them).
   */
  private async remote(script: string, args: readonly string[], opts: RunOptions): Promise<RemoteResult> {
    this.prefetched = null;
    this.opened = null;
    const at = this.journalAt([]); // the prelude's: before its lines
    const sent = this.pending.splice(0);
    const lines = sent.map((p) => p.line);
    const r = sent.length
      ? await this.session.script(
          withJournalPrelude(script),
          [this.layout.journal, String(lines.length), at, ...lines, ...args],
          opts,
        )
      : await this.session.script(script, args, opts);
    // Refused before it started: nothing of it ran, the lines included; they go again with the next command.
    if (r.notStarted && !r.timedOut) {
      this.pending.unshift(...sent);
      return r;
    }
    // Whether the lines (and the command's own effects) are on the host is unknown after a timeout or a cut.
    if (r.timedOut || transportFailure(r) || (sent.length && r.code === JOURNAL_FAILED.code)) this.known = null;
    else this.appendKnown(sent);
    if (sent.length && r.code === JOURNAL_FAILED.code && r.stderr.includes(JOURNAL_FAILED.marker))
      throw new SlipwayError(
        'E_DEPLOY',
        `${this.session.label}: cannot append ${lines.length} line(s) to the journal ${this.layout.journal}; nothing more was done`,
        { details: r.stderr.trim().split('\n').slice(-3), hint: `See ${this.session.logFile}.` },
      );
    return r;
  }

  private async sh(name: keyof typeof SCRIPTS, args: string[], what: string, timeoutMs = this.opTimeoutMs) {
    const r = await this.remote(SCRIPTS[name], args, { timeoutMs });
    return this.session.check(r, what, timeoutMs);
  }

  /** The journal's size, and whether a line ends there, once `lines` are appended (as appendKnown counts them). */
  private journalAfter(lines: readonly PendingLine[]): { bytes: number; endsLine: boolean } | null {
    const k = this.known;
    if (!k) return null;
    let bytes = k.journalBytes;
    if (lines.length && bytes > 0 && !k.journalEndsLine) bytes++; // a torn last line is ended first
    for (const l of lines) bytes += Buffer.byteLength(l.line) + 1;
    return { bytes, endsLine: lines.length > 0 || k.journalEndsLine };
  }

  /**
   * `journal_append`'s AT (remote-scripts.ts) once `lines` are on the host: the journal's size when this target
   * knows a line ends there, else empty (the host then reads the journal's last byte).
   */
  private journalAt(lines: readonly PendingLine[]): string {
    const j = this.journalAfter(lines);
    return j?.endsLine ? String(j.bytes) : '';
  }

  /** Records lines appended to the host's journal (as JOURNAL_PRELUDE and `append` write them) in `known`. */
  private appendKnown(lines: PendingLine[]): void {
    const k = this.known;
    if (!k || !lines.length) return;
    if (k.journalBytes > 0 && !k.journalEndsLine) k.journalBytes++; // a torn last line is ended first
    for (const l of lines) {
      k.journalBytes += Buffer.byteLength(l.line) + 1;
      k.entries.push(l.entry);
    }
    k.journalEndsLine = true;
  }

  /** Takes a state read on the host (under this run's lock) as what the host holds now. */
  private learn(s: HostState): HostState {
    this.known = {
      entries: [...s.journal.entries],
      journalBytes: s.journalBytes,
      journalEndsLine: s.journalEndsLine,
      releases: new Set(s.releases),
      archives: new Set(s.archives),
    };
    return s;
  }

  /**
   * The host's journal entries, release ids and uploaded archives as this target knows them without a round trip
   * (see KnownState; the journal lines still deferred count as written); null when not known (read the state).
   */
  knownState(): { entries: JournalEntry[]; releases: string[]; archives: string[] } | null {
    const k = this.known;
    if (!k) return null;
    return {
      entries: [...k.entries, ...this.pending.map((p) => p.entry)],
      releases: [...k.releases].sort(),
      archives: [...k.archives].sort(),
    };
  }

  /**
   * The end of a host's deploy in one round trip (SCRIPTS.finish): the deferred journal lines, then the releases
   * `remove` and uploaded archives `archives` removed and the `after` entries journaled (fsync'd) — only when the
   * host's journal is exactly as this target knows it, so a line another process wrote since it was read (a
   * `releases pin` from another shell) is never planned around. Returns false, with nothing removed or journaled
   * but the deferred lines, when it was not (or is not known): read the state again and plan again. With `unlock`,
   * the same command then gives the host's lock back (this target's run's, taken by `open` or `lock`): the handle's
   * release has nothing left to do. A lock that could not be removed stays, for that release to try again.
   */
  async finish(
    remove: string[],
    archives: string[],
    run: string,
    kind: JournalEntry['kind'],
    after: Omit<JournalEntry, 'at' | 'run' | 'kind'>[],
    o: { unlock?: boolean } = {},
  ): Promise<boolean> {
    for (const id of remove) if (!isReleaseId(id)) throw new SlipwayError('E_INTERNAL', `not a release id: ${id}`);
    for (const a of archives)
      if (!UPLOADED_ARCHIVE.test(a)) throw new SlipwayError('E_INTERNAL', `not an uploaded archive: ${a}`);
    // The size the journal has once the deferred lines are on it (the prelude runs first in the same script).
    const expected = this.journalAfter(this.pending);
    if (!expected) return false;
    const lines = after.map((e) => this.entryLine(run, kind, e));
    const r = await this.remote(
      SCRIPTS.finish,
      [
        this.layout.root,
        this.layout.journal,
        String(expected.bytes),
        this.journalAt(this.pending),
        (o.unlock && this.lockRun) || '',
        String(remove.length),
        ...remove,
        String(archives.length),
        ...archives,
        ...lines.map((l) => l.line),
      ],
      { timeoutMs: this.opTimeoutMs },
    );
    if (r.code === 10 && r.stdout.toString('utf8').trim() === 'stale') {
      this.known = null;
      return false;
    }
    // 13: everything was done but the lock is still there (its handle's release tries again).
    const unlocked = r.code === 0 && !r.timedOut && o.unlock === true && this.lockRun !== null;
    if (r.code !== 0 && r.code !== 13) this.known = null;
    if (r.code !== 13 || r.timedOut)
      this.session.check(r, 'remove old releases and archives and close the run', this.opTimeoutMs);
    if (unlocked) this.unlockedRun = this.lockRun;
    const now = this.known as KnownState | null;
    if (now) {
      for (const id of remove) now.releases.delete(id);
      for (const a of archives) now.archives.delete(a);
    }
    this.appendKnown(lines);
    return true;
  }

  /** A journal entry for this host: stamped, secrets masked (as appendJournal does), and its line. */
  private entryLine(
    run: string,
    kind: JournalEntry['kind'],
    e: Omit<JournalEntry, 'at' | 'run' | 'kind'>,
  ): PendingLine {
    const entry = maskSecretsDeep({ at: new Date().toISOString(), kind, run, ...e } as JournalEntry);
    return { line: formatJournalLine(entry), entry };
  }

  /** Writes the deferred journal lines now (one round trip; none when there are none). */
  async flushJournal(): Promise<void> {
    if (this.pending.length) await this.sh('noop', [], 'append to the journal');
  }

  /**
   * With `runAs`: whether the login user may run commands as that user (sudo -n), before anything is created or
   * changed on the host. A refusal is E_CONFIG (a host that answers but refuses is never skipped as unreachable).
   */
  private async checkRunAs(): Promise<void> {
    if (!this.runAs) return;
    const r = await this.session.script(SCRIPTS.sudoCheck, [this.runAs], { timeoutMs: this.opTimeoutMs });
    if (r.code === 255 || r.timedOut) this.session.check(r, `check runAs ${this.runAs}`, this.opTimeoutMs);
    if (r.code !== 0)
      throw new SlipwayError(
        'E_CONFIG',
        `${this.session.label}: runAs ${this.runAs}: ${r.stdout.toString('utf8').trim() || `sudo -n -u ${this.runAs} failed (exit ${r.code})`}; nothing was changed`,
        {
          field: 'deploy.targets.*.runAs',
          details: r.stderr.trim().split('\n').filter(Boolean).slice(-3),
          hint: `Allow the login user to run commands as ${this.runAs} without a password (sudoers: \`LOGIN ALL=(${this.runAs}) NOPASSWD: ALL\`), or remove runAs.`,
        },
      );
  }

  async prepare(): Promise<void> {
    await this.checkRunAs();
    await this.sh('prepare', [this.layout.root], `prepare ${this.layout.root}`);
  }

  private newOwner(opts: Omit<AcquireLockOptions, 'lockPath'>): LockOwner {
    return {
      host: hostname(),
      pid: process.pid,
      startedAt: new Date().toISOString(),
      run: opts.run,
      command: opts.command,
    };
  }

  private handle(owner: LockOwner, recovered: LockOwner | null): LockHandle {
    this.lockRun = owner.run;
    return {
      owner,
      recovered,
      release: async () => {
        if (this.unlockedRun === owner.run) return; // `finish` gave it back
        await this.sh('unlock', [this.layout.root, owner.run], 'release the lock');
      },
    };
  }

  /**
   * prepare + one attempt at the lock + the state under it, in one round trip. A held lock (stale or not) is
   * returned as such: `lock` is the way to wait for it or take over a stale one.
   */
  async open(opts: Omit<AcquireLockOptions, 'lockPath'>, deploy?: { sha256: string }): Promise<OpenResult> {
    await this.checkRunAs();
    const owner = this.newOwner(opts);
    const r = await this.sh(
      'open',
      [this.layout.root, JSON.stringify(owner), ...(deploy ? [this.incomingPath(deploy.sha256)] : [])],
      `prepare ${this.layout.root} and take the lock`,
    );
    const nl = r.stdout.indexOf(0x0a);
    const first = r.stdout.subarray(0, nl < 0 ? r.stdout.length : nl).toString('utf8');
    if (first !== 'acquired') {
      const text = r.stdout
        .subarray(nl + 1)
        .toString('utf8')
        .trim();
      let holder: LockOwner | null = null;
      try {
        holder = JSON.parse(text) as LockOwner;
      } catch {
        holder = null;
      }
      return { acquired: false, holder };
    }
    this.opened = this.learn(parseState(r.stdout.subarray(nl + 1)));
    this.openedArchive = deploy ? this.incomingPath(deploy.sha256) : null;
    return { acquired: true, lock: this.handle(owner, null), state: this.opened };
  }

  /** The state `open` read under the lock when no command ran on the host since; else null (read it again). */
  openedState(): HostState | null {
    return this.opened;
  }

  /** Where a deploy uploads the archive with this sha256. */
  private incomingPath(sha256: string): string {
    return posix.join(this.layout.state, 'incoming', `${sha256}.tar.gz`);
  }

  /** current, the release dirs and the journal, in one round trip. */
  async readState(): Promise<HostState> {
    const r = await this.sh('state', [this.layout.root], 'read the state');
    return this.learn(parseState(r.stdout));
  }

  async lock(opts: Omit<AcquireLockOptions, 'lockPath'>): Promise<LockHandle> {
    const owner = this.newOwner(opts);
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
      // Only a lock this controller host took, whose process is gone (or whose run in this process has ended), is
      // stale; another host's is never guessed at.
      if (lockIsStale(holder) && !recovered) {
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
              holder === null
                ? `Its owner file is missing or unreadable (a run killed while it took the lock?); when no deploy runs there, remove ${this.layout.state}/lock.d on the host.`
                : holder.host === hostname()
                  ? 'Another deploy from this machine is running; wait for it (--wait).'
                  : `The holder runs on another machine; when it is gone, remove ${this.layout.state}/lock.d on the host.`,
          },
        );
      opts.onWait?.(holder);
      await new Promise((res) => setTimeout(res, 500));
    }
    return this.handle(owner, recovered);
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

  /**
   * A run's journal on the host. With `defer`, a line is not written when `write` returns but by the next remote
   * command, ahead of its own work (so a step's `begin` is on the host before the step acts there), or by
   * `flushJournal`: the rollout's forward path uses it, one round trip per host action instead of three. A
   * controller killed meanwhile loses only lines no host action followed yet (a skipped step, a gate's `ok`), which
   * makes recovery put the host back rather than keep it.
   */
  journal(
    run: string,
    kind: JournalEntry['kind'],
    onEntry?: (e: JournalEntry) => void,
    o: { defer?: boolean } = {},
  ): RunJournal {
    return {
      run,
      write: async (e) => {
        const p = this.entryLine(run, kind, e);
        if (o.defer) this.pending.push(p);
        else {
          const r = await this.remote(SCRIPTS.append, [this.layout.journal, this.journalAt(this.pending), p.line], {
            timeoutMs: this.opTimeoutMs,
          });
          if (r.code !== 0) this.known = null;
          else this.appendKnown([p]);
          this.session.check(r, 'append to the journal', this.opTimeoutMs);
        }
        onEntry?.(p.entry);
      },
    };
  }

  async inspectJournal(): Promise<JournalRead> {
    const s = await this.readState();
    this.prefetched = s.releases; // read in the same round trip; valid until the next command (remote())
    return s.journal;
  }

  async readJournal(): Promise<JournalEntry[]> {
    return (await this.inspectJournal()).entries;
  }

  async setAsideJournalTail(tail: NonNullable<JournalRead['tail']>): Promise<string> {
    this.known = null;
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
    if (this.prefetched) {
      const list = this.prefetched;
      this.prefetched = null;
      return list;
    }
    const r = await this.sh('list', [this.layout.releases], 'list releases');
    return r.stdout.toString('utf8').split('\n').filter(isReleaseId).sort();
  }

  releaseDir(id: string): string {
    return posix.join(this.layout.releases, id);
  }

  /** A file of an installed release (e.g. its version-compatibility.json), or null when it is not there. */
  async readReleaseFile(id: string, name: string): Promise<Buffer | null> {
    if (!isReleaseId(id)) throw new SlipwayError('E_INTERNAL', `not a release id: ${id}`);
    // A deploy's `open` read current's version-compatibility.json under the lock (no command ran since).
    const o = this.opened;
    if (o && o.current === id && name === 'version-compatibility.json' && o.currentCompat !== undefined)
      return o.currentCompat;
    const r = await this.sh('read', [posix.join(this.releaseDir(id), name)], `read ${name} of ${id}`);
    return r.stdout.length ? r.stdout : null;
  }

  /** Uploads the archive (skipped when the host has it, resumed when a part is there), then installs remotely. */
  async installRelease(packagePath: string, releaseId: string, opts: InstallOptions): Promise<{ files: number }> {
    if (!isReleaseId(releaseId)) throw new SlipwayError('E_INTERNAL', `not a release id: ${releaseId}`);
    const sha256 = opts.sha256 ?? (await hashFile(packagePath));
    const remote = this.incomingPath(sha256);
    // What a deploy's `open` read of this archive under the lock, when no command ran on the host since.
    const known = this.openedArchive === remote ? this.opened?.upload : undefined;
    const sharedArgs = opts.shared.flatMap((p) => [
      p,
      posix.relative(posix.dirname(posix.join('releases', releaseId, p)), posix.join('shared', p)),
    ]);
    // The upload's last write, its digest check and the install are one remote script. What it left on the host
    // when it failed is not known.
    const up = await uploadFile(this.runner(), packagePath, remote, sha256, this.opTimeoutMs * 10, {
      // The install publishes only while the host's lock still names this run (the lease: see INSTALL).
      args: [this.layout.root, releaseId, sha256, this.lockRun ?? '', ...sharedArgs],
      what: `install ${releaseId}`,
      ...(known ? { state: known } : {}),
    }).catch((e: unknown) => {
      this.known = null;
      throw e;
    });
    const files = Number(up.then.stdout.toString('utf8').trim().split('\n').pop());
    this.known?.releases.add(releaseId);
    this.known?.archives.add(posix.basename(remote));
    this.lastInstall = { files, uploadedBytes: up.bytes, uploadSkipped: up.skipped, resumedFrom: up.resumedFrom };
    return { files };
  }

  /** The session as upload.ts uses it, with this target's deferred journal lines going first. */
  private runner(): RemoteRunner {
    return {
      label: this.session.label,
      logFile: this.session.logFile,
      script: (script, args, opts) => this.remote(script, args, opts),
      check: (r, what, timeoutMs) => this.session.check(r, what, timeoutMs),
    };
  }

  async verifyRelease(id: string, _shared: string[]): Promise<TreeVerification> {
    const r = await this.remote(SCRIPTS.verify, [this.releaseDir(id)], { timeoutMs: this.opTimeoutMs * 10 });
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

  async switchTo(id: string | null, o: SwitchOptions = {}): Promise<{ ms: number }> {
    const t0 = performance.now();
    // The compare-and-swap's operands ($4 $5 of the scripts): current's link text as a switch writes it.
    const expected = o.expected === undefined ? [] : ['1', o.expected === null ? '' : `releases/${o.expected}`];
    let r: RemoteResult;
    let what: string;
    if (id === null) {
      what = 'remove current';
      r = await this.remote(SCRIPTS.clearCurrent, [this.layout.root, ...expected], { timeoutMs: this.opTimeoutMs });
    } else {
      if (!isReleaseId(id)) throw new SlipwayError('E_INTERNAL', `not a release id: ${id}`);
      if (o.expected && !isReleaseId(o.expected))
        throw new SlipwayError('E_INTERNAL', `not a release id: ${o.expected}`);
      const tmp = `.current.tmp-${process.pid}-${Math.random().toString(16).slice(2, 10)}`;
      what = `switch current to ${id}`;
      r = await this.remote(SCRIPTS.switch, [this.layout.root, id, tmp, ...(expected.length ? expected : ['', ''])], {
        timeoutMs: this.opTimeoutMs,
      });
    }
    if (expected.length && r.code === CURRENT_CHANGED && !r.timedOut) {
      const found = r.stdout.toString('utf8').replace(/\n$/, '');
      throw currentChanged(this.session.label, found === '' ? null : found, o.expected ?? null, id);
    }
    this.session.check(r, what, this.opTimeoutMs);
    return { ms: performance.now() - t0 };
  }

  async removeRelease(id: string): Promise<void> {
    if (!isReleaseId(id)) throw new SlipwayError('E_INTERNAL', `refusing to remove ${id}: not a release id`);
    try {
      await this.sh('remove', [this.layout.releases, id], `remove ${id}`);
      this.known?.releases.delete(id);
    } catch (e) {
      this.known = null; // renamed out of the way, removed, or neither
      throw e;
    }
  }

  /**
   * Runs a package command on the host: `env -i` with exactly `env` (plus the host's own PATH and HOME), stdin
   * from /dev/null, output appended to the host's .slipway/logs/<log> (so a daemon it starts never holds the ssh
   * channel); its last lines come back for messages. The timeout kills the ssh client: the remote command may run
   * on, so restart commands must be idempotent (as for local targets).
   */
  async exec(command: string, opts: ExecOptions): Promise<RunCommandResult> {
    const hostOwn = new Set(['PATH', 'HOME', 'USER', 'LOGNAME', 'SHELL']);
    const pairs = Object.entries(opts.env)
      .filter(([k]) => !hostOwn.has(k))
      .map(([k, v]) => `${k}=${v}`);
    const log = posix.join(this.layout.state, 'logs', opts.log);
    const r = await this.remote(
      SCRIPTS.exec,
      [opts.cwd ?? this.layout.root, log, this.runAs ?? '', ...pairs, 'sh', '-c', command],
      {
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
      },
    );
    // Exit 255 is the user's command's own status unless ssh said why it failed or the connection is gone: a
    // restart or smoke command may exit 255, and that is a command failure to report, not a transport error.
    if (!r.timedOut && transportFailure(r)) this.session.check(r, 'run a command');
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

/** Parses the `state` script's output (pure). */
export function parseState(out: Buffer): HostState {
  let at = 0;
  let current: string | null = null;
  const releases: string[] = [];
  const archives: string[] = [];
  const extra: Pick<HostState, 'upload' | 'currentCompat'> = {};
  for (;;) {
    const nl = out.indexOf(0x0a, at);
    if (nl < 0) throw new SlipwayError('E_INTERNAL', 'the host state has no journal marker');
    const line = out.subarray(at, nl).toString('utf8');
    at = nl + 1;
    if (line === 'J') break;
    if (line.startsWith('V ')) {
      // "V <n>", n bytes, a newline: a file's bytes, framed by their count.
      const n = Number(line.slice(2));
      if (!Number.isInteger(n) || n < 0 || out[at + n] !== 0x0a)
        throw new SlipwayError('E_INTERNAL', 'the host state has a torn version-compatibility.json');
      extra.currentCompat = n ? out.subarray(at, at + n) : null;
      at += n + 1;
      continue;
    }
    if (line.startsWith('U ')) extra.upload = parseUploadState(line.slice(2));
    if (line.startsWith('I ')) archives.push(line.slice(2));
    if (line.startsWith('C ')) {
      const link = line.slice(2);
      const id = link.startsWith('releases/') ? link.slice('releases/'.length) : '';
      current = isReleaseId(id) ? id : null;
    } else if (line.startsWith('R ') && isReleaseId(line.slice(2))) releases.push(line.slice(2));
  }
  if (extra.upload && extra.currentCompat === undefined) extra.currentCompat = null; // probed: current has none
  const journal = out.subarray(at);
  return {
    current,
    releases: releases.sort(),
    journal: parseJournal(journal),
    archives: archives.sort(),
    journalBytes: journal.length,
    journalEndsLine: journal.length === 0 || journal[journal.length - 1] === 0x0a,
    ...extra,
  };
}

/**
 * The uploaded archives (`<sha256>.tar.gz`) no release in `kept` came from — a release id ends with the first 12
 * hex digits of its archive's sha256 — so retention removes them with the releases (pure). Parts of cut uploads are
 * never listed (they stay, to resume from), and a file not named like an upload is not ours to remove.
 */
export function archivesToPrune(archives: readonly string[], kept: readonly string[]): string[] {
  return archives.filter((a) => UPLOADED_ARCHIVE.test(a) && !kept.some((id) => id.endsWith(`-${a.slice(0, 12)}`)));
}
