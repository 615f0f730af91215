/**
 * A release as `slipway releases` and the HTTP API show it. Kept free of imports so the web UI can share the type
 * (src/web type-checks without Node's types).
 */
export interface ReleaseRecord {
  id: string;
  version: string;
  sha256: string;
  packageName: string;
  deployedAt: string;
  deployedBy: string;
  result: 'success' | 'failed' | 'rolled-back' | 'in-progress';
  current: boolean;
  pinned: boolean;
  /** The release directory still exists (retention removes old ones). */
  present: boolean;
  /** Its deploy ran to the end once (only such releases may be made live again). */
  completed?: boolean;
  /** The deploy was cut short (crash or kill) and never finished. */
  interrupted: boolean;
  /** Why it failed or was rolled back, from the journal. */
  reason: string | null;
  /** Journal position of the last time it went live successfully (orders rollback candidates; never mtime). */
  lastLiveSeq: number;
}

/** Who holds a lock (the owner record a lock carries). */
export interface LockHolder {
  host: string;
  pid: number;
  startedAt: string;
  run: string;
  command: string;
}

/** One host of an ssh target as `slipway releases --target <fleet>` and GET /api/releases show it. */
export interface FleetHostRecord {
  host: string;
  root: string;
  labels: string[];
  /** False when the host could not be read (`error` says why; current, previous and lock are then null). */
  reachable: boolean;
  current: string | null;
  /** The release a rollback of this host would return to (its journal's previous successful one). */
  previous: string | null;
  /** null when free; `owner` null when held with an unreadable owner file. */
  lock: { owner: LockHolder | null } | null;
  error: string | null;
}
