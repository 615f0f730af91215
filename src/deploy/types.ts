import type { Config } from '../config/schema.js';

/** The steps a deploy or rollback goes through, in journal and progress output. */
export type DeployStep =
  | 'run'
  | 'lock'
  | 'recover'
  | 'verify'
  | 'extract'
  | 'compat'
  | 'precheck'
  | 'backup'
  | 'migrate'
  | 'switch'
  | 'restart'
  | 'stop'
  | 'health'
  | 'smoke'
  | 'rollback'
  | 'db-rollback'
  | 'retention'
  | 'notify'
  | 'pin';

/** `warning`: the step goes on, but something needs a person's attention (one line, with its hint). */
export type StepStatus = 'begin' | 'ok' | 'failed' | 'skipped' | 'info' | 'warning';

/** A progress event; the CLI renders them, `--json` collects them. */
export interface DeployEvent {
  step: DeployStep;
  status: StepStatus;
  message?: string;
  ms?: number;
}

/** One line of `.slipway/journal.jsonl`. Written before (`begin`) and after (`ok`/`failed`) every state change. */
export interface JournalEntry {
  /** ISO time the entry was written. */
  at: string;
  /** The run (one deploy or rollback) the entry belongs to. */
  run: string;
  kind: 'deploy' | 'rollback' | 'emergency-rollback' | 'admin';
  step: DeployStep;
  status: StepStatus;
  /** The release this run installs or switches to. */
  release?: string;
  message?: string;
  data?: Record<string, unknown>;
}

/** Test-only hooks: widen crash windows so a SIGKILL lands mid-step (the kill time itself stays random). */
export interface DeployTestHooks {
  /** Sleep this long between steps and between extracted entries. */
  delayMs?: number;
}

export interface DeployOptions {
  config: Config;
  packagePath: string;
  /** A configured target name (config.deploy.targets); or `root` for an ad-hoc local directory. */
  target?: string;
  root?: string;
  /** Expected archive digest; default `<package>.sha256` beside the archive. */
  expectedSha256?: string;
  dryRun?: boolean;
  /** Deploy even though the live system's health pre-check fails. */
  force?: boolean;
  /** Queue behind a running deploy instead of failing with E_LOCKED. */
  wait?: boolean;
  /** Watch window after the deploy (ms); 0 or undefined = none. */
  watchMs?: number;
  /** `user@host`; default from the environment. */
  actor?: string;
  onProgress?: (e: DeployEvent) => void;
  now?: () => Date;
  testHooks?: DeployTestHooks;
  /** Fired by the CLI on SIGINT/SIGTERM (reason: the signal name): the run puts the target back and stops. */
  signal?: AbortSignal;
}

export interface DeployResult {
  ok: boolean;
  dryRun: boolean;
  releaseId: string;
  root: string;
  version: string | null;
  sha256: string;
  previous: string | null;
  /** Changesets the migration executed (from applySql). */
  executed: { id: string; author: string; filename: string }[];
  removed: string[];
  /** Set when the deploy failed after the switch and was rolled back automatically. */
  rolledBack: boolean;
  reason: string | null;
  plan: DeployPlan;
  ms: number;
}

export interface PlannedStep {
  step: DeployStep;
  action: string;
  /** Why the step will not run, if it will not. */
  skip?: string;
}

export interface DeployPlan {
  root: string;
  releaseId: string;
  previous: string | null;
  steps: PlannedStep[];
}

export interface RollbackOptions {
  config: Config;
  target?: string;
  to?: string;
  root?: string;
  emergency?: boolean;
  actor?: string;
  wait?: boolean;
  /** Roll back the application only, leaving changesets the undone releases applied in the database. */
  appOnly?: boolean;
  onProgress?: (e: DeployEvent) => void;
  /** Fired by the CLI on SIGINT/SIGTERM: the run puts the target back and stops. */
  signal?: AbortSignal;
}

export interface RollbackResult {
  ok: boolean;
  root: string;
  from: string | null;
  to: string;
  databaseRolledBack: { id: string; author: string; filename: string }[];
  notified: boolean;
  reason: string | null;
  ms: number;
}
