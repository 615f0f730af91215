import type { Precondition, Preconditions } from './model.js';
import { DEFAULT_HISTORY_TABLES, historyTable, type HistoryTables } from './history-tables.js';
import { quoteLiteral } from './sql-text.js';

/** One boolean SQL expression for a changeset's preconditions, evaluated when the package runs. */
export function renderPreconditionExpr(pre: Preconditions, t: HistoryTables = DEFAULT_HISTORY_TABLES): string {
  if (pre.checks.length === 0) return 'TRUE';
  const parts = pre.checks.map((c) => {
    const e = renderCheck(c, t);
    return c.negate ? `NOT (${e})` : `(${e})`;
  });
  return parts.join(pre.operator === 'or' ? ' OR ' : ' AND ');
}

function schemaExpr(attrs: Record<string, string>): string {
  return attrs.schemaName ? `lower(${quoteLiteral(attrs.schemaName)})` : 'current_schema()';
}

function renderCheck(c: Precondition, t: HistoryTables): string {
  const a = c.attrs;
  switch (c.type) {
    case 'sql-check': {
      // Liquibase compares the single value's string form with expectedResult.
      const sql = (c.sql ?? '').trim().replace(/;\s*$/, '');
      return `COALESCE((${sql})::text, '') = ${quoteLiteral(c.expectedResult ?? '')}`;
    }
    case 'table-exists':
      return `EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = ${schemaExpr(a)} AND lower(table_name) = lower(${quoteLiteral(a.tableName ?? '')}))`;
    case 'view-exists':
      return `EXISTS (SELECT 1 FROM information_schema.views WHERE table_schema = ${schemaExpr(a)} AND lower(table_name) = lower(${quoteLiteral(a.viewName ?? '')}))`;
    case 'column-exists':
      return `EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = ${schemaExpr(a)} AND lower(table_name) = lower(${quoteLiteral(a.tableName ?? '')}) AND lower(column_name) = lower(${quoteLiteral(a.columnName ?? '')}))`;
    case 'sequence-exists':
      return `EXISTS (SELECT 1 FROM information_schema.sequences WHERE sequence_schema = ${schemaExpr(a)} AND lower(sequence_name) = lower(${quoteLiteral(a.sequenceName ?? '')}))`;
    case 'index-exists':
      return `EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = ${schemaExpr(a)} AND lower(indexname) = lower(${quoteLiteral(a.indexName ?? '')}))`;
    case 'changeset-executed':
      return `EXISTS (SELECT 1 FROM ${historyTable(t)} WHERE ID = ${quoteLiteral(a.id ?? '')} AND AUTHOR = ${quoteLiteral(a.author ?? '')} AND FILENAME = ${quoteLiteral(a.changeLogFile ?? '')})`;
    case 'dbms':
      return (a.type ?? '')
        .split(',')
        .map((s) => s.trim().toLowerCase())
        .includes('postgresql')
        ? 'TRUE'
        : 'FALSE';
  }
}
