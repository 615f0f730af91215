import semver from 'semver';
import type { ChangeSetIndexEntry, ChangeSetKey } from './contracts.js';
import { changeSetKey, pendingChangeSets, recordedAmong, rowsNotAmong } from './db-state.js';

export interface CompatInput {
  /** From the package's version-compatibility.json. */
  pkg: { version: string; upgradeFrom: string[]; head: ChangeSetKey | null };
  /** The live release's version, or null when nothing is live. */
  liveVersion: string | null;
  /** Changesets recorded in the database (null: no database configured or no changelog table yet). */
  applied: ChangeSetKey[] | null;
  /** The package's database/changesets.json (null when the package has no database part). */
  index: ChangeSetIndexEntry[] | null;
}

export interface CompatResult {
  ok: boolean;
  reasons: string[];
  notes: string[];
}

/** Decides whether the package may replace the live release on this database (pure). */
export function checkCompatibility(input: CompatInput): CompatResult {
  const reasons: string[] = [];
  const notes: string[] = [];
  const { pkg, liveVersion } = input;
  if (liveVersion === null) notes.push('no live release: nothing to upgrade from');
  else if (liveVersion === pkg.version) notes.push(`reinstalling ${pkg.version}`);
  else if (!semver.valid(liveVersion)) reasons.push(`live release version "${liveVersion}" is not a semantic version`);
  else if (!pkg.upgradeFrom.some((r) => semver.satisfies(liveVersion, r, { includePrerelease: true }))) {
    reasons.push(
      `live version ${liveVersion} is not in the package's upgradeFrom ${JSON.stringify(pkg.upgradeFrom)} (package ${pkg.version})`,
    );
  } else notes.push(`upgrade ${liveVersion} → ${pkg.version} allowed by ${JSON.stringify(pkg.upgradeFrom)}`);
  if (input.applied && input.index) {
    const unknown = rowsNotAmong(input.applied, input.index);
    if (unknown.length) {
      reasons.push(
        `the database has ${unknown.length} changeset(s) this package does not contain (a newer schema?), e.g. ${changeSetKey(unknown[0]!)}`,
      );
    }
    if (pkg.head && recordedAmong([pkg.head], input.applied).length)
      notes.push('database already at the package head: the migration will change nothing');
    else notes.push(`${pendingChangeSets(input.index, input.applied).length} changeset(s) to apply`);
  }
  return { ok: reasons.length === 0, reasons, notes };
}
