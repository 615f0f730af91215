import type { Config } from '../config/schema.js';
import { buildVersion } from '../config/load.js';
import { SCHEMA_VERSION, type VersionCompatibility } from '../manifest/schema.js';
import type { DbPackage } from './package-db.js';

/** Default upgrade range: same major, older than this version (`>=1.0.0 <1.2.0`); for x.0.0 the previous major. */
export function defaultUpgradeFrom(version: string): string {
  const [major, minor, patch] = version.split(/[.+-]/).map(Number) as [number, number, number];
  const isBare = /^\d+\.\d+\.\d+$/.test(version);
  // `>=2.0.0 <2.0.0` would be empty: a fresh major upgrades from the previous one.
  const from = isBare && minor === 0 && patch === 0 && major > 0 ? major - 1 : major;
  return `>=${from}.0.0 <${version}`;
}

/** version-compatibility.json (pure). */
export function planVersionCompatibility(input: {
  config: Config;
  db: DbPackage | null;
  upgradeFrom?: string[];
  nodeRange: string | null;
  nodeReason: string | null;
}): VersionCompatibility {
  const { config, db } = input;
  return {
    schemaVersion: SCHEMA_VERSION,
    application: config.name,
    version: buildVersion(config),
    database: {
      changelog: config.database.changelog ?? null,
      head: db?.head ? { id: db.head.id, author: db.head.author, filename: db.head.filename } : null,
      changeSets: db ? db.changeSets : null,
      ...(db ? { historyTables: { ...db.tables } } : {}),
      ...(db?.propertiesFromEnv.length ? { propertiesFromEnv: [...db.propertiesFromEnv] } : {}),
    },
    upgradeFrom: input.upgradeFrom?.length ? input.upgradeFrom : [defaultUpgradeFrom(buildVersion(config))],
    runtime: {
      node: input.nodeRange,
      nodeReason: input.nodeRange ? null : input.nodeReason,
      postgres: null,
      postgresReason: 'no PostgreSQL version requirement is declared in the config',
    },
  };
}
