/**
 * Names of Liquibase's two bookkeeping tables and their schema. Liquibase lets them be renamed
 * (`--database-changelog-table-name`, `--database-changelog-lock-table-name`) and moved (`--liquibase-schema-name`);
 * every SQL Slipway writes or reads about history goes through these names, and a package records them
 * (version-compatibility.json `database.historyTables`) so deploy, rollback and health read the same tables.
 */
import { SlipwayError } from '../errors.js';

export interface HistoryTables {
  /** Schema of both tables (Liquibase `--liquibase-schema-name`; default `public`). */
  schema: string;
  /** Unqualified name of the history table (Liquibase default `databasechangelog`). */
  changelog: string;
  /** Unqualified name of the lock table (Liquibase default `databasechangeloglock`). */
  lock: string;
}

/** The configurable names, as the config (`database.changelogTable`…) and the db commands' flags give them. */
export interface HistoryTableNames {
  changelogTable?: string;
  changelogLockTable?: string;
  changelogSchema?: string;
  /**
   * Liquibase `--default-schema-name`: where objects without schemaName go (the package puts it first on the
   * search_path, as Liquibase's DatabaseUtils.initializeDatabase does) and, as in Liquibase, the default schema of
   * the history tables when changelogSchema is not set.
   */
  defaultSchemaName?: string;
}

export const DEFAULT_HISTORY_TABLES: HistoryTables = {
  schema: 'public',
  changelog: 'databasechangelog',
  lock: 'databasechangeloglock',
};

// Unquoted lower-case identifiers only: Liquibase writes the names unquoted (`<schema>.<name>`), where PostgreSQL
// folds them to lower case, so anything else would not name the table Liquibase uses.
const NAME = /^[a-z_][a-z0-9_$]{0,62}$/;

/**
 * The tables for optional configured names; throws E_CONFIG for a name Liquibase could not use unquoted. The two
 * table names are lower-cased first, as Liquibase 4.28's PostgresDatabase.getDatabaseChangeLogTableName and
 * getDatabaseChangeLogLockTableName lower-case whatever they are given (ACT_LOG and Act_Log are both the table
 * act_log, also in `${database.databaseChangeLogTableName}`); the schema names are taken as given, as Liquibase
 * takes them.
 */
export function historyTables(names: HistoryTableNames = {}): HistoryTables {
  const check = (value: string | undefined, field: string, fallback: string, correct = false): string => {
    if (value === undefined || value === '') return fallback;
    const name = correct ? value.toLowerCase() : value;
    if (!NAME.test(name)) {
      throw new SlipwayError('E_CONFIG', `${field} ${JSON.stringify(value)} is not a lower-case SQL identifier`, {
        field,
        hint: correct
          ? 'use letters, digits and _ (e.g. ddm_db_changelog; Liquibase lower-cases the name, so DDM_DB_CHANGELOG is the same table): a name Liquibase must quote (with - or a space, starting with a digit, a reserved word) is not supported'
          : 'use the name as PostgreSQL stores it: lower case letters, digits and _ (e.g. ddm_db_changelog)',
      });
    }
    return name;
  };
  const schemaDefault = check(names.defaultSchemaName, 'database.defaultSchemaName', DEFAULT_HISTORY_TABLES.schema);
  return {
    schema: check(names.changelogSchema, 'database.changelogSchema', schemaDefault),
    changelog: check(names.changelogTable, 'database.changelogTable', DEFAULT_HISTORY_TABLES.changelog, true),
    lock: check(names.changelogLockTable, 'database.changelogLockTable', DEFAULT_HISTORY_TABLES.lock, true),
  };
}

/** Only the names that are set (for passing them on without `undefined` values). */
export function pickHistoryTableNames(o: HistoryTableNames): HistoryTableNames {
  return {
    ...(o.changelogTable ? { changelogTable: o.changelogTable } : {}),
    ...(o.changelogLockTable ? { changelogLockTable: o.changelogLockTable } : {}),
    ...(o.changelogSchema ? { changelogSchema: o.changelogSchema } : {}),
    ...(o.defaultSchemaName ? { defaultSchemaName: o.defaultSchemaName } : {}),
  };
}

/**
 * The tables a package records (version-compatibility.json `database.historyTables`); absent in packages built
 * before it was recorded, which always used the defaults. A malformed value is E_PACKAGE naming `where`.
 */
export function historyTablesOfPackage(value: unknown, where: string): HistoryTables {
  if (value === undefined || value === null) return DEFAULT_HISTORY_TABLES;
  const v = value as Record<string, unknown>;
  try {
    if (typeof v !== 'object' || [v.schema, v.changelog, v.lock].some((x) => typeof x !== 'string'))
      throw new Error('needs the strings schema, changelog and lock');
    return historyTables({
      changelogSchema: v.schema as string,
      changelogTable: v.changelog as string,
      changelogLockTable: v.lock as string,
    });
  } catch (e) {
    throw new SlipwayError('E_PACKAGE', `${where}: database.historyTables is invalid: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** The validated `defaultSchemaName` (a lower-case identifier), or undefined when none is set. */
export function defaultSchemaOf(names: HistoryTableNames): string | undefined {
  if (!names.defaultSchemaName) return undefined;
  historyTables({ defaultSchemaName: names.defaultSchemaName });
  return names.defaultSchemaName;
}

/** `<schema>.<history table>`, as Liquibase 4.28 names it in its SQL (`public.databasechangelog`). */
export function historyTable(t: HistoryTables = DEFAULT_HISTORY_TABLES): string {
  return `${t.schema}.${t.changelog}`;
}

/** `<schema>.<lock table>`. */
export function lockTable(t: HistoryTables = DEFAULT_HISTORY_TABLES): string {
  return `${t.schema}.${t.lock}`;
}
