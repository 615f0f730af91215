import { changelogSourceOf } from '../config/changelog-source.js';
import { buildVersion } from '../config/load.js';
import { verifySetupOf } from '../config/verify-setup.js';
import type { Config } from '../config/schema.js';
import type { DatabasePackageResult } from '../db/package.js';
import type { VerifyResult } from '../db/verify.js';

export type DbPackage = DatabasePackageResult;
export type DbVerify = VerifyResult;

// The db modules (changelog parser, renderer, PGlite) load lazily: a build without `database.changelog`, and every
// other command of the CLI, never pays for them.

/** Runs buildDatabasePackage for the configured changelog (liquibase) or a psql script (plain). */
export async function buildDbPackage(
  config: Config,
  changelog: string,
  mode: 'liquibase' | 'plain',
  sourceDateEpoch: number,
): Promise<DbPackage> {
  const { buildDatabasePackage } = await import('../db/package.js');
  return buildDatabasePackage({
    ...changelogSourceOf(config, changelog)!,
    ...(config.database.changelogTable ? { changelogTable: config.database.changelogTable } : {}),
    ...(config.database.changelogLockTable ? { changelogLockTable: config.database.changelogLockTable } : {}),
    mode,
    application: config.name,
    version: buildVersion(config),
    sourceDateEpoch,
  });
}

/** Runs verifyChangelog (PGlite, or a scratch database on config.database.verifyUrl). */
export async function verifyDb(config: Config, changelog: string): Promise<DbVerify> {
  const { verifyChangelog } = await import('../db/verify.js');
  const db = config.database;
  return verifyChangelog({
    ...changelogSourceOf(config, changelog)!,
    ...(db.verifyUrl ? { databaseUrl: db.verifyUrl } : {}),
    setup: verifySetupOf(config),
    ...(db.changelogTable ? { changelogTable: db.changelogTable } : {}),
    ...(db.changelogLockTable ? { changelogLockTable: db.changelogLockTable } : {}),
  });
}
