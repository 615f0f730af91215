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
