import type { Config } from '../config/schema.js';
import { SCHEMA_VERSION, type DeploymentInfo, type VersionCompatibility } from '../manifest/schema.js';
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
    version: config.version,
    database: {
      changelog: config.database.changelog ?? null,
      head: db?.head ? { id: db.head.id, author: db.head.author, filename: db.head.filename } : null,
      changeSets: db ? db.changeSets : null,
    },
    upgradeFrom: input.upgradeFrom?.length ? input.upgradeFrom : [defaultUpgradeFrom(config.version)],
    runtime: {
      node: input.nodeRange,
      nodeReason: input.nodeRange ? null : input.nodeReason,
      postgres: null,
      postgresReason: 'no PostgreSQL version requirement is declared in the config',
    },
  };
}

/** deployment-info.json (pure): the steps a deploy of this package runs on each configured target. */
export function planDeploymentInfo(config: Config, hasDatabase: boolean): DeploymentInfo {
  const targets = Object.entries(config.deploy.targets)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, t]) => {
      const steps = ['verify archive digest and SHA256SUMS', 'extract into releases/<release-id>'];
      if (t.shared.length) steps.push(`link shared paths: ${t.shared.join(', ')}`);
      if (t.stop) steps.push(`stop: ${t.stop}`);
      if (hasDatabase && t.databaseUrl) {
        if (t.backupDatabase) steps.push('back up the database');
        steps.push('apply database/package.sql');
      }
      steps.push(
        t.strategy === 'blue-green' ? 'start the idle colour and switch traffic' : 'switch the current symlink',
      );
      if (t.restart) steps.push(`restart: ${t.restart}`);
      if (t.health.url) steps.push(`wait for healthy: ${t.health.url} (timeout ${t.health.timeoutMs} ms)`);
      if (t.smokeTests) steps.push('run tests/smoke');
      steps.push(`keep the last ${t.keep} releases`);
      return {
        name,
        type: t.type,
        strategy: t.strategy,
        steps,
        healthUrl: t.health.url ?? null,
        rollback: { keepReleases: t.keep, database: t.rollbackDatabase, backupDatabase: t.backupDatabase },
      };
    });
  return {
    schemaVersion: SCHEMA_VERSION,
    application: config.name,
    version: config.version,
    environment: config.environment,
    targets,
  };
}
