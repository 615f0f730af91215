import path from 'node:path';
import { SlipwayError } from '../errors.js';
import type { DatabaseConfig } from './sections/database.js';

/**
 * Everything the changelog parser needs, resolved once: every caller (build, db commands, server, verify) passes
 * this same value, so the search path, contexts, labels and properties cannot drift between them.
 */
export interface ChangelogSource {
  /** Liquibase search path (absolute): the FILENAME column records the changelog relative to it. */
  rootDir: string;
  /** Master changelog relative to rootDir, `/`-separated. */
  changelog: string;
  /** Caller properties (like `liquibase -Dname=value`). */
  properties: Record<string, string>;
  /** Runtime contexts: select changesets and decide which context-limited `<property>` definitions apply. */
  contexts: string[];
  /** Runtime label expression. */
  labels?: string;
  /** database.customChanges: customChange class name → SQL file (absolute) run in its place. */
  customChanges?: Record<string, string>;
  /** database.allowShellInSql: SQL that runs a shell is packaged instead of refused (src/db/package-safety.ts). */
  allowShellInSql?: boolean;
  /** database.propertiesFromEnv: `${NAME}` takes environment variables, as in Liquibase (src/db/properties.ts). */
  propertiesFromEnv?: boolean;
}

export interface ResolveChangelogSourceInput {
  /** The search path (absolute). */
  rootDir: string;
  /** The master changelog, absolute. */
  master: string;
  properties?: Record<string, string>;
  contexts?: string[];
  labels?: string | undefined;
  /** customChange class name → SQL file (absolute). */
  customChanges?: Record<string, string>;
  allowShellInSql?: boolean;
  propertiesFromEnv?: boolean;
  /** The config field the master came from (error code E_CONFIG); a flag value when absent (E_USAGE). */
  field?: string;
  /** The config file, named in the error. */
  file?: string;
}

/** Builds a ChangelogSource; a master outside the search path is refused (Liquibase could not name it). */
export function resolveChangelogSource(input: ResolveChangelogSourceInput): ChangelogSource {
  const rootDir = path.resolve(input.rootDir);
  const changelog = path.relative(rootDir, path.resolve(input.master)).split(path.sep).join('/');
  if (changelog === '' || changelog === '..' || changelog.startsWith('../') || path.isAbsolute(changelog)) {
    throw new SlipwayError(
      input.field ? 'E_CONFIG' : 'E_USAGE',
      `changelog ${input.master} is outside the root ${rootDir}`,
      {
        ...(input.field ? { field: input.field } : {}),
        ...(input.file ? { file: input.file } : {}),
        hint: input.field
          ? 'Set `root` (relative to the config file) to a directory that contains the changelog: FILENAMEs are recorded relative to it.'
          : 'Pass --root DIR (the Liquibase search path) that contains it.',
      },
    );
  }
  return {
    rootDir,
    changelog,
    properties: { ...(input.properties ?? {}) },
    contexts: [...(input.contexts ?? [])],
    ...(input.labels ? { labels: input.labels } : {}),
    ...(input.customChanges && Object.keys(input.customChanges).length
      ? { customChanges: { ...input.customChanges } }
      : {}),
    ...(input.allowShellInSql ? { allowShellInSql: true } : {}),
    ...(input.propertiesFromEnv ? { propertiesFromEnv: true } : {}),
  };
}

/** What a ChangelogSource is resolved from: the config's locations and its database section. */
export interface ChangelogConfig {
  rootDir: string;
  configDir: string;
  configFile: string;
  database: DatabaseConfig;
}

/** database.customChanges with each SQL file resolved against the config file's directory. */
export function customChangeFiles(config: Pick<ChangelogConfig, 'configDir' | 'database'>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config.database.customChanges).map(([cls, file]) => [cls, path.resolve(config.configDir, file)]),
  );
}

/**
 * The ChangelogSource of `database.changelog` and of each `database.psqlScripts` entry, keyed by the path as
 * written, resolved once when the config loads. The search path is the project root (`root`), so `slipway build`,
 * `slipway db …` and the server record the same FILENAME for the same changelog; a changelog outside the root is
 * refused here, naming the field.
 */
export function resolveChangelogs(config: ChangelogConfig): Record<string, ChangelogSource> {
  const db = config.database;
  const out: Record<string, ChangelogSource> = {};
  for (const file of [db.changelog, ...db.psqlScripts]) {
    if (!file || out[file]) continue;
    out[file] = resolveChangelogSource({
      rootDir: config.rootDir,
      master: path.resolve(config.configDir, file),
      properties: db.properties,
      contexts: db.contexts,
      labels: db.labels,
      customChanges: customChangeFiles(config),
      allowShellInSql: db.allowShellInSql,
      propertiesFromEnv: db.propertiesFromEnv,
      field: file === db.changelog ? 'database.changelog' : 'database.psqlScripts',
      file: config.configFile,
    });
  }
  return out;
}

/**
 * The resolved ChangelogSource for `file` (a path as written in the config; default `database.changelog`); null
 * when the config names no changelog. Only files the config names have one (E_CONFIG otherwise).
 */
export function changelogSourceOf(
  config: { changelogs: Record<string, ChangelogSource>; database: Pick<DatabaseConfig, 'changelog'> },
  file = config.database.changelog,
): ChangelogSource | null {
  if (!file) return null;
  const source = config.changelogs[file];
  if (!source)
    throw new SlipwayError('E_CONFIG', `${file} is neither database.changelog nor one of database.psqlScripts`, {
      field: 'database',
    });
  return source;
}
