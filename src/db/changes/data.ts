/** insert, update, delete (with `<where>` and `<whereParams>`) as Liquibase 4.28 renders them for PostgreSQL. */
import type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';
import { columnNodes } from './change-node.js';
import { loadColumn, serialColumn, type ColumnConfig } from './column-config.js';
import { loadFields, required } from './fields.js';
import { escapeColumn, escapeName, qualifiedName, stringLiteral, type NameContext } from './identifiers.js';
import { lobFileValue } from './lob.js';
import { dataValueSql, type Value } from './values.js';

/** The value of a column in data changes, with sequence functions qualified by the change's schema. */
function valueOf(c: ColumnConfig, schema: string | undefined): Value | null {
  const v = c.value;
  if (v && (v.kind === 'sequenceNext' || v.kind === 'sequenceCurrent')) return { ...v, schema };
  return v;
}

/**
 * valueBlobFile / valueClobFile: Liquibase 4.28 runs such an insert or update as a prepared statement that binds the
 * file's content (InsertExecutablePreparedStatement, UpdateExecutablePreparedStatement), not the file's name.
 */
function withFileValues(
  columns: ColumnConfig[],
  f: Record<string, string>,
  ctx: BuildContext,
  node: ChangeNode,
): ColumnConfig[] {
  return columns.map((c) => {
    const blob = c.fields.valueBlobFile;
    const clob = c.fields.valueClobFile;
    if (blob === undefined && clob === undefined) return c;
    const value =
      clob !== undefined
        ? lobFileValue('CLOB', clob, c.fields.encoding, f.schemaName, f.tableName!, c.name ?? '', ctx, node)
        : lobFileValue('BLOB', blob!, undefined, f.schemaName, f.tableName!, c.name ?? '', ctx, node);
    return { ...c, value };
  });
}

/** SqlUtil.replacePredicatePlaceholders: `:name` → next whereParam name, `:value` / `?` → next whereParam value. */
function whereSql(where: string, params: ColumnConfig[], names: NameContext): string {
  const colNames = params.map((p) => p.name).filter((n): n is string => n !== undefined);
  let ci = 0;
  let pi = 0;
  return where.trim().replace(/:name|\?|:value/g, (m) => {
    if (m === ':name') return ci < colNames.length ? escapeName(colNames[ci++]!, names) : m;
    if (pi >= params.length) return m;
    const v = params[pi++]!.value;
    // fromObject(param).objectToSql: strings quoted, numbers/booleans/functions as the database prints them.
    return v?.kind === 'string' ? stringLiteral(v.text) : dataValueSql(v, names);
  });
}

// whereParams are not a serialised field (measured: they never appear in the checksum text).

/**
 * UpdateStatement keeps its SET columns in a TreeMap, so `UPDATE … SET` lists them sorted by name (Java String
 * order), not as written.
 */
export function updateColumnOrder<T>(items: T[], key: (t: T) => string): T[] {
  const byName = new Map<string, T>();
  for (const it of items) byName.set(key(it), it);
  return [...byName.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map((k) => byName.get(k)!);
}

/** `<where>` as a child element (XML) or attribute (YAML/JSON), trimmed as Liquibase's parser trims text. */
function whereOf(node: ChangeNode): string | undefined {
  const child = node.children.find((c) => c.name === 'where');
  const w = child ? child.text : node.attrs.where;
  return w === undefined || w.trim() === '' ? undefined : w.trim();
}

function whereParamsOf(node: ChangeNode): ColumnConfig[] {
  const wp = node.children.find((c) => c.name === 'whereParams');
  return wp ? columnNodes(wp, 'param').map(loadColumn) : [];
}

/**
 * InsertStatement keeps its columns in a LinkedHashMap: a name written twice is one column, at its first position,
 * with its last value (measured, 4.28: `b=1, a=2, b=3` inserts `(b, a) VALUES (3, 2)`). A JS Map does the same.
 */
function insertColumns(columns: ColumnConfig[]): ColumnConfig[] {
  const byName = new Map<string, ColumnConfig>();
  for (const c of columns) byName.set(c.name ?? '', c);
  return byName.size === columns.length ? columns : [...byName.values()];
}

function buildInsert(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, { catalogName: 's', schemaName: 's', tableName: 's', dbms: 's' });
  required(node, f, 'tableName', ctx.file);
  const columns = columnNodes(node).map(loadColumn);
  const inserted = withFileValues(insertColumns(columns), f, ctx, node);
  return {
    name: 'insert',
    serial: { fields: { ...f, columns: columns.map(serialColumn) } },
    dbms: f.dbms,
    sql: (names) => [
      `INSERT INTO ${qualifiedName(f.schemaName, f.tableName!, names)} (${inserted.map((c) => escapeColumn(c.name ?? '', names)).join(', ')}) VALUES (${inserted.map((c) => dataValueSql(valueOf(c, f.schemaName), names)).join(', ')})`,
    ],
  };
}

function buildUpdate(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, { catalogName: 's', schemaName: 's', tableName: 's' });
  required(node, f, 'tableName', ctx.file);
  const columns = columnNodes(node).map(loadColumn);
  const setColumns = withFileValues(columns, f, ctx, node);
  const where = whereOf(node);
  const params = whereParamsOf(node);
  return {
    name: 'update',
    serial: {
      fields: {
        ...f,
        columns: columns.map(serialColumn),
        ...(where !== undefined ? { where } : {}),
      },
    },
    sql: (names) => {
      const sets = updateColumnOrder(setColumns, (c) => c.name ?? '').map(
        (c) => `${escapeColumn(c.name ?? '', names)} = ${dataValueSql(valueOf(c, f.schemaName), names)}`,
      );
      let sql = `UPDATE ${qualifiedName(f.schemaName, f.tableName!, names)} SET ${sets.join(', ')}`;
      if (where !== undefined) sql += ` WHERE ${whereSql(where, params, names)}`;
      return [sql];
    },
  };
}

function buildDelete(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, { catalogName: 's', schemaName: 's', tableName: 's' });
  required(node, f, 'tableName', ctx.file);
  const where = whereOf(node);
  const params = whereParamsOf(node);
  return {
    name: 'delete',
    serial: { fields: { ...f, ...(where !== undefined ? { where } : {}) } },
    sql: (names) => {
      let sql = `DELETE FROM ${qualifiedName(f.schemaName, f.tableName!, names)}`;
      if (where !== undefined) sql += ` WHERE ${whereSql(where, params, names)}`;
      return [sql];
    },
  };
}

export const DATA_CHANGES = { insert: buildInsert, update: buildUpdate, delete: buildDelete };
