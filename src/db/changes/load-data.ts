/**
 * loadData and loadUpdateData: CSV rows as Liquibase 4.28 turns them into SQL for PostgreSQL — one multi-row INSERT
 * per 51 rows (InsertSetGenerator), or one DO block per row that updates by primaryKey and inserts when nothing was
 * updated (InsertOrUpdateGeneratorPostgres). The checksum is Liquibase's: md5 of `<tableName>:<md5 of the CSV without
 * blank and comment lines>`, independent of the element's attributes.
 */
import { SlipwayError } from '../../errors.js';
import { bytesChecksumV9, serializedChangeChecksumV9 } from '../checksum.js';
import type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';
import { columnNodes } from './change-node.js';
import { loadColumn, serialColumn, type ColumnConfig } from './column-config.js';
import { csvChecksumBytes, CsvUnterminatedError, parseCsv, type CsvOptions, type CsvRecord } from './csv.js';
import { parseColumnType, pgColumnType } from './data-types.js';
import { updateColumnOrder } from './data.js';
import { isTrue, loadFields, required } from './fields.js';
import { escapeColumn, qualifiedName, stringLiteral, type NameContext } from './identifiers.js';
import { dataValueSql, dateOrFunction, numericOrFunction, type Value } from './values.js';
import { resolveChangePath } from './views.js';
import { attrLine } from '../changelog/value-lines.js';
import { decode, hexBytes, lobFileValue } from './lob.js';

/** One cell after Liquibase's conversion: null is SQL NULL. */
type Cell = { column: string; value: Value | null; allowUpdate: boolean };

/** LiquibaseDataType.getLoadTypeName for a declared column type (what Liquibase reads from the database). */
function loadTypeOf(declared: string): string {
  switch (parseColumnType(declared).cls) {
    case 'bigint':
    case 'int':
    case 'smallint':
    case 'tinyint':
    case 'mediumint':
    case 'decimal':
    case 'number':
    case 'double':
    case 'float':
    case 'currency':
      return 'NUMERIC';
    case 'boolean':
      return 'BOOLEAN';
    case 'date':
    case 'datetime':
    case 'time':
    case 'timestamp':
      return 'DATE';
    case 'uuid':
      return 'UUID';
    case 'blob':
      return 'BLOB';
    case 'clob':
    case 'xml':
      return 'CLOB';
    default:
      return 'STRING';
  }
}

const TRUE_VALUES = new Set(['true', 't', 'yes', 'y', '1']);
const FALSE_VALUES = new Set(['false', 'f', 'no', 'n', '0']);

/** BooleanUtil.parseBoolean. */
function parseBoolean(s: string): boolean {
  const v = s.trim().toLowerCase();
  if (TRUE_VALUES.has(v)) return true;
  if (FALSE_VALUES.has(v)) return false;
  return /^[+-]?\d+$/.test(v) && Number(v) > 0;
}

/** A cell Liquibase 4.28 cannot convert: it fails the changeset (its message is in the constructor's argument). */
class EmptyCellError extends Error {}

// The PostgreSQL type of a NULL bound with setNull(java.sql.Types.X) by pgjdbc 42.7.3, by Liquibase type class (its
// first java.sql.Types alias: BigIntType's BIGINT, ClobType's LONGVARCHAR...). Classes not listed (time, timestamp,
// uuid, nchar, nvarchar, currency, mediumint, unknown names such as STRING or COMPUTED) go as Types.NULL or another
// type pgjdbc leaves unspecified, so PostgreSQL takes the column's type. Measured with Liquibase 4.28: a NULL cell
// of each type into boolean, integer, text, date, jsonb, oid and xml columns fails exactly where this type has no
// assignment cast to the column's.
const BOUND_NULL_TYPES: Record<string, string> = {
  bigint: 'bigint',
  int: 'integer',
  smallint: 'smallint',
  tinyint: 'smallint',
  decimal: 'numeric',
  number: 'numeric',
  double: 'double precision',
  float: 'double precision',
  boolean: 'boolean',
  date: 'date',
  char: 'bpchar',
  varchar: 'varchar',
  clob: 'varchar',
  blob: 'oid',
  xml: 'xml',
};

/**
 * The type of the NULL Liquibase 4.28 binds for a cell of a prepared loadData row whose value is null
 * (ExecutablePreparedStatementBase.applyColumnParameter): typed by the column's load type when the cell is the word
 * NULL (LoadDataChange sets the type then) or an empty cell of a date, datetime or time column (its date branch sets
 * it too); undefined for an untyped NULL. A type containing "datetime" binds Types.TIMESTAMP, which pgjdbc leaves
 * unspecified.
 */
function boundNullType(raw: string, type: string | undefined, cfg: ColumnConfig | undefined): string | undefined {
  if (type === undefined) return undefined;
  const t = type.toLowerCase();
  const literal = raw.toUpperCase() === 'NULL';
  const emptyDate = raw === '' && cfg?.fields.defaultValue === undefined && ['date', 'datetime', 'time'].includes(t);
  if ((!literal && !emptyDate) || t.includes('datetime')) return undefined;
  return BOUND_NULL_TYPES[parseColumnType(type).cls];
}

/**
 * The type a non-NULL text cell of a prepared loadData row is bound as (ExecutablePreparedStatementBase
 * .applyColumnParameter): setObject(UUID) for a UUID cell, setObject(…, Types.OTHER) — untyped — for OTHER, and
 * setString for every other load type that leaves the value text (STRING, CLOB, UNKNOWN and unsupported names), which
 * pgjdbc 42.7.3 sends typed varchar. Written with that type, PostgreSQL refuses it where it refuses Liquibase's (a
 * varchar into an integer, boolean, date, uuid or jsonb column: measured, test/integration/db-load-data-bound-strings-
 * oracle.test.ts) and a UUID reaches a text column in canonical lower case. Undefined when the column's load type is
 * not known here (a table the changelog does not declare): Liquibase reads it from the database, so the literal
 * stays untyped and PostgreSQL takes the column's type.
 */
function boundStringType(declared: string | undefined): string | undefined {
  if (declared === undefined) return undefined;
  const t = declared.toUpperCase();
  if (t === 'OTHER' || t === 'BLOB' || t === 'COMPUTED' || t === 'SEQUENCE') return undefined;
  return t === 'UUID' ? 'uuid' : 'varchar';
}

/** LoadDataChange.generateStatements' conversion of one CSV value for its column config. */
function convertCell(
  raw: string,
  cfg: ColumnConfig | undefined,
  type: string | undefined,
  schema: string | undefined,
): Value | null {
  let value: string | null = raw;
  if (value === '') value = cfg?.fields.defaultValue ?? null;
  if (value !== null && value.toUpperCase() === 'NULL') return null;
  if (type === undefined) return value === null ? null : { kind: 'string', text: value };
  const t = type.toUpperCase();
  switch (t) {
    case 'BOOLEAN':
      if (value === null)
        return cfg?.fields.defaultValueBoolean === undefined
          ? null
          : { kind: 'boolean', value: cfg.fields.defaultValueBoolean === 'true' };
      return { kind: 'boolean', value: parseBoolean(value) };
    case 'NUMERIC': {
      const v = value ?? cfg?.fields.defaultValueNumeric;
      return v === undefined ? null : numericOrFunction(v);
    }
    case 'DATE':
    case 'DATETIME':
    case 'TIME': {
      const v = value ?? cfg?.fields.defaultValueDate;
      return v === undefined || v === '' ? null : dateOrFunction(v);
    }
    case 'STRING':
      return { kind: 'string', text: value ?? '' };
    case 'COMPUTED': {
      const v = value ?? cfg?.fields.defaultValueComputed;
      return v === undefined ? null : { kind: 'function', text: v };
    }
    case 'SEQUENCE':
      if (value === null) throw new EmptyCellError('a SEQUENCE column needs a sequence name: set its defaultValue');
      return { kind: 'sequenceNext', text: value, schema };
    case 'UUID':
    case 'OTHER':
    case 'CLOB':
      return value === null ? null : { kind: 'string', text: value };
    case 'BLOB':
      // LoadDataChange matches a null value against its Base64 pattern: a NullPointerException (measured).
      if (value === null) throw new EmptyCellError('a BLOB cell is empty and its column has no defaultValue');
      return { kind: 'string', text: value };
    default:
      return value === null ? null : { kind: 'string', text: value };
  }
}

// LoadDataChange.BASE64_PATTERN: a BLOB cell that matches it is the value itself, Base64-encoded; any other is a file.
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * A BLOB or CLOB cell of loadData as Liquibase 4.28 binds it in its prepared statement (LoadDataChange and
 * ExecutablePreparedStatementBase.applyColumnParameter): a CLOB cell names a file whose text is the value; a BLOB cell
 * is Base64 or names a file whose bytes are the value. Files are found beside the changelog (not the CSV). The bytes
 * go into a bytea column as they are and otherwise into a new large object whose oid is the value — pgjdbc's setBlob,
 * which Liquibase uses for Base64 always and for a file unless the live column is bytea (read here from the
 * changelog's own declarations).
 */
function lobCell(
  value: Value,
  type: 'BLOB' | 'CLOB',
  column: string,
  cfg: ColumnConfig | undefined,
  f: Record<string, string>,
  ctx: BuildContext,
  node: ChangeNode,
): Value {
  const text = (value as { text: string }).text;
  if (type === 'CLOB')
    return lobFileValue('CLOB', text, cfg?.fields.encoding, f.schemaName, f.tableName!, column, ctx, node);
  if (!BASE64.test(text)) return lobFileValue('BLOB', text, undefined, f.schemaName, f.tableName!, column, ctx, node);
  // A 'function' value is written as it is (dataValueSql), here an expression.
  return { kind: 'function', text: `lo_from_bytea(0, ${hexBytes(Buffer.from(text, 'base64'))})` };
}

/**
 * A NULL cell of a `type="blob"` column in a row Liquibase runs as a prepared statement: ExecutablePreparedStatementBase
 * binds it with setNull(Types.BLOB) (BlobType's first java.sql.Types alias), which pgjdbc 42.7.3 sends typed oid. So it
 * loads into an oid column (Liquibase's blob) and fails into bytea — measured with Liquibase 4.28: 'column "raw" is of
 * type bytea but expression is of type oid'. Written as that typed NULL, PostgreSQL decides the same way for Slipway.
 */
function nullBlob(column: string, line: number, f: Record<string, string>, ctx: BuildContext, node: ChangeNode): Value {
  const declared = ctx.model?.columnType(f.schemaName, f.tableName!, column);
  if (declared !== undefined && pgColumnType(declared) === 'BYTEA') {
    ctx.warn(
      node.line,
      'W_LIQUIBASE_REJECTS',
      `<${node.name}> ${f.file} line ${line}: the NULL of BLOB column ${column} is bound as an oid, which its bytea column does not take: Liquibase 4.28 fails on this row ("expression is of type oid"), and so does the package.`,
    );
  }
  return { kind: 'function', text: 'NULL::oid' };
}

function build(node: ChangeNode, ctx: BuildContext, update: boolean): BuiltChange {
  const f = loadFields(node, {
    catalogName: 's',
    schemaName: 's',
    tableName: 's',
    file: 's',
    commentLineStartsWith: 's',
    relativeToChangelogFile: 'b',
    encoding: 's',
    separator: 's',
    quotchar: 's',
    usePreparedStatements: 'b',
    ...(update ? { primaryKey: 's', onlyUpdate: 'b' } : {}),
  });
  const table = required(node, f, 'tableName', ctx.file);
  required(node, f, 'file', ctx.file);
  if (update) required(node, f, 'primaryKey', ctx.file);
  // Bean defaults that are serialised (measured): separator ",", quotchar '"', commentLineStartsWith "#", onlyUpdate false.
  f.separator ??= ',';
  // LoadDataChange.setSeparator: the two characters \t (YAML's plain `separator: \t`, XML's separator="\t") mean a tab.
  if (f.separator === '\\t') f.separator = '\t';
  f.quotchar ??= '"';
  f.commentLineStartsWith ??= '#';
  if (update) f.onlyUpdate ??= 'false';
  const configs = columnNodes(node).map(loadColumn);
  const csvPath = resolveChangePath(ctx, f.file!, isTrue(f.relativeToChangelogFile));
  const bytes = ctx.readFile(csvPath, node, 'file');
  const checksum = serializedChangeChecksumV9(
    `${table}:${bytesChecksumV9(csvChecksumBytes(bytes, f.commentLineStartsWith))}`,
  );
  const fail = (line: number, message: string): never => {
    throw new SlipwayError('E_CHANGELOG', `${csvPath}:${line}: ${message}`, {
      file: ctx.file,
      line: attrLine(node, 'file'),
      field: 'file',
      hint: `Fix the CSV file read by <${node.name}>; Liquibase fails on it too.`,
    });
  };
  const records = parseCsvOrFail(
    decode(bytes, f.encoding),
    {
      separator: f.separator.charAt(0) || ',',
      quote: f.quotchar.trim() === '' ? null : f.quotchar.charAt(0),
    },
    fail,
  );
  const header = records.shift();
  if (!header) fail(1, 'the data file is empty');
  const headers = header!.fields;
  const configFor = (i: number, name: string): ColumnConfig | undefined =>
    configs.find(
      (c) =>
        (c.fields.index !== undefined && Number(c.fields.index) === i) ||
        (c.fields.header !== undefined && c.fields.header.toLowerCase() === name.toLowerCase()) ||
        (c.name !== undefined && c.name.toLowerCase() === name.toLowerCase()),
    );
  const rows: Cell[][] = [];
  // Rows with a BLOB or CLOB value, which Liquibase must bind in a prepared statement (loadData only).
  const prepared: boolean[] = [];
  const comment = f.commentLineStartsWith;
  for (const rec of records) {
    const line = rec.fields;
    if (line.length === 0 || (line.length === 1 && line[0]!.trim() === '')) continue;
    if (comment !== '' && line[0]!.startsWith(comment)) continue;
    if (line.length !== headers.length) {
      fail(
        rec.line,
        `has ${line.length} values, the header has ${headers.length}; numbers must be equal (check for an unquoted value with an embedded separator)`,
      );
    }
    const cells: Cell[] = [];
    let needsPrepared = false;
    const typedNulls: [number, string][] = [];
    const boundStrings: [number, string][] = [];
    headers.forEach((h, i) => {
      const headerName = h.trim();
      const cfg = configFor(i, headerName);
      if (cfg?.type?.toLowerCase() === 'skip') return;
      const column = cfg?.name ?? headerName;
      const declared =
        cfg?.type ??
        (() => {
          const t = ctx.model?.columnType(f.schemaName, table, column);
          return t === undefined ? undefined : loadTypeOf(t);
        })();
      let value: Value | null;
      try {
        value = convertCell(line[i]!, cfg, declared, f.schemaName);
      } catch (e) {
        if (e instanceof EmptyCellError) fail(rec.line, `column ${column}: ${e.message}; Liquibase 4.28 fails on it`);
        throw e;
      }
      const lob = declared?.toUpperCase();
      if (!update && value !== null && (lob === 'BLOB' || lob === 'CLOB')) {
        value = lobCell(value, lob, column, cfg, f, ctx, node);
        needsPrepared = true;
      }
      // LoadDataChange prepares a row with an empty CLOB cell too (setValueClobFile(null)); its NULL goes untyped.
      if (!update && lob === 'CLOB' && line[i] === '' && cfg?.fields.defaultValue === undefined) needsPrepared = true;
      const nullType = value === null ? boundNullType(line[i]!, declared, cfg) : undefined;
      if (!update && nullType !== undefined) typedNulls.push([cells.length, nullType]);
      const stringType = value?.kind === 'string' ? boundStringType(declared) : undefined;
      if (!update && stringType !== undefined) boundStrings.push([cells.length, stringType]);
      cells.push({ column, value, allowUpdate: cfg?.fields.allowUpdate !== 'false' });
    });
    // A prepared row's NULLs are written as the typed NULLs Liquibase binds, so PostgreSQL accepts or refuses them
    // for their column as it does for Liquibase.
    if (typedNulls.length && (needsPrepared || isTrue(f.usePreparedStatements)))
      for (const [k, t] of typedNulls)
        cells[k]!.value =
          t === 'oid' ? nullBlob(cells[k]!.column, rec.line, f, ctx, node) : { kind: 'function', text: `NULL::${t}` };
    if (needsPrepared || isTrue(f.usePreparedStatements))
      for (const [k, t] of boundStrings)
        cells[k]!.value = {
          kind: 'function',
          text: `${stringLiteral((cells[k]!.value as { text: string }).text)}::${t}`,
        };
    rows.push(cells);
    prepared.push(needsPrepared);
  }
  if (prepared.includes(true)) {
    if (f.usePreparedStatements !== undefined && !isTrue(f.usePreparedStatements)) {
      throw new SlipwayError(
        'E_CHANGELOG',
        `<${node.name}> usePreparedStatements="false" but its BLOB/CLOB values need prepared statements`,
        {
          file: ctx.file,
          line: attrLine(node, 'usePreparedStatements'),
          field: 'usePreparedStatements',
          hint: 'Liquibase 4.28 stops on it too ("loadData is requesting usePreparedStatements=false but prepared statements are required"); remove the attribute or set it to true.',
        },
      );
    }
    // Without usePreparedStatements, Liquibase prepares only the rows with a BLOB/CLOB value and, on PostgreSQL, runs
    // only its prepared statements once there is one: the other rows (their BLOB/CLOB cells all NULL) are not loaded.
    if (f.usePreparedStatements === undefined) {
      const dropped = prepared.filter((p) => !p).length;
      if (dropped > 0) {
        ctx.warn(
          node.line,
          'W_LIQUIBASE_SKIPS_ROWS',
          `<${node.name}> ${csvPath}: ${dropped} row(s) whose BLOB/CLOB values are all NULL are not loaded, as Liquibase 4.28 does not load them; set usePreparedStatements="true" to load every row`,
        );
        const kept = rows.filter((_, i) => prepared[i]);
        rows.length = 0;
        rows.push(...kept);
      }
    }
  }
  return {
    name: node.name,
    serial: { fields: { ...f, columns: configs.map(serialColumn) } },
    checksum,
    sql: (names) => (update ? upsertSql(f, rows, names) : insertSql(f, rows, names)),
    ...(update
      ? { inverse: () => [{ name: 'delete', serial: { fields: {} }, sql: (names) => deleteRowsSql(f, rows, names) }] }
      : {}),
  };
}

function insertSql(f: Record<string, string>, rows: Cell[][], names: NameContext): string[] {
  if (rows.length === 0) return [];
  const table = qualifiedName(f.schemaName, f.tableName!, names);
  const head = `INSERT INTO ${table} (${rows[0]!.map((c) => escapeColumn(c.column, names)).join(', ')}) VALUES `;
  const out: string[] = [];
  // InsertSetGenerator starts a new statement after more than 50 rows (so 51 per statement).
  for (let i = 0; i < rows.length; i += 51) {
    const chunk = rows.slice(i, i + 51);
    out.push(head + chunk.map((r) => `(${r.map((c) => dataValueSql(c.value, names)).join(', ')})`).join(','));
  }
  return out;
}

/** The row's primaryKey condition (InsertOrUpdateGenerator.getWhereClause; LoadUpdateDataChange.getWhere is the same). */
function primaryKeyWhere(f: Record<string, string>, row: Cell[], names: NameContext): string {
  const byName = new Map(row.map((c) => [c.column, c]));
  return f
    .primaryKey!.split(',')
    .map((k) => {
      const v = byName.get(k)?.value ?? null;
      if (v === null) return `${escapeColumn(k, names)} is NULL`;
      return `${escapeColumn(k, names)} = ${v.kind === 'string' ? stringLiteral(v.text) : dataValueSql(v, names)}`;
    })
    .join(' AND ');
}

/**
 * LoadUpdateDataChange.generateRollbackStatements (it has no createInverses, but overrides this, and ChangeSet.rollback
 * calls it): one DELETE per CSV row by its primaryKey — also for rows that were only updated, and with onlyUpdate.
 */
function deleteRowsSql(f: Record<string, string>, rows: Cell[][], names: NameContext): string[] {
  const table = qualifiedName(f.schemaName, f.tableName!, names);
  return rows.map((row) => `DELETE FROM ${table} WHERE ${primaryKeyWhere(f, row, names)}`);
}

function upsertSql(f: Record<string, string>, rows: Cell[][], names: NameContext): string[] {
  const table = qualifiedName(f.schemaName, f.tableName!, names);
  const pk = f.primaryKey!.split(',');
  return rows.map((row) => {
    const where = primaryKeyWhere(f, row, names);
    const sets = updateColumnOrder(
      row.filter((c) => !pk.includes(c.column) && c.allowUpdate),
      (c) => c.column,
    ).map((c) => `${escapeColumn(c.column, names)} = ${dataValueSql(c.value, names)}`);
    const insert = `INSERT INTO ${table} (${row.map((c) => escapeColumn(c.column, names)).join(', ')}) VALUES (${row.map((c) => dataValueSql(c.value, names)).join(', ')});`;
    const lines = ['DO', '$$', 'BEGIN'];
    lines.push(
      sets.length
        ? `UPDATE ${table} SET ${sets.join(', ')} WHERE ${where};`
        : `perform * from ${table} WHERE ${where};`,
    );
    if (f.onlyUpdate !== 'true') lines.push('IF not found THEN', insert, 'END IF;');
    lines.push('END;', '$$', 'LANGUAGE plpgsql');
    return lines.join('\n');
  });
}

export const LOAD_CHANGES = {
  loadData: (node: ChangeNode, ctx: BuildContext) => build(node, ctx, false),
  loadUpdateData: (node: ChangeNode, ctx: BuildContext) => build(node, ctx, true),
};

/** parseCsv, with a record left open at the end of the file as `fail` at its first line. */
function parseCsvOrFail(text: string, opts: CsvOptions, fail: (line: number, message: string) => never): CsvRecord[] {
  try {
    return parseCsv(text, opts);
  } catch (e) {
    if (e instanceof CsvUnterminatedError) fail(e.line, 'a quoted field is not closed before the end of the file');
    throw e;
  }
}
