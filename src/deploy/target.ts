import type { ExtractLimits } from './archive-rules.js';
import type { CommandUser } from './command-env.js';
import type { JournalRead, RunJournal } from './journal.js';
import type { TargetLayout } from './layout.js';
import type { AcquireLockOptions, LockHandle } from './lock.js';
import type { RunCommandResult } from './run-command.js';
import type { JournalEntry } from './types.js';
import type { TreeVerification } from './verify-tree.js';

/** How a package command runs on a target. */
export interface SwitchOptions {
  /** The release `current` must name for the switch to happen (null: no `current`); undefined: no check. */
  expected?: string | null | undefined;
}

export interface ExecOptions {
  /** The command's whole environment (package code never inherits the deployer's). */
  env: Record<string, string>;
  timeoutMs: number;
  log: string;
  cwd?: string;
  signal?: AbortSignal;
  /** Run as this user (the target's `runAs`). */
  user?: CommandUser | null;
}

export interface InstallOptions {
  limits: ExtractLimits;
  shared: string[];
  delayMs?: number;
  /** The archive's sha256 when the caller has it (the digest of the bytes the package check read); else hashed. */
  sha256?: string;
  /**
   * A local target only: extract (and verify) only the entries this accepts — the fleet controller's copy
   * (src/fleet/controller-copy.ts). A host always installs the whole release.
   */
  select?: (path: string) => boolean;
}

/**
 * Where releases live. Every deploy and rollback step goes through this interface, so an `ssh` target
 * (src/fleet/ssh-target.ts; docs/architecture.md, "Deploy targets") runs the same steps on a remote host.
 */
export interface Target {
  readonly kind: 'local' | 'ssh';
  readonly layout: TargetLayout;
  /** Creates releases/, shared/ and .slipway/ if missing. */
  prepare(): Promise<void>;
  lock(opts: Omit<AcquireLockOptions, 'lockPath'>): Promise<LockHandle>;
  journal(run: string, kind: JournalEntry['kind'], onEntry?: (e: JournalEntry) => void): RunJournal;
  readJournal(): Promise<JournalEntry[]>;
  /** The journal with its integrity report (invalid lines, a torn tail). */
  inspectJournal(): Promise<JournalRead>;
  /** Moves a torn tail aside (kept beside the journal) and truncates to the last valid entry; returns where it went. */
  setAsideJournalTail(tail: NonNullable<JournalRead['tail']>): Promise<string>;
  readCurrent(): Promise<string | null>;
  /** Release ids with a directory under releases/. */
  listReleaseDirs(): Promise<string[]>;
  releaseDir(id: string): string;
  /** Extracts into releases/.staging-<id>, verifies, links shared paths, then renames to releases/<id>. */
  installRelease(packagePath: string, releaseId: string, opts: InstallOptions): Promise<{ files: number }>;
  /** Re-verifies a release against its SHA256SUMS (shared links excluded). */
  verifyRelease(id: string, shared: string[]): Promise<TreeVerification>;
  /**
   * Atomically points `current` at a release, or removes it (null). With `expected` (a release id, or null for no
   * `current`), only when `current` still names that release: a change since the caller read it (another
   * controller, a manual `ln -sfn`) is refused (E_DEPLOY, `isCurrentChanged`) and nothing is switched.
   */
  switchTo(id: string | null, o?: SwitchOptions): Promise<{ ms: number }>;
  removeRelease(id: string): Promise<void>;
  /** Runs a shell command on the target with a timeout; output goes to .slipway/logs/<log>. */
  exec(command: string, opts: ExecOptions): Promise<RunCommandResult>;
  /** Removes staging dirs and temp links a crashed run left behind; returns what it removed. */
  cleanLeftovers(): Promise<string[]>;
}
