import { z } from 'zod';
import type { ChangelogSource } from './changelog-source.js';
import type { PackageJsonFacts } from './package-json.js';
import { buildSchema } from './sections/build.js';
import { databaseSchema } from './sections/database.js';
import { deploySchema } from './sections/deploy.js';
import { serverSchema } from './sections/server.js';

export const ENVIRONMENT_NAME = /^[a-z][a-z0-9_-]*$/;

/** The config file as validated (after env interpolation and the environment overlay). */
export const configSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/i, 'letters, digits, ".", "_" or "-"'),
    /** Defaults to the version in <root>/package.json. */
    version: z
      .string()
      .regex(/^\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$/, 'a semantic version like 1.2.0')
      .optional(),
    /** Project root, relative to the config file. */
    root: z.string().default('.'),
    /** Absent on a deploy-only host: then there are no components, and a build says so (src/fileset/scan.ts). */
    build: buildSchema.prefault({ components: {} }),
    database: databaseSchema.prefault({}),
    deploy: deploySchema.prefault({}),
    server: serverSchema.prefault({}),
    /** Per-environment overlays (dev, uat, staging, prod…), deep-merged over the settings above. */
    environments: z.record(z.string().regex(ENVIRONMENT_NAME), z.record(z.string(), z.unknown())).default({}),
  })
  .strict();

export type ConfigFile = z.infer<typeof configSchema>;

/** Validated config with resolved locations. Paths inside stay as written (relative to `configDir`). */
export type Config = Omit<ConfigFile, 'version'> & {
  /**
   * `version`, else the version in <root>/package.json; null when neither exists (a deploy-only host: the package
   * carries its own version). Building needs one: buildVersion() says so.
   */
  version: string | null;
  /** Absolute path of the config file. */
  configFile: string;
  configDir: string;
  /** Absolute project root. */
  rootDir: string;
  /** Selected environment name. */
  environment: string;
  /** Where each leaf value came from: `file:line`, `environments.prod (file:line)`, `env $VAR`, `flag`, `default`. */
  sources: Record<string, string>;
  /** `<rootDir>/package.json`, read once at load time (version fallback, engines, the lockfile check). */
  packageJson: PackageJsonFacts;
  /** The ChangelogSource of `database.changelog` and of each `database.psqlScripts` entry, by the path as written. */
  changelogs: Record<string, ChangelogSource>;
};
