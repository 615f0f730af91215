import { changelogSourceOf } from '../config/changelog-source.js';
import { buildVersion } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { pickHistoryTableNames } from '../db/history-tables.js';
import type { DatabasePackageResult } from '../db/package.js';
import type { VerifyResult } from '../db/verify.js';

export type DbPackage = DatabasePackageResult;
export type DbVerify = VerifyResult;

// The db modules (changelog parser, renderer, PGlite) load lazily: a build without `database.changelog`, and every
// other command of the CLI, never pays for them.

/**
 * Runs buildDatabasePackage for the configured changelog (liquibase) or a psql script (plain). `strict` (build
 * --strict, else build.strict) makes changelog warnings — what Liquibase ignores — errors, as for `slipway db`.
 */
export async function buildDbPackage(
  config: Config,
  changelog: string,
  mode: 'liquibase' | 'plain',
  sourceDateEpoch: number,
  strict: boolean = config.build.strict,
): Promise<DbPackage> {
  const { buildDatabasePackage } = await import('../db/package.js');
  return buildDatabasePackage({
    ...changelogSourceOf(config, changelog)!,
    ...(strict ? { strict: true } : {}),
    ...pickHistoryTableNames(config.database),
    mode,
    application: config.name,
    version: buildVersion(config),
    sourceDateEpoch,
  });
}
