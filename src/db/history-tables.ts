/**
 * Names of Liquibase's two bookkeeping tables. Liquibase lets them be renamed (`--database-changelog-table-name`,
 * `--database-changelog-lock-table-name`); every SQL Slipway writes or reads about history goes through these names.
 */
import { SlipwayError } from '../errors.js';

export interface HistoryTables {
  /** Unqualified name of the history table (Liquibase default `databasechangelog`). */
  changelog: string;
  /** Unqualified name of the lock table (Liquibase default `databasechangeloglock`). */
  lock: string;
}

export const DEFAULT_HISTORY_TABLES: HistoryTables = { changelog: 'databasechangelog', lock: 'databasechangeloglock' };

// Unquoted lower-case identifiers only: Liquibase writes the names unquoted into public.<name>, where PostgreSQL
// folds them to lower case, so anything else would not name the table Liquibase uses.
const NAME = /^[a-z_][a-z0-9_$]{0,62}$/;

/** The tables for optional configured names; throws E_CONFIG for a name Liquibase could not use unquoted. */
export function historyTables(names: { changelogTable?: string; changelogLockTable?: string } = {}): HistoryTables {
  const check = (value: string | undefined, field: string, fallback: string): string => {
    if (value === undefined || value === '') return fallback;
    if (!NAME.test(value)) {
      throw new SlipwayError('E_CONFIG', `${field} ${JSON.stringify(value)} is not a lower-case SQL identifier`, {
        field,
        hint: 'use the name as PostgreSQL stores it: lower case letters, digits and _ (e.g. ddm_db_changelog)',
      });
    }
    return value;
  };
  return {
    changelog: check(names.changelogTable, 'database.changelogTable', DEFAULT_HISTORY_TABLES.changelog),
    lock: check(names.changelogLockTable, 'database.changelogLockTable', DEFAULT_HISTORY_TABLES.lock),
  };
}

/** `public.<history table>`, as Liquibase 4.28 names it in its SQL. */
export function historyTable(t: HistoryTables = DEFAULT_HISTORY_TABLES): string {
  return `public.${t.changelog}`;
}

/** `public.<lock table>`. */
export function lockTable(t: HistoryTables = DEFAULT_HISTORY_TABLES): string {
  return `public.${t.lock}`;
}
