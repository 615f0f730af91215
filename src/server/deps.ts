import type { Config } from '../config/schema.js';
import type { DatabasePackageOptions, DatabasePackageResult } from '../db/package.js';
import type { StatusOptions, StatusResult } from '../db/status.js';
import { listReleases, type ReleaseRecord } from '../deploy/release-store.js';
import type { FleetHostRecord } from '../deploy/release-record.js';
import { resolveTargetRoot } from '../deploy/resolve-target.js';
import { aggregateHealth } from '../health/aggregate.js';
import { buildManifestSchema, type BuildManifest } from '../manifest/schema.js';
import { exportManifest } from '../manifest/export.js';
import type { RollbackOptions, RollbackResult } from '../deploy/types.js';
import type { FleetRollbackOptions, FleetRollbackResult } from '../fleet/fleet-rollback.js';
import type { HealthStatus } from '../health/status.js';

export type { ReleaseRecord } from '../deploy/release-store.js';
export type { ChangeSetStatus, StatusResult } from '../db/status.js';
export type ManifestFormat = 'json' | 'yaml' | 'summary' | 'deployment-report';
export type PackageResult = Pick<DatabasePackageResult, 'sql' | 'changeSets' | 'files'> &
  Partial<DatabasePackageResult>;

/** What the routes call. Everything is injectable through createApp's options; the clock is the one test seam. */
export interface ServerDeps {
  clock: () => number;
  buildDatabasePackage: (opts: DatabasePackageOptions) => Promise<PackageResult>;
  getStatus: (opts: StatusOptions) => Promise<StatusResult>;
  listReleases: (targetRoot: string) => Promise<ReleaseRecord[]>;
  rollback: (opts: RollbackOptions) => Promise<Pick<RollbackResult, 'ok'> & Partial<RollbackResult>>;
  /** An ssh target's rollback: every host to the same release, then the database (src/fleet/fleet-rollback.ts). */
  rollbackFleet: (opts: FleetRollbackOptions) => Promise<FleetRollbackResult>;
  resolveTargetRoot: (config: Config, target: string) => string;
  /** An ssh target's hosts read over ssh (current, previous, lock holder, reachable), and the fleet's releases. */
  readFleet: (config: Config, target: string) => Promise<{ releases: ReleaseRecord[]; hosts: FleetHostRecord[] }>;
  /** Validates a parsed build-manifest.json (PACKAGE's zod schema) and returns it. */
  parseManifest: (raw: unknown) => unknown;
  exportManifest: (manifest: unknown, format: ManifestFormat) => string;
  aggregateHealth: ((components: Record<string, { status: HealthStatus }>) => HealthStatus) | undefined;
}

/** The real implementations from src/db, src/deploy, src/manifest and src/health. */
export async function defaultDeps(): Promise<ServerDeps> {
  return {
    clock: Date.now,
    // Loaded on first use: they pull in the changelog parsers and the deploy engine, which a health-only server
    // never needs, and keep startup fast.
    buildDatabasePackage: async (o) => (await import('../db/package.js')).buildDatabasePackage(o),
    getStatus: async (o) => (await import('../db/status.js')).getStatus(o),
    listReleases,
    rollback: async (o) => (await import('../deploy/rollback.js')).rollback(o),
    rollbackFleet: async (o) => (await import('../fleet/fleet-rollback.js')).rollbackFleet(o),
    resolveTargetRoot,
    readFleet: async (config, target) => {
      const s = await (await import('../fleet/fleet-releases.js')).readFleetState(config, target);
      return { releases: s.releases, hosts: s.hosts.map(({ releases: _r, journal: _j, ...h }) => h) };
    },
    parseManifest: (raw) => buildManifestSchema.parse(raw),
    exportManifest: (m, f) => exportManifest(m as BuildManifest, f),
    aggregateHealth,
  };
}
