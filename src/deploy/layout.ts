import path from 'node:path';

/** Paths of one target root: `releases/`, `current`, `shared/`, `.slipway/` (lock, journal, backups). */
export interface TargetLayout {
  root: string;
  releases: string;
  current: string;
  shared: string;
  state: string;
  lock: string;
  journal: string;
  backups: string;
}

/** The layout under `root` (pure). */
export function layoutOf(root: string): TargetLayout {
  const abs = path.resolve(root);
  const state = path.join(abs, '.slipway');
  return {
    root: abs,
    releases: path.join(abs, 'releases'),
    current: path.join(abs, 'current'),
    shared: path.join(abs, 'shared'),
    state,
    lock: path.join(state, 'lock'),
    journal: path.join(state, 'journal.jsonl'),
    backups: path.join(state, 'backups'),
  };
}

const RELEASE_ID = /^\d{8}T\d{6}Z-[0-9a-f]{12}$/;

/** `20261124T201500Z-<sha256[:12]>`: sorts by time, names the package digest. */
export function makeReleaseId(at: Date, sha256: string): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  return `${stamp}-${sha256.slice(0, 12)}`;
}

/** True for a well-formed release id (also guards `--to ID` against path tricks). */
export function isReleaseId(id: string): boolean {
  return RELEASE_ID.test(id);
}

/** Staging directory of a release, on the same filesystem as releases/ so the final rename is atomic. */
export function stagingDir(layout: TargetLayout, releaseId: string): string {
  return path.join(layout.releases, `.staging-${releaseId}`);
}
