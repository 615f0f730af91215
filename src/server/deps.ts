import type { Config } from '../config/schema.js';
import { SlipwayError } from '../errors.js';
import type { DatabasePackageOptions, DatabasePackageResult } from '../db/package.js';
import type { StatusOptions, StatusResult } from '../db/status.js';
import { listReleases, type ReleaseRecord } from '../deploy/release-store.js';
import { resolveTargetRoot } from '../deploy/resolve-target.js';
import { aggregateHealth } from '../health/aggregate.js';
import { buildManifestSchema } from '../manifest/schema.js';
import type { HealthStatus } from './health/status.js';

export type { ReleaseRecord } from '../deploy/release-store.js';
export type { ChangeSetStatus, StatusResult } from '../db/status.js';
export type ManifestFormat = 'json' | 'yaml' | 'summary' | 'deployment-report';
export type PackageResult = Pick<DatabasePackageResult, 'sql' | 'changeSets' | 'files'> & Partial<DatabasePackageResult>;

/** What the routes call. Everything is injectable through createApp's options; the clock is the one test seam. */
export interface ServerDeps {
  clock: () => number;
  buildDatabasePackage: (opts: DatabasePackageOptions) => Promise<PackageResult>;
  getStatus: (opts: StatusOptions) => Promise<StatusResult>;
  listReleases: (targetRoot: string) => Promise<ReleaseRecord[]>;
  rollback: (opts: { config: Config; target?: string; to?: string; emergency?: boolean; actor?: string }) => Promise<unknown>;
  resolveTargetRoot: (config: Config, target: string) => string;
  /** Validates a parsed build-manifest.json (PACKAGE's zod schema) and returns it. */
  parseManifest: (raw: unknown) => unknown;
  exportManifest: (manifest: unknown, format: ManifestFormat) => string;
  aggregateHealth: ((components: Record<string, { status: HealthStatus }>) => HealthStatus) | undefined;
}

/**
 * The first of `specs` that exports `name` as a function, or null. Used only for modules whose owners had not
 * landed them when the server was written (deploy/rollback.ts, manifest/export.ts): the specifier is a variable
 * so the compiler does not require the file, and a missing module becomes a clear 503 instead of a startup crash.
 */
async function findExport(specs: string[], name: string): Promise<((...a: unknown[]) => unknown) | null> {
  for (const spec of specs) {
    try {
      const mod = (await import(spec)) as Record<string, unknown>;
      if (typeof mod[name] === 'function') return mod[name] as (...a: unknown[]) => unknown;
    } catch {
      // missing or failing to load: try the next, else report unavailable
    }
  }
  return null;
}

function unavailable(what: string, spec: string): never {
  throw new SlipwayError('E_SERVER', `${what} is not available in this build`, { hint: `module ${spec} is missing` });
}

/** The real implementations from src/db, src/deploy, src/manifest and src/health. */
export async function defaultDeps(): Promise<ServerDeps> {
  const exportManifest = await findExport(['../manifest/export.js'], 'exportManifest');
  return {
    clock: Date.now,
    // Loaded on first use: they pull in the changelog parsers, which a health-only server never needs.
    buildDatabasePackage: async (o) => (await import('../db/package.js')).buildDatabasePackage(o),
    getStatus: async (o) => (await import('../db/status.js')).getStatus(o),
    listReleases,
    rollback: async (opts) => {
      const fn = await findExport(['../deploy/rollback.js'], 'rollback');
      return fn ? fn(opts) : unavailable('rollback', '../deploy/rollback.js');
    },
    resolveTargetRoot,
    parseManifest: (raw) => buildManifestSchema.parse(raw),
    exportManifest: (m, f) => (exportManifest ? (exportManifest(m, f) as string) : unavailable('manifest export', '../manifest/export.js')),
    aggregateHealth,
  };
}
