import path from 'node:path';
import type { Config } from '../config/schema.js';
import { SlipwayError } from '../errors.js';
import type { HealthStatus } from './health/status.js';

// Shapes from /tmp/slipway-contracts.md, declared here so the server compiles while the owning modules land in
// parallel. The default implementations import the real modules at first use (see loadModule).
export interface PackageRequest {
  rootDir: string; changelog: string; mode?: 'liquibase' | 'plain'; contexts?: string[]; labels?: string;
  properties?: Record<string, string>; application: string; version: string; sourceDateEpoch: number;
  sinceTag?: string; since?: string; databaseUrl?: string;
}
export interface PackageResult { sql: string; changeSets: number; files: number; warnings?: unknown[] }
export interface ChangeSetStatus { id: string; author: string; filename: string; state: 'applied' | 'pending' | 'drift' | 'unknown'; checksum: string | null; dateexecuted: string | null; orderexecuted: number | null; exectype: string | null }
export interface StatusResult { changeSets: ChangeSetStatus[]; applied: number; pending: number; drift: number; unknown: number }
export interface ReleaseRecord { id: string; version: string; sha256: string; packageName: string; deployedAt: string; deployedBy: string; result: 'success' | 'failed' | 'rolled-back' | 'in-progress'; current: boolean; pinned: boolean }
export type ManifestFormat = 'json' | 'yaml' | 'summary' | 'deployment-report';

/** What the routes call. Everything is injectable through createApp's options; the clock is the one test seam. */
export interface ServerDeps {
  clock: () => number;
  buildDatabasePackage: (opts: PackageRequest) => Promise<PackageResult>;
  getStatus: (opts: { databaseUrl: string; rootDir: string; changelog: string; contexts?: string[]; labels?: string; properties?: Record<string, string> }) => Promise<StatusResult>;
  listReleases: (targetRoot: string) => Promise<ReleaseRecord[]>;
  rollback: (opts: { config: Config; target?: string; to?: string; emergency?: boolean; actor?: string }) => Promise<unknown>;
  resolveTargetRoot: (config: Config, target: string) => string;
  /** Validates a parsed build-manifest.json (PACKAGE's zod schema) and returns it. */
  parseManifest: (raw: unknown) => unknown;
  exportManifest: (manifest: unknown, format: ManifestFormat) => string;
  aggregateHealth: ((components: Record<string, { status: HealthStatus }>) => HealthStatus) | undefined;
}

/**
 * Imports a sibling module at run time; a missing module (its owner has not landed it yet) becomes a clear 503
 * instead of a crash at startup. The specifier is a variable so the compiler does not require the file.
 */
async function loadModule(spec: string, what: string): Promise<Record<string, unknown>> {
  try {
    return (await import(spec)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load url|does not provide an export/.test(String((e as Error).message))) {
      throw new SlipwayError('E_SERVER', `${what} is not available in this build`, { hint: `module ${spec} is missing` });
    }
    throw e;
  }
}

/** The first of `specs` that exports `name` as a function, or null. */
async function findExport(specs: string[], name: string): Promise<((...a: unknown[]) => unknown) | null> {
  for (const spec of specs) {
    const mod = await loadModule(spec, name).catch(() => null);
    if (mod && typeof mod[name] === 'function') return mod[name] as (...a: unknown[]) => unknown;
  }
  return null;
}

function unavailable(what: string, spec: string): never {
  throw new SlipwayError('E_SERVER', `${what} is not available in this build`, { hint: `module ${spec} is missing` });
}

/** A function that resolves the real implementation at each call, so modules landing later are picked up. */
function lazy<F extends (...args: never[]) => unknown>(spec: string, name: string, what: string): F {
  return (async (...args: unknown[]) => {
    const fn = await findExport([spec], name);
    return fn ? fn(...args) : unavailable(what, spec);
  }) as unknown as F;
}

/** The real implementations, from src/db, src/deploy, src/manifest and src/health. */
export async function defaultDeps(): Promise<ServerDeps> {
  const resolveTargetRoot = await findExport(['../deploy/rollback.js', '../deploy/deploy.js', '../deploy/target.js', '../deploy/targets.js'], 'resolveTargetRoot');
  const schema = await loadModule('../manifest/schema.js', 'manifest schema').catch(() => null);
  const aggregate = await findExport(['../health/aggregate.js'], 'aggregateHealth');
  const exportManifest = await findExport(['../manifest/export.js'], 'exportManifest');
  const manifestSchema = (schema?.BuildManifest ?? schema?.buildManifestSchema ?? schema?.BuildManifestSchema) as { parse?: (v: unknown) => unknown } | undefined;
  return {
    clock: Date.now,
    buildDatabasePackage: lazy('../db/package.js', 'buildDatabasePackage', 'SQL package generation'),
    getStatus: lazy('../db/status.js', 'getStatus', 'changeset status'),
    listReleases: lazy('../deploy/release-store.js', 'listReleases', 'release history'),
    rollback: lazy('../deploy/rollback.js', 'rollback', 'rollback'),
    resolveTargetRoot: (resolveTargetRoot as ServerDeps['resolveTargetRoot'] | null) ?? fallbackTargetRoot,
    parseManifest: (raw) => (manifestSchema?.parse ? manifestSchema.parse(raw) : raw),
    exportManifest: (exportManifest as ServerDeps['exportManifest'] | null) ?? (() => unavailable('manifest export', '../manifest/export.js')),
    aggregateHealth: (aggregate as ServerDeps['aggregateHealth'] | null) ?? undefined,
  };
}

/** Same rule as DEPLOY's resolveTargetRoot (path relative to the config file), used until it lands. */
function fallbackTargetRoot(config: Config, target: string): string {
  const t = config.deploy.targets[target];
  if (!t) throw new SlipwayError('E_CONFIG', `unknown deploy target "${target}"`, { field: 'server.target', hint: `Known targets: ${Object.keys(config.deploy.targets).join(', ') || 'none'}` });
  return path.resolve(config.configDir, t.path);
}
