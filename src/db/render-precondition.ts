import type { Precondition, Preconditions } from './model.js';
import { DEFAULT_HISTORY_TABLES, historyTable, type HistoryTables } from './history-tables.js';
import { quoteLiteral } from './sql-text.js';
import { jdbcText } from './jdbc-text.js';
import { staticLeaf } from './precondition-static.js';
import { changeSetPathKey } from './changelog/paths.js';
import { recordedPathKeySql } from './render-bookkeeping.js';

/**
 * PL/pgSQL statements that check a changeset's (or changelog's) preconditions when the package runs, leaving the
 * outcome in the boolean variable `passed`. They check as Liquibase 4.28's AndPrecondition, OrPrecondition and
 * NotPrecondition do, in order and no further than needed: <and> (and <preConditions> itself) stops at the first check
 * that fails, <or> at the first that passes, <not> at the first nested check that passes; a check never reached is
 * never run, so it cannot error. The checks that read the changelog's own tables (sqlCheck, rowCount, tableIsEmpty)
 * run through EXECUTE: planned only when reached, a table that does not exist, or a syntax error in the changelog's
 * SQL, is an error of that check alone, which the caller's block catches (onError), as Liquibase's check errors.
 * Found on DIGI-UW/OpenELIS-Global-2: `<tableExists tableName="system_configuration"/>` then a sqlCheck reading that
 * table, which Liquibase marks ran (the table is missing) and a single SQL expression could not even plan.
 */
export function renderPreconditionProgram(pre: Preconditions, t: HistoryTables = DEFAULT_HISTORY_TABLES): string {
  return combine(pre.checks, pre.operator, t);
}

/**
 * Statements setting `passed` to `checks` joined by `operator`, each checked only while the outcome is open: one
 * `IF` per later check, side by side (once decided, `passed` stays as it is, so each later IF is skipped), not nested,
 * so a long list neither recurses here nor nests PL/pgSQL blocks.
 */
function combine(checks: Precondition[], operator: 'and' | 'or', t: HistoryTables): string {
  if (checks.length === 0) return 'passed := TRUE;';
  const open = operator === 'and' ? 'passed' : 'NOT passed';
  let out = check(checks[0]!, t);
  for (let i = 1; i < checks.length; i++) out += ` IF ${open} THEN ${check(checks[i]!, t)} END IF;`;
  return out;
}

/** Statements setting `passed` to the outcome of one check, its `negate` (a one-check <not>) applied. */
function check(c: Precondition, t: HistoryTables): string {
  const body =
    c.type === 'and' || c.type === 'or'
      ? combine(c.children ?? [], c.type, t)
      : c.type === 'not'
        ? // Liquibase's NotPrecondition fails as soon as one nested check passes.
          `${combine(c.children ?? [], 'or', t)} passed := NOT passed;`
        : c.type === 'sql-check' || c.type === 'row-count' || c.type === 'table-is-empty'
          ? `EXECUTE ${quoteLiteral(`SELECT ${renderLeaf(c, t)}`)} INTO passed;`
          : `passed := ${renderLeaf(c, t)};`;
  return c.negate ? `${body} passed := NOT passed;` : body;
}

function schemaExpr(attrs: Record<string, string>): string {
  return attrs.schemaName ? `lower(${quoteLiteral(attrs.schemaName)})` : 'current_schema()';
}

/** Liquibase compares object names case-insensitively on PostgreSQL (its snapshot lower-cases unquoted names). */
const sameName = (column: string, value: string | undefined) =>
  `lower(${column}) = lower(${quoteLiteral(value ?? '')})`;

/** The relation `attrs.tableName` in the check's schema, as a pg_class oid subquery. */
function tableOid(attrs: Record<string, string>): string {
  return `(SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ${schemaExpr(attrs)} AND ${sameName('c.relname', attrs.tableName)})`;
}

/** Key columns of constraint/index `k` (an int2[] of attnums on relation `rel`), lower-cased, in order. */
function columnList(rel: string, keys: string): string {
  return `ARRAY(SELECT lower(a.attname::text) FROM unnest(${keys}) WITH ORDINALITY k(attnum, ord) JOIN pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k.attnum ORDER BY k.ord)`;
}

function namesArray(list: string | undefined): string {
  const names = (list ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  return `ARRAY[${names.map((n) => quoteLiteral(n)).join(', ')}]::text[]`;
}

/** A constraint of `contype` in the check's schema, by name and/or table (UC/FK/PK exists preconditions). */
function constraintExists(
  contype: 'u' | 'f' | 'p',
  name: string | undefined,
  a: Record<string, string>,
  table?: string,
): string {
  const conds = [`con.contype = '${contype}'`, `n.nspname = ${schemaExpr(a)}`];
  if (name) conds.push(sameName('con.conname', name));
  if (table) conds.push(`con.conrelid = ${tableOid({ ...a, tableName: table })}`);
  if (contype === 'u' && !name && a.columnNames)
    conds.push(`${columnList('con.conrelid', 'con.conkey')} = ${namesArray(a.columnNames)}`);
  return `EXISTS (SELECT 1 FROM pg_constraint con JOIN pg_namespace n ON n.oid = con.connamespace WHERE ${conds.join(' AND ')})`;
}

/**
 * sqlCheck as Liquibase's SqlPrecondition runs it: exactly one row is required (no rows is a DatabaseException, so
 * the check errors and onError applies — raised here through a failing cast that carries the message), and the value
 * is compared in JDBC's string form, where a boolean reads `t`/`f` (pgjdbc getString), not PostgreSQL's true/false.
 */
function sqlCheck(c: Precondition): string {
  // Sent through pgjdbc like any statement of Liquibase's: `??` reaches the server as `?`.
  const sql = jdbcText((c.sql ?? '').trim()).replace(/;\s*$/, '');
  const value = `CASE WHEN pg_typeof(q.v) = 'boolean'::regtype THEN CASE WHEN q.v::text = 'true' THEN 't' ELSE 'f' END ELSE q.v::text END`;
  return `(SELECT CASE WHEN count(*) <> 1 THEN ('slipway: sqlCheck returned ' || count(*) || ' rows, expected one')::int::text ELSE max(${value}) END FROM (${sql}) AS q(v)) IS NOT DISTINCT FROM ${quoteLiteral(c.expectedResult ?? '')}`;
}

/** One check that has no nested checks, as a boolean SQL expression. */
function renderLeaf(c: Precondition, t: HistoryTables): string {
  const a = c.attrs;
  switch (c.type) {
    case 'and':
    case 'or':
    case 'not':
      throw new Error(`renderLeaf: <${c.type}> has nested checks (render it with check())`);
    case 'sql-check':
      return sqlCheck(c);
    case 'table-exists':
      return `EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = ${schemaExpr(a)} AND lower(table_name) = lower(${quoteLiteral(a.tableName ?? '')}))`;
    case 'view-exists':
      return `EXISTS (SELECT 1 FROM information_schema.views WHERE table_schema = ${schemaExpr(a)} AND lower(table_name) = lower(${quoteLiteral(a.viewName ?? '')}))`;
    case 'column-exists':
      return `EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = ${schemaExpr(a)} AND lower(table_name) = lower(${quoteLiteral(a.tableName ?? '')}) AND lower(column_name) = lower(${quoteLiteral(a.columnName ?? '')}))`;
    case 'sequence-exists':
      return `EXISTS (SELECT 1 FROM information_schema.sequences WHERE sequence_schema = ${schemaExpr(a)} AND lower(sequence_name) = lower(${quoteLiteral(a.sequenceName ?? '')}))`;
    case 'index-exists': {
      const conds = [`n.nspname = ${schemaExpr(a)}`];
      if (a.indexName) conds.push(sameName('ic.relname', a.indexName));
      if (a.tableName) conds.push(`i.indrelid = ${tableOid(a)}`);
      if (a.columnNames) conds.push(`${columnList('i.indrelid', 'i.indkey::int2[]')} = ${namesArray(a.columnNames)}`);
      return `EXISTS (SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_namespace n ON n.oid = ic.relnamespace WHERE ${conds.join(' AND ')})`;
    }
    case 'unique-constraint-exists':
      return constraintExists('u', a.constraintName, a, a.tableName);
    case 'foreign-key-constraint-exists':
      return constraintExists('f', a.foreignKeyName, a, a.foreignKeyTableName);
    case 'primary-key-exists':
      return constraintExists('p', a.primaryKeyName, a, a.tableName);
    case 'row-count':
      return `(SELECT count(*) FROM ${a.table}) = ${Number.parseInt(a.expectedRows ?? '0', 10) || 0}`;
    case 'table-is-empty':
      return `NOT EXISTS (SELECT 1 FROM ${a.table})`;
    case 'dbms':
    case 'changelog-property-defined':
    case 'expected-quoting-strategy':
    case 'custom':
      // Known when the package is built: one decision, shared with the parser (precondition-static.ts).
      return staticLeaf(c) ? 'TRUE' : 'FALSE';
    case 'running-as':
      // RunningAsPrecondition: the connection's user name (pgjdbc: the login user, so session_user, not a SET ROLE),
      // cut at '@', equalsIgnoreCase the username attribute.
      return `lower(split_part(session_user::text, '@', 1)) = lower(${quoteLiteral(a.username ?? '')})`;
    case 'changeset-executed':
      // ChangeSetExecutedPrecondition asks for a ran changeset RanChangeSet.isSameAs the one named: id and author
      // ignoring case, the paths compared normalised and ignoring case (changeSetPathKey; measured in
      // test/integration/db-changeset-executed-oracle.test.ts).
      return `EXISTS (SELECT 1 FROM ${historyTable(t)} WHERE lower(ID) = lower(${quoteLiteral(a.id ?? '')}) AND lower(AUTHOR) = lower(${quoteLiteral(a.author ?? '')}) AND lower(${recordedPathKeySql('FILENAME')}) = ${quoteLiteral(changeSetPathKey(a.changeLogFile ?? ''))})`;
  }
}
