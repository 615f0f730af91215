import path from 'node:path';
import { SlipwayError } from '../errors.js';
import type { Config } from './schema.js';

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
  };
}

/** database.customChanges with each SQL file resolved against the config file's directory. */
export function customChangeFiles(config: Config): Record<string, string> {
  return Object.fromEntries(
    Object.entries(config.database.customChanges).map(([cls, file]) => [cls, path.resolve(config.configDir, file)]),
  );
}

/**
 * The ChangelogSource of a config for `file` (a path relative to the config file; default `database.changelog`).
 * The search path is the project root (`root`), so `slipway build`, `slipway db …` and the server record the same
 * FILENAME for the same changelog. Returns null when the config names no changelog.
 */
export function changelogSourceOf(config: Config, file = config.database.changelog): ChangelogSource | null {
  if (!file) return null;
  const db = config.database;
  return resolveChangelogSource({
    rootDir: config.rootDir,
    master: path.resolve(config.configDir, file),
    properties: db.properties,
    contexts: db.contexts,
    labels: db.labels,
    customChanges: customChangeFiles(config),
    allowShellInSql: db.allowShellInSql,
    field: file === db.changelog ? 'database.changelog' : 'database.psqlScripts',
    file: config.configFile,
  });
}
