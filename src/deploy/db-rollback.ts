import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError } from '../errors.js';
import { historyTablesOfPackage, type HistoryTables } from '../db/history-tables.js';
import { findPackageShellEscapes, refuseShellEscapes } from '../db/package-safety.js';
import type { ChangeSetIndexEntry, ChangeSetKey, Contracts } from './contracts.js';
import { readAppliedOrFail } from './db-state.js';

/** The package's database/changesets.json (DatabasePackageResult.index), or null when it has none. */
export async function readChangeSetIndex(releaseDir: string): Promise<ChangeSetIndexEntry[] | null> {
  let text: string;
  try {
    text = await readFile(path.join(releaseDir, 'database', 'changesets.json'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new SlipwayError(
      'E_PACKAGE',
      `database/changesets.json of ${releaseDir} is unreadable: ${(e as Error).message}`,
    );
  }
  return parseChangeSetIndex(text, releaseDir);
}

/**
 * database/changesets.json's text (null: the package has none) as the index, e.g. read from the archive by the
 * package check (pure); `where` names the release or archive in the error.
 */
export function parseChangeSetIndex(text: string | null, where: string): ChangeSetIndexEntry[] | null {
  if (text === null) return null;
  try {
    return JSON.parse(text) as ChangeSetIndexEntry[];
  } catch (e) {
    throw new SlipwayError('E_PACKAGE', `database/changesets.json of ${where} is unreadable: ${(e as Error).message}`);
  }
}

/**
 * The history tables the release's package writes (version-compatibility.json `database.historyTables`; Liquibase's
 * defaults for packages that do not record them, or a release without the file).
 */
export async function readHistoryTables(releaseDir: string): Promise<HistoryTables> {
  const file = path.join(releaseDir, 'version-compatibility.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return historyTablesOfPackage(undefined, file);
    throw new SlipwayError('E_PACKAGE', `${file} is unreadable: ${(e as Error).message}`, { cause: e });
  }
  let doc: { database?: { historyTables?: unknown } };
  try {
    doc = JSON.parse(text) as typeof doc;
  } catch (e) {
    throw new SlipwayError('E_PACKAGE', `${file} is not JSON: ${(e as Error).message}`, { cause: e });
  }
  return historyTablesOfPackage(doc.database?.historyTables, file);
}

/**
 * Refuses (E_UNSAFE_SQL at `<release>/database/changesets.json:line`, every occurrence listed) rollback SQL of a
 * release already on disk that would run a shell: the deploy judged it in the archive, but the release may have been
 * extracted before that check existed, or edited since. The same scan as the deploy (src/db/package-safety.ts);
 * nothing when `allow` (the target's allowShellInSql) or the release has no changesets.json.
 */
export async function refuseUnsafeRollbackSql(releaseDir: string, allow: boolean, consequence: string): Promise<void> {
  if (allow) return;
  let json: string;
  try {
    json = await readFile(path.join(releaseDir, 'database', 'changesets.json'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new SlipwayError(
      'E_PACKAGE',
      `database/changesets.json of ${releaseDir} is unreadable: ${(e as Error).message}`,
    );
  }
  const found = findPackageShellEscapes({ packageSql: null, changesetsJson: json });
  refuseShellEscapes(
    found.map((f) => ({ ...f, file: path.join(releaseDir, f.file) })),
    { field: 'deploy.targets.*.allowShellInSql', consequence },
  );
}

/**
 * Rolls back exactly `executed` (the changesets a release applied, from the journal) with the rollback SQL of that
 * release's own changesets.json, after refuseUnsafeRollbackSql, newest first in the order databasechangelog records
 * them (read just before; the SQL refuses a history that changed order since). planRollbackSql refuses (E_ROLLBACK)
 * when any of them has no rollback SQL. Callers
 * run it in their `db-rollback` step, after warnIfSuperuser (role-warning.ts) journaled its warning before the step.
 */
export async function rollbackChangeSets(
  contracts: Contracts,
  databaseUrl: string,
  releaseDir: string,
  executed: ChangeSetKey[],
  /** Cancels the statement running on the server when it fires (PGlite finishes it, then stops). */
  signal?: AbortSignal,
  /** The target's allowShellInSql: rollback SQL that runs a shell is run instead of refused. */
  allowShellInSql = false,
): Promise<{ sql: string; ms: number }> {
  await refuseUnsafeRollbackSql(
    releaseDir,
    allowShellInSql,
    `Nothing was rolled back: the rollback SQL of release ${path.basename(releaseDir)} on disk would run it.`,
  );
  const index = await readChangeSetIndex(releaseDir);
  if (!index)
    throw new SlipwayError(
      'E_ROLLBACK',
      `release ${path.basename(releaseDir)} has no database/changesets.json: cannot roll its changesets back`,
    );
  const tables = await readHistoryTables(releaseDir);
  const sql = contracts.planRollbackSql(index, executed, tables, await readAppliedOrFail(databaseUrl, tables));
  const r = await contracts.applySql({ databaseUrl, sql, ...(signal ? { signal } : {}) });
  return { sql, ms: r.ms };
}
