import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError } from '../errors.js';
import type { ChangeSetIndexEntry, ChangeSetKey, Contracts } from './contracts.js';

/** The package's database/changesets.json (DatabasePackageResult.index), or null when it has none. */
export async function readChangeSetIndex(releaseDir: string): Promise<ChangeSetIndexEntry[] | null> {
  try {
    return JSON.parse(
      await readFile(path.join(releaseDir, 'database', 'changesets.json'), 'utf8'),
    ) as ChangeSetIndexEntry[];
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SlipwayError(
      'E_PACKAGE',
      `database/changesets.json of ${releaseDir} is unreadable: ${(e as Error).message}`,
    );
  }
}

/**
 * Rolls back exactly `executed` (the changesets a release applied, from the journal) with the rollback SQL of that
 * release's own changesets.json. planRollbackSql refuses (E_ROLLBACK) when any of them has no rollback SQL.
 */
export async function rollbackChangeSets(
  contracts: Contracts,
  databaseUrl: string,
  releaseDir: string,
  executed: ChangeSetKey[],
): Promise<{ sql: string; ms: number }> {
  const index = await readChangeSetIndex(releaseDir);
  if (!index)
    throw new SlipwayError(
      'E_ROLLBACK',
      `release ${path.basename(releaseDir)} has no database/changesets.json: cannot roll its changesets back`,
    );
  const sql = contracts.planRollbackSql(index, executed);
  const r = await contracts.applySql({ databaseUrl, sql });
  return { sql, ms: r.ms };
}
