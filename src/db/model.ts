/**
 * The database library's data model: every changelog format (Liquibase XML/YAML/JSON masters, formatted SQL,
 * psql \i scripts) is parsed into this, and every output (package SQL, rollback SQL, status) is rendered from it.
 */

export interface SourceLocation {
  /** Path relative to the project root (for messages). */
  file: string;
  /** 1-based line. */
  line: number;
}

export interface Precondition {
  /**
   * `sql-check` (formatted SQL `--precondition-sql-check expectedResult:N sql`) or XML `sqlCheck`, etc.; `and`, `or`
   * and `not` nest `children` to any depth (`not` passes when none of its children passes, as Liquibase's does).
   */
  type:
    | 'sql-check'
    | 'table-exists'
    | 'view-exists'
    | 'column-exists'
    | 'sequence-exists'
    | 'index-exists'
    | 'changeset-executed'
    | 'dbms'
    | 'unique-constraint-exists'
    | 'foreign-key-constraint-exists'
    | 'primary-key-exists'
    | 'row-count'
    | 'table-is-empty'
    | 'changelog-property-defined'
    | 'running-as'
    | 'expected-quoting-strategy'
    /** `customPrecondition`: a Java class Slipway cannot run, so it fails as Liquibase's does without the class. */
    | 'custom'
    | 'and'
    | 'or'
    | 'not';
  expectedResult?: string;
  sql?: string;
  /** Line where `sql` starts, in the file of the Preconditions' location (XML: where the element's text starts). */
  sqlLine?: number;
  /** Extra attributes (tableName, schemaName, columnName, id/author/changeLogFile…). */
  attrs: Record<string, string>;
  /** `not` wrapper */
  negate?: boolean;
  /** Nested checks of `and` / `or` / `not`. */
  children?: Precondition[];
}

export interface Preconditions {
  onFail: 'HALT' | 'CONTINUE' | 'MARK_RAN' | 'WARN';
  onError: 'HALT' | 'CONTINUE' | 'MARK_RAN' | 'WARN';
  onFailMessage?: string;
  onErrorMessage?: string;
  /** and/or combination of the checks */
  operator: 'and' | 'or';
  checks: Precondition[];
  location: SourceLocation;
}

export interface ChangeSet {
  id: string;
  author: string;
  /** FILENAME exactly as Liquibase records it in databasechangelog for the same invocation (logicalFilePath wins). */
  filename: string;
  location: SourceLocation;
  /** Executable SQL after `${property}` substitution (rollback/comment/precondition lines removed). */
  sql: string;
  /** Statements as they will run (split on `;`/endDelimiter unless splitStatements:false). */
  statements: string[];
  /** Liquibase `9:` checksum. */
  checksum: string;
  /** Checksums accepted besides the current one (`--validCheckSum`, `ANY`). */
  validCheckSums: string[];
  /** Rollback SQL statements; `null` when the changeset has none; `[]` for an explicit empty rollback. */
  rollback: string[] | null;
  /**
   * Where each entry of `rollback` starts (file relative to the root, 1-based line), same order and length, when it
   * was written in the changelog (absent for a rollback Liquibase infers from the changes).
   */
  rollbackLocations?: SourceLocation[];
  /** When rollback is null: why, in words for an error ("<sql> has no automatic rollback"), or null when unknown. */
  noRollback: string | null;
  description: string;
  comment: string | null;
  /** Context expression as written (contextFilter/context), or null. */
  contexts: string | null;
  labels: string | null;
  dbms: string | null;
  runOnChange: boolean;
  runAlways: boolean;
  runInTransaction: boolean;
  splitStatements: boolean;
  stripComments: boolean;
  endDelimiter: string | null;
  failOnError: boolean;
  preconditions: Preconditions | null;
  /** `<tagDatabase tag>` in this changeset. */
  tag: string | null;
  /** `ignore:true` / `ignore="true"`: Liquibase neither runs nor records it (selectChangeSets drops it). */
  ignore?: boolean;
  /** `runWith` as written (e.g. `psql`); Slipway always runs SQL itself. */
  runWith?: string | null;
  /** `<sqlFile>` paths (relative to the root) of changes for another dbms, which neither Liquibase nor Slipway runs. */
  notRunSqlFiles?: string[];
  /** Context expressions of the `<include>`/`<includeAll>` elements that led here (all must match). */
  inheritedContexts?: string[];
  /** Label expressions of the enclosing includes (all must match). */
  inheritedLabels?: string[];
  /** Where each entry of `statements` starts (file relative to the root, 1-based line), same order and length. */
  statementLocations?: SourceLocation[];
  /** The pre-4.24 "8:" MD5SUM of the same changeset, to validate rows written by older Liquibase versions. */
  checksumV8?: string;
  /** A change Liquibase's validation refuses (e.g. "replaceIfExists is not allowed on postgresql"), at its line. */
  invalid?: SourceLocation & { message: string; hint: string; field?: string };
}

/** A file a changelog parse read (a changelog, or what a change names: sqlFile, loadData's CSV, …). */
export interface ReadFile {
  /** Path relative to the project root. */
  path: string;
}

/** A file of a psql script (`--mode plain`), with its text: the plain package is that text. */
export interface ChangelogFile extends ReadFile {
  /** Raw content (the plain package's FILE sections). */
  content: string;
  /** psql scripts: 1-based line in `path` where this segment starts (a file that `\i`-includes others is split). */
  startLine?: number;
}

export interface ParseWarning extends SourceLocation {
  code: string;
  message: string;
}

export interface Changelog {
  /** Master file, relative to the project root. */
  master: string;
  /** Changesets in execution order. */
  changeSets: ChangeSet[];
  /**
   * Every file read, in include order. Without their text: nothing after the parse reads it (the parser locates every
   * statement and every warning itself), and kept it was 3 MB of 10,000 changesets' formatted SQL.
   */
  files: ReadFile[];
  warnings: ParseWarning[];
  /** Global properties in effect (caller-supplied ones win), after the whole changelog was read. */
  properties?: Record<string, string>;
  /** Names of the environment variables `${NAME}` took (propertiesFromEnv), sorted; never their values. */
  propertiesFromEnv?: string[];
  /**
   * `<preConditions>` of `<databaseChangeLog>` elements (the master's and every included file's, in include order):
   * Liquibase checks them all before any changeset runs, whatever the contexts or a delta select.
   */
  preconditions?: Preconditions[];
}

/** A row of databasechangelog as Liquibase 4.28 writes it. */
export interface HistoryRow {
  id: string;
  author: string;
  filename: string;
  dateexecuted: string;
  orderexecuted: number;
  exectype: 'EXECUTED' | 'FAILED' | 'SKIPPED' | 'RERAN' | 'MARK_RAN';
  md5sum: string | null;
  description: string | null;
  comments: string | null;
  tag: string | null;
  liquibase: string | null;
  contexts: string | null;
  labels: string | null;
  deployment_id: string | null;
}
