import { SlipwayError } from '../errors.js';
import type { Config } from '../config/schema.js';

// Local mirrors of DBPKG's contract types (src/db/package.ts, src/db/verify.ts). The db modules (and the changelog
// parser under them) are written in parallel; they are loaded at run time, only when the config has a database, so the
// packager builds and tests before they land (see /tmp/slipway-contracts.md).
export interface DbIndexEntry { id: string; author: string; filename: string; checksum: string; rollback: string[] | null; tag: string | null }
export interface DbPackage {
  sql: string;
  changeSets: number;
  files: number;
  head: { id: string; author: string; filename: string } | null;
  index: DbIndexEntry[];
  warnings: unknown[];
}
export interface DbVerify {
  ok: boolean;
  engine: 'pglite' | 'postgresql';
  changeSets: { id: string; author: string; filename: string; status: string; ms: number; error?: string }[];
  fingerprint: string | null;
  ms: number;
}

async function importDb<T>(spec: string, fn: string): Promise<T> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(/* @vite-ignore */ spec)) as Record<string, unknown>;
  } catch (cause) {
    throw new SlipwayError('E_PACKAGE', `${fn} is not available (${spec} could not be loaded: ${(cause as Error).message})`, {
      cause,
      hint: fn === 'verifyChangelog' ? 'Set `database.verify: false` to build without verifying the changelog.' : 'Remove `database.changelog` to build without a database package.',
    });
  }
  if (typeof mod[fn] !== 'function') throw new SlipwayError('E_INTERNAL', `${spec} has no ${fn}()`);
  return mod[fn] as T;
}

/** Runs DBPKG's buildDatabasePackage for the configured changelog (liquibase) or a psql script (plain). */
export async function buildDbPackage(config: Config, changelog: string, mode: 'liquibase' | 'plain', sourceDateEpoch: number): Promise<DbPackage> {
  const fn = await importDb<(o: unknown) => Promise<DbPackage>>('../db/package.js', 'buildDatabasePackage');
  const db = config.database;
  return fn({
    rootDir: config.configDir,
    changelog,
    mode,
    ...(db.contexts.length ? { contexts: db.contexts } : {}),
    ...(db.labels ? { labels: db.labels } : {}),
    properties: db.properties,
    application: config.name,
    version: config.version,
    sourceDateEpoch,
  });
}

/** Runs DBPKG's verifyChangelog (PGlite, or config.database.verifyUrl). */
export async function verifyDb(config: Config): Promise<DbVerify> {
  const fn = await importDb<(o: unknown) => Promise<DbVerify>>('../db/verify.js', 'verifyChangelog');
  const db = config.database;
  return fn({
    rootDir: config.configDir,
    changelog: db.changelog,
    ...(db.contexts.length ? { contexts: db.contexts } : {}),
    ...(db.labels ? { labels: db.labels } : {}),
    properties: db.properties,
    ...(db.verifyUrl ? { databaseUrl: db.verifyUrl } : {}),
  });
}
