/** State shared while one master changelog and everything it includes is parsed. */
import type { ChangeSet, ParseWarning, Preconditions, ReadFile } from '../model.js';
import type { PropertyScope } from '../properties.js';
import type { SchemaModel } from '../changes/schema-model.js';
import type { PropertyRemoval } from './remove-property.js';
import type { RealDirs } from './paths.js';
import type { ReusableChangeSet } from './select.js';

export interface ParseFilter {
  contexts?: string[];
  labels?: string;
  dbms?: string;
}

export interface WalkState {
  /** Absolute root (the Liquibase search path). */
  rootDir: string;
  properties: PropertyScope;
  filter: ParseFilter;
  /** The changesets read so far, in file order; empty when parseChangelog hands them to onChangeSet instead. */
  changeSets: ChangeSet[];
  /**
   * Every changeset read so far, in file order, as a reused rollback looks them up: the ChangeSets themselves, or
   * when they are handed on (onChangeSet) only what a reused rollback and the duplicate check read of each.
   */
  earlier: ReusableChangeSet[];
  /**
   * Takes a finished changeset (after its runOrder and skipped body are noted), in file order; returns what of it
   * `earlier` keeps.
   */
  add: (cs: ChangeSet) => ReusableChangeSet;
  /** The changesets whose runOrder is "first" or "last" (placed by applyRunOrder once every file is read). */
  runOrder: Map<ChangeSet, 'first' | 'last'>;
  /** Changelog-level `<preConditions>`, in include order. */
  preconditions: Preconditions[];
  /**
   * The master changelog's objectQuotingStrategy (LEGACY when it sets none). Liquibase 4.28 checks a changeSet's
   * preconditions against the changelog being run, so expectedQuotingStrategy compares with this one in every file
   * (measured: an included file's own QUOTE_ALL_OBJECTS does not count).
   */
  masterQuoting?: 'LEGACY' | 'QUOTE_ALL_OBJECTS' | 'QUOTE_ONLY_RESERVED_WORDS';
  /** Every file read, in include order (their text is not kept: see expressionLines). */
  files: ReadFile[];
  /**
   * The line where each `${NAME}` that Liquibase would answer from outside the changelog (properties.outside) is
   * first written in the file that asked, by `file + '\0' + NAME`: found when that file's parse ends, from the text
   * it was parsed from, so no file's text outlives its parse (locateExpression in index.ts).
   */
  expressionLines: Map<string, number>;
  warnings: ParseWarning[];
  /** Include chain (root-relative paths), for cycle errors. */
  stack: { path: string }[];
  /** Real paths of the folders files were read from (readablePath's cache for this parse). */
  realDirs: RealDirs;
  /** Files read (root-relative), including sqlFile targets. */
  read: Set<string>;
  /** Directories that hold explicitly included files (for the "never included" warning). */
  includeDirs: Set<string>;
  /** Column types declared by the changes parsed so far (loadData without column types). */
  schemaModel?: SchemaModel;
  /** The schema generated SQL names for objects without schemaName (Liquibase's defaultSchemaName; public). */
  defaultSchema: string;
  /** database.customChanges: customChange class name → root-relative SQL file run instead. */
  customChanges?: Record<string, string>;
  /**
   * The changesets whose body the package leaves out (bodyNeverRuns: preconditions that fail on PostgreSQL whatever
   * the database holds), each with the split of that body, made when a `<rollback changeSetId=…>` reuses it.
   */
  skippedBodies?: Map<ReusableChangeSet, () => string[]>;
  /** Whether a property limited by context/labels/dbms applies to this parse. */
  propertyApplies: (p: { context: string | null; labels: string | null; dbms: string | null }) => boolean;
}

/** Per-file context: where it is, which logicalFilePath and inherited filters apply. */
export interface FileContext {
  /** Root-relative path as Liquibase records it (physical path), unless recordedPath says otherwise. */
  path: string;
  /**
   * The physical path Liquibase 4.28 records for this XML/YAML/JSON file's changesets where it is not `path`: an
   * include written "//db//a.xml" is read from <root>/db/a.xml but recorded "/db/a.xml", as DatabaseChangeLog.
   * normalizePath takes one leading "/" off and Commons IO's normalize keeps the next (measured).
   */
  recordedPath?: string;
  logicalFilePath: string | null;
  inheritedContexts: string[];
  inheritedLabels: string[];
  /** objectQuotingStrategy of the enclosing <databaseChangeLog>. */
  objectQuotingStrategy?: 'LEGACY' | 'QUOTE_ALL_OBJECTS' | 'QUOTE_ONLY_RESERVED_WORDS';
  /** The file's `xsi:schemaLocation` (XML), which decides what Liquibase's validating parser accepts in it. */
  schemaLocation?: string | undefined;
  /** `<removeChangeSetProperty>`s of this file read so far (they apply to its later addColumn changes). */
  removals?: PropertyRemoval[];
}
