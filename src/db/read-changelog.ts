import path from 'node:path';
import type { ChangelogSource } from '../config/changelog-source.js';
import { parseChangelog, selectChangeSets, type ChangeSetSink } from './changelog/index.js';
import type { ChangeSet, Changelog } from './model.js';

/** A ChangelogSource as the db library accepts it: contexts, labels and properties may be left out (none). */
export type ChangelogInput = Pick<ChangelogSource, 'rootDir' | 'changelog'> &
  Partial<
    Pick<
      ChangelogSource,
      'properties' | 'contexts' | 'labels' | 'customChanges' | 'allowShellInSql' | 'propertiesFromEnv'
    >
  > & {
    /** The environment `${NAME}` may read (default process.env): see propertiesFromEnv. */
    environment?: Record<string, string | undefined>;
    /** `--strict`: changelog warnings (what Liquibase ignores) become errors. */
    strict?: boolean;
    /** Liquibase `--default-schema-name`: the schema of objects without schemaName (default public). */
    defaultSchema?: string;
    /** History table names as given, for the `${database.…}` built-in properties. */
    historyTables?: { changelogTable?: string; changelogLockTable?: string; changelogSchema?: string };
  };

export interface ReadChangelogResult {
  /** Every changeset the changelog defines (for drift and unknown-row checks). */
  parsed: Changelog;
  /** The changesets the source's contexts, labels and dbms select, in run order. */
  selected: ChangeSet[];
}

/**
 * Parses and selects with one set of contexts/labels/properties (with `onChangeSet`, each changeset goes there as it
 * is read, and both lists are empty): the parser needs the contexts too (a
 * context-limited `<property>` changes the SQL), so no caller may pass them to only one of the two steps.
 */
export async function readChangelog(source: ChangelogInput, onChangeSet?: ChangeSetSink): Promise<ReadChangelogResult> {
  const contexts = source.contexts?.length ? { contexts: source.contexts } : {};
  const labels = source.labels ? { labels: source.labels } : {};
  const parsed = await parseChangelog({
    rootDir: source.rootDir,
    changelog: source.changelog,
    ...(source.properties ? { properties: source.properties } : {}),
    ...contexts,
    ...labels,
    ...(source.customChanges
      ? {
          // The parser reads files relative to the search path.
          customChanges: Object.fromEntries(
            Object.entries(source.customChanges).map(([cls, file]) => [
              cls,
              path.relative(path.resolve(source.rootDir), path.resolve(source.rootDir, file)).split(path.sep).join('/'),
            ]),
          ),
        }
      : {}),
    ...(source.strict ? { strict: true } : {}),
    ...(source.defaultSchema ? { defaultSchema: source.defaultSchema } : {}),
    ...(source.historyTables ? { historyTables: source.historyTables } : {}),
    ...(source.propertiesFromEnv ? { propertiesFromEnv: true } : {}),
    ...(source.environment ? { environment: source.environment } : {}),
    ...(onChangeSet ? { onChangeSet } : {}),
  });
  // With onChangeSet, parsed.changeSets is empty: the sink was told which ones these filters select.
  const selected = selectChangeSets(parsed.changeSets, { ...contexts, ...labels, dbms: 'postgresql' });
  return { parsed, selected };
}
