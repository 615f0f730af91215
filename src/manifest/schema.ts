import { z } from 'zod';

/** A figure that is either measured/read (`value`) or absent with the reason (`value: null`). */
const measured = <T extends z.ZodType>(value: T) =>
  z.object({ value: value.nullable(), reason: z.string().nullable(), source: z.string().nullable() }).strict();

const sizeSchema = z.object({ bytes: z.number().int().nonnegative(), human: z.string() }).strict();

const coverageSchema = z
  .object({
    lines: z.number().nullable(),
    statements: z.number().nullable(),
    functions: z.number().nullable(),
    branches: z.number().nullable(),
  })
  .strict();

export const SCHEMA_VERSION = 1;

/**
 * Where the package came from (src/manifest/provenance.ts). Optional so manifests of packages built before it was
 * recorded still parse; every new build writes it.
 */
export const provenanceSchema = z
  .object({
    git: z
      .object({
        /** HEAD of the checkout the project root is in; null when there is none (reason says why). */
        commit: z
          .string()
          .regex(/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/, 'a full git object id')
          .nullable(),
        /** The project tree (its build output excluded) differs from the commit: tracked changes or new files. */
        dirty: z.boolean().nullable(),
        reason: z.string().nullable(),
      })
      .strict(),
    builder: z
      .object({
        identity: z.string().min(1),
        source: z.enum(['SLIPWAY_BUILDER', 'build.builder', 'system']),
      })
      .strict(),
    /** The build's point in time when it was reproducible (SOURCE_DATE_EPOCH or the commit time); null from the clock. */
    sourceDateEpoch: z.number().int().nonnegative().nullable(),
    sourceDateEpochReason: z.string().nullable(),
    tools: z
      .object({
        slipway: z.string().min(1),
        node: z.string().min(1),
        /** The Liquibase version whose checksums and history rows the database package reproduces. */
        liquibaseCompat: z.string().min(1),
      })
      .strict(),
  })
  .strict();
export type Provenance = z.infer<typeof provenanceSchema>;

/** build-manifest.json: the seed's fields, every figure measured or null with a reason. */
export const buildManifestSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    buildId: z.string().min(1),
    name: z.string().min(1),
    version: z.string().min(1),
    buildTimestamp: z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/),
    buildTimeSource: z.enum(['SOURCE_DATE_EPOCH', 'git', 'now']),
    provenance: provenanceSchema.optional(),
    environment: z
      .object({
        target: z.string(),
        nodeVersion: z.string(),
        npmVersion: z.string().nullable(),
        npmVersionReason: z.string().nullable(),
        platform: z.string(),
      })
      .strict(),
    components: z
      .object({
        database: z
          .object({
            version: z.string().nullable(),
            migrationsCount: z.number().int().nonnegative().nullable(),
            lastMigration: z.string().nullable(),
            healthStatus: z.enum(['HEALTHY', 'UNHEALTHY']).nullable(),
            schemaFingerprint: z.string().nullable(),
            reason: z.string().nullable(),
          })
          .strict(),
        api: z
          .object({
            version: z.string(),
            endpointsCount: z.number().int().nonnegative().nullable(),
            scriptsCount: z.number().int().nonnegative(),
            reason: z.string().nullable(),
          })
          .strict(),
        frontend: z
          .object({
            version: z.string(),
            jsFiles: z.number().int().nonnegative(),
            cssFiles: z.number().int().nonnegative(),
            bytes: z.number().int().nonnegative(),
          })
          .strict(),
        files: z.array(
          z
            .object({ name: z.string(), files: z.number().int().nonnegative(), bytes: z.number().int().nonnegative() })
            .strict(),
        ),
      })
      .strict(),
    deployment: z
      .object({
        packageName: z.string(),
        /** The compressed archive; null inside the archive itself (a file cannot contain its own compressed size). */
        packageSize: sizeSchema.nullable(),
        packageSizeReason: z.string().nullable(),
        /** Bytes of the packed files (uncompressed), without the metadata files. */
        contentBytes: z.number().int().nonnegative(),
        /**
         * Bytes of the project tree before the build. Always null since the tree report moved beside the package
         * (`<package>.report.json`): kept so manifests of older packages still parse.
         */
        sourceBytes: z.number().int().nonnegative().nullable(),
        /** Older packages only (see sourceBytes): the stage scan's inventory of the tree by category. */
        sourceCategories: z
          .array(
            z
              .object({
                name: z.string(),
                bytes: z.number().int().nonnegative(),
                files: z.number().int().nonnegative(),
              })
              .strict(),
          )
          .optional(),
        /** archive bytes / uncompressed tar bytes. */
        compressionRatio: z.number().nullable(),
        /** Older packages only (see sourceBytes); the figure is now `reduction` in `<package>.report.json`. */
        sizeReduction: z.number().nullable(),
        readiness: z.boolean(),
        blockers: z.array(z.string()),
      })
      .strict(),
    quality: z
      .object({
        testCoverage: z.object({ javascript: measured(coverageSchema), groovy: measured(coverageSchema) }).strict(),
        securityScan: measured(
          z
            .object({
              critical: z.number(),
              high: z.number(),
              moderate: z.number(),
              low: z.number(),
              info: z.number(),
              total: z.number(),
            })
            .strict(),
        ),
        performance: measured(z.record(z.string(), z.unknown())),
      })
      .strict(),
  })
  .strict();

export type BuildManifest = z.infer<typeof buildManifestSchema>;
export type Measured<T> = { value: T | null; reason: string | null; source: string | null };
export type Coverage = z.infer<typeof coverageSchema>;

/** deployment-info.json: what a deploy of this package will do, per configured target. */
export const deploymentInfoSchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    application: z.string(),
    version: z.string(),
    environment: z.string(),
    targets: z.array(
      z
        .object({
          name: z.string(),
          type: z.string(),
          strategy: z.string(),
          steps: z.array(z.string()),
          healthUrl: z.string().nullable(),
          rollback: z
            .object({ keepReleases: z.number().int(), database: z.boolean(), backupDatabase: z.boolean() })
            .strict(),
        })
        .strict(),
    ),
  })
  .strict();
export type DeploymentInfo = z.infer<typeof deploymentInfoSchema>;

/** version-compatibility.json */
export const versionCompatibilitySchema = z
  .object({
    schemaVersion: z.literal(SCHEMA_VERSION),
    application: z.string(),
    version: z.string().regex(/^\d+\.\d+\.\d+/),
    database: z
      .object({
        changelog: z.string().nullable(),
        head: z.object({ id: z.string(), author: z.string(), filename: z.string() }).strict().nullable(),
        changeSets: z.number().int().nonnegative().nullable(),
        /**
         * Liquibase's history and lock tables the package writes (`--liquibase-schema-name`, `--database-changelog-
         * table-name`…), so deploy, rollback and health read the same ones; absent in older packages (the defaults).
         */
        historyTables: z.object({ schema: z.string(), changelog: z.string(), lock: z.string() }).strict().optional(),
        /**
         * Names of the environment variables the changelog's `${NAME}` took (database.propertiesFromEnv), never
         * their values; absent when none.
         */
        propertiesFromEnv: z.array(z.string()).optional(),
      })
      .strict(),
    upgradeFrom: z.array(z.string().min(1)),
    runtime: z
      .object({
        node: z.string().nullable(),
        nodeReason: z.string().nullable(),
        postgres: z.string().nullable(),
        postgresReason: z.string().nullable(),
      })
      .strict(),
  })
  .strict();
export type VersionCompatibility = z.infer<typeof versionCompatibilitySchema>;

/** Decimal (SI) human size with two decimals, e.g. `1.02 MB` (the seed writes 1.02MB for 1,020,000 bytes). */
export function humanBytes(bytes: number): string {
  if (bytes < 1000) return `${bytes} B`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = bytes / 1000;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(2)} ${units[i]}`;
}
