/**
 * What of a release the fleet controller extracts into its own `releases/` (pure). The hosts run the release; the
 * controller only reads its package metadata (version-compatibility.json for the history tables, build-manifest.json
 * for the server's manifest and report routes, SHA256SUMS) and `database/` (migrate, the database undo of a failed
 * rollout, fleet rollback and recovery). Smoke tests are the exception: they run on the controller with the release
 * as cwd and may read any file of it, so a package that ships them (isSmokeTestPath: the runner's own contract) is
 * extracted whole — decided from the package, not from `smokeTests`, so a later rollback with smoke tests turned on
 * finds its release complete. So is a package with a symlink among the entries the controller reads (it could point
 * at a file left out).
 */
import type { CheckedEntry } from '../deploy/scan-archive.js';
import { isSmokeTestPath } from '../deploy/smoke.js';

/** Whether the controller reads this entry of a release: a file at the top level, or `database/` and below. */
export function controllerReads(p: string, kind: CheckedEntry['type'] | undefined): boolean {
  if (p === 'database' || p.startsWith('database/')) return true;
  return !p.includes('/') && kind !== 'Directory';
}

/**
 * The entries the controller extracts, from the kinds the package check read: a filter for LocalTarget's
 * installRelease, or null for the whole release (the package ships smoke tests, or a symlink the controller would
 * read).
 */
export function controllerSelection(
  kinds: ReadonlyMap<string, CheckedEntry['type']>,
): ((path: string) => boolean) | null {
  for (const [p, kind] of kinds) {
    if (isSmokeTestPath(p)) return null;
    if (kind === 'SymbolicLink' && controllerReads(p, kind)) return null;
  }
  return (p) => controllerReads(p, kinds.get(p));
}
