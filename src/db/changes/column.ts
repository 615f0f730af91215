/**
 * Column changes — addColumn, dropColumn, renameColumn, modifyDataType, add/dropNotNullConstraint,
 * add/dropDefaultValue, addAutoIncrement, setColumnRemarks — as Liquibase 4.28 renders them for PostgreSQL.
 */
import type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';
import { columnNodes } from './change-node.js';
import { loadColumn, serialColumn, type ColumnConfig } from './column-config.js';
import { parseColumnType as parseType, pgColumnType } from './data-types.js';
import { isTrue, loadFields, required } from './fields.js';
import { escapeColumn, escapeName, qualifiedName, stringLiteral, type NameContext } from './identifiers.js';
import { addForeignKeySql, addUniqueSql } from './constraints.js';
import { columnDefinition, columnRemarksSql, identityClause } from './table.js';
import {
  dataValueSql,
  dateOrFunction,
  defaultValueSql,
  functionSql,
  isNullText,
  numericOrFunction,
  type Value,
} from './values.js';

type Fields = Record<string, string>;
const clean = (f: Record<string, string | undefined>): Fields =>
  Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as Fields;

function addColumnSql(f: Fields, columns: ColumnConfig[], names: NameContext): string[] {
  const table = qualifiedName(f.schemaName, f.tableName!, names);
  const adds: string[] = [];
  const updates: string[] = [];
  const notNulls: string[] = [];
  for (const col of columns) {
    const c = col.constraints ?? {};
    const name = col.name ?? '';
    // columnDefinition puts the default before the identity clause (CreateTable's order); ADD COLUMN has it after.
    const base = columnDefinition({ ...col, defaultValue: null, autoIncrement: false }, names, false);
    let sql = `ALTER TABLE ${table} ADD ${base}`;
    if (col.autoIncrement)
      sql += ` ${identityClause({ startWith: col.fields.startWith, incrementBy: col.fields.incrementBy, generationType: col.fields.generationType })}`;
    if (col.defaultValue) {
      const d = col.defaultValue;
      sql +=
        d.kind === 'function' || d.kind === 'sequenceNext'
          ? ` DEFAULT ${isNullText(d) ? 'null' : functionSql(d, names)}`
          : ` DEFAULT ${defaultValueSql(d, col.type ? parseType(col.type) : null, names)}`;
    }
    const notNullNow = c.nullable === 'false' && col.value === null;
    if (notNullNow || isTrue(c.primaryKey)) sql += ' NOT NULL';
    if (isTrue(c.primaryKey)) sql += ' PRIMARY KEY';
    if (col.fields.beforeColumn) sql += ` BEFORE ${escapeColumn(col.fields.beforeColumn, names)} `;
    if (col.fields.afterColumn) sql += ` AFTER ${escapeColumn(col.fields.afterColumn, names)}`;
    adds.push(sql);
    if (isTrue(c.unique))
      adds.push(addUniqueSql({ ...f, columnNames: name, constraintName: c.uniqueConstraintName }, names));
    if (c.references !== undefined || (c.referencedTableName !== undefined && c.referencedColumnNames !== undefined)) {
      let refTable: string;
      let refCols: string;
      if (c.references !== undefined) {
        const m = /^([\w._]+)\(([\w_,]+)\)$/.exec(c.references.replace(/\s/g, ''));
        if (!m) throw new Error(`Don't know how to find table and column names from ${c.references}`);
        refTable = m[1]!;
        refCols = m[2]!;
      } else {
        refTable = c.referencedTableName!;
        refCols = c.referencedColumnNames!;
      }
      let refSchema: string | undefined;
      if (refTable.indexOf('.') > 0) [refSchema, refTable] = refTable.split('.') as [string, string];
      adds.push(
        addForeignKeySql(
          {
            baseTableSchemaName: f.schemaName,
            baseTableName: f.tableName!,
            baseColumnNames: name,
            constraintName: c.foreignKeyName,
            referencedTableSchemaName: refSchema,
            referencedTableName: refTable,
            referencedColumnNames: refCols,
            onDelete: isTrue(c.deleteCascade) ? 'CASCADE' : undefined,
          },
          names,
        ),
      );
    }
    if (col.value !== null) {
      updates.push(`UPDATE ${table} SET ${escapeColumn(name, names)} = ${dataValueSql(col.value, names)}`);
      if (c.nullable === 'false') {
        notNulls.push(
          `UPDATE ${table} SET ${escapeColumn(name, names)} = ${dataValueSql(col.value, names)} WHERE ${escapeColumn(name, names)} IS NULL`,
          setNullableSql(f.schemaName, f.tableName!, name, false, names),
        );
      }
    }
  }
  const remarks = columns
    .filter((c) => c.fields.remarks?.trim())
    .map((c) => columnRemarksSql(f.schemaName, f.tableName!, c.name ?? '', c.fields.remarks!, names));
  return [...adds, ...updates, ...notNulls, ...remarks];
}

function buildAddColumn(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, { catalogName: 's', schemaName: 's', tableName: 's' });
  required(node, f, 'tableName', ctx.file);
  const columns = columnNodes(node).map(loadColumn);
  // Measured: Liquibase 4.28 fails validation ("addAfterColumn is not allowed on postgresql"), for a changeset it runs.
  const placed = columns.find((col) => col.fields.afterColumn || col.fields.beforeColumn || col.fields.position);
  const which = !placed
    ? null
    : placed.fields.afterColumn
      ? 'afterColumn'
      : placed.fields.beforeColumn
        ? 'beforeColumn'
        : 'position';
  for (const col of columns) ctx.model?.setColumn(f.schemaName, f.tableName!, col.name ?? '', col.type);
  return {
    name: 'addColumn',
    ...(which
      ? {
          invalid: {
            message: `<addColumn> ${which} is not allowed on PostgreSQL`,
            field: which,
            hint: `Liquibase 4.28 refuses this changeset on PostgreSQL too ("add${which[0]!.toUpperCase()}${which.slice(1)} is not allowed on postgresql"); remove ${which} or limit the change with dbms.`,
          },
        }
      : {}),
    serial: { fields: { ...f, columns: columns.map(serialColumn) } },
    sql: (names) => addColumnSql(f, columns, names),
    inverse: () => [
      ...columns
        .filter((c) => c.defaultValue !== null)
        .map((c) => dropDefaultValue(clean({ tableName: f.tableName, columnName: c.name, schemaName: f.schemaName }))),
      dropColumns(clean({ catalogName: f.catalogName, schemaName: f.schemaName, tableName: f.tableName }), columns),
    ],
  };
}

function dropColumns(f: Fields, columns: ColumnConfig[]): BuiltChange {
  return {
    name: 'dropColumn',
    serial: { fields: { ...f, ...(columns.length ? { columns: columns.map(serialColumn) } : {}) } },
    sql: (names) => {
      const cols = f.columnName !== undefined ? [f.columnName] : columns.map((c) => c.name ?? '');
      return cols.map(
        (c) => `ALTER TABLE ${qualifiedName(f.schemaName, f.tableName!, names)} DROP COLUMN ${escapeColumn(c, names)}`,
      );
    },
  };
}

function buildDropColumn(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, { catalogName: 's', schemaName: 's', tableName: 's', columnName: 's' });
  required(node, f, 'tableName', ctx.file);
  const columns = columnNodes(node).map(loadColumn);
  for (const c of f.columnName !== undefined ? [f.columnName] : columns.map((x) => x.name ?? ''))
    ctx.model?.setColumn(f.schemaName, f.tableName!, c, undefined);
  // Measured: an empty column list is not serialised (no `columns=[]` in the checksum text).
  return dropColumns(f, columns);
}

function renameColumn(f: Fields): BuiltChange {
  return {
    name: 'renameColumn',
    serial: { fields: f },
    sql: (names) => [
      `ALTER TABLE ${qualifiedName(f.schemaName, f.tableName!, names)} RENAME COLUMN ${escapeColumn(f.oldColumnName!, names)} TO ${escapeColumn(f.newColumnName!, names)}`,
    ],
    inverse: () => [renameColumn({ ...f, oldColumnName: f.newColumnName!, newColumnName: f.oldColumnName! })],
  };
}

function buildRenameColumn(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    catalogName: 's',
    schemaName: 's',
    tableName: 's',
    oldColumnName: 's',
    newColumnName: 's',
    columnDataType: 's',
    remarks: 's',
  });
  for (const k of ['tableName', 'oldColumnName', 'newColumnName']) required(node, f, k, ctx.file);
  ctx.model?.renameColumn(f.schemaName, f.tableName!, f.oldColumnName!, f.newColumnName!);
  return renameColumn(f);
}

function buildModifyDataType(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, { catalogName: 's', schemaName: 's', tableName: 's', columnName: 's', newDataType: 's' });
  for (const k of ['tableName', 'columnName', 'newDataType']) required(node, f, k, ctx.file);
  ctx.model?.setColumn(f.schemaName, f.tableName!, f.columnName!, f.newDataType);
  return {
    name: 'modifyDataType',
    serial: { fields: f },
    sql: (names) => {
      const col = escapeColumn(f.columnName!, names);
      const type = pgColumnType(f.newDataType!);
      return [
        `ALTER TABLE ${qualifiedName(f.schemaName, f.tableName!, names)} ALTER COLUMN ${col} TYPE ${type} USING (${col}::${type})`,
      ];
    },
  };
}

/** SetNullableGenerator for PostgreSQL (two spaces after ALTER COLUMN, as Liquibase prints them). */
export function setNullableSql(
  schema: string | undefined,
  table: string,
  column: string,
  nullable: boolean,
  names: NameContext,
): string {
  return `ALTER TABLE ${qualifiedName(schema, table, names)} ALTER COLUMN  ${escapeColumn(column, names)} ${nullable ? 'DROP' : 'SET'} NOT NULL`;
}

function notNullChange(f: Fields, add: boolean): BuiltChange {
  return {
    name: add ? 'addNotNullConstraint' : 'dropNotNullConstraint',
    serial: { fields: f },
    sql: (names) => {
      const out: string[] = [];
      if (add && f.defaultNullValue !== undefined) {
        const col = escapeColumn(f.columnName!, names);
        out.push(
          `UPDATE ${qualifiedName(f.schemaName, f.tableName!, names)} SET ${col} = ${stringLiteral(f.defaultNullValue)} WHERE ${col} IS NULL`,
        );
      }
      out.push(setNullableSql(f.schemaName, f.tableName!, f.columnName!, !add, names));
      return out;
    },
    inverse: () => [
      notNullChange(
        clean({
          catalogName: f.catalogName,
          schemaName: f.schemaName,
          tableName: f.tableName,
          columnName: f.columnName,
          columnDataType: f.columnDataType,
          ...(add ? {} : {}),
        }),
        !add,
      ),
    ],
  };
}

function buildNotNull(add: boolean) {
  return (node: ChangeNode, ctx: BuildContext): BuiltChange => {
    const f = loadFields(node, {
      catalogName: 's',
      schemaName: 's',
      tableName: 's',
      columnName: 's',
      ...(add ? { defaultNullValue: 's' } : {}),
      columnDataType: 's',
      constraintName: 's',
      validate: 'b',
    });
    for (const k of ['tableName', 'columnName']) required(node, f, k, ctx.file);
    return notNullChange(f, add);
  };
}

function defaultValueOf(f: Fields): Value | null {
  if (f.defaultValue !== undefined) return { kind: 'string', text: f.defaultValue };
  if (f.defaultValueBoolean !== undefined) return { kind: 'boolean', value: f.defaultValueBoolean === 'true' };
  if (f.defaultValueNumeric !== undefined) return numericOrFunction(f.defaultValueNumeric);
  if (f.defaultValueDate !== undefined) return dateOrFunction(f.defaultValueDate);
  if (f.defaultValueComputed !== undefined) return { kind: 'function', text: f.defaultValueComputed };
  if (f.defaultValueSequenceNext !== undefined) return { kind: 'sequenceNext', text: f.defaultValueSequenceNext };
  return null;
}

function buildAddDefaultValue(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    catalogName: 's',
    schemaName: 's',
    tableName: 's',
    columnName: 's',
    columnDataType: 's',
    defaultValue: 's',
    defaultValueNumeric: 's',
    defaultValueDate: 's',
    defaultValueBoolean: 'b',
    defaultValueComputed: 's',
    defaultValueSequenceNext: 's',
    defaultValueConstraintName: 's',
  });
  for (const k of ['tableName', 'columnName']) required(node, f, k, ctx.file);
  const value = defaultValueOf(f);
  return {
    name: 'addDefaultValue',
    serial: { fields: f },
    sql: (names) => {
      const table = qualifiedName(f.schemaName, f.tableName!, names);
      const col = escapeColumn(f.columnName!, names);
      // fromObject(value): the value's own class decides (String quoted, Boolean TRUE/FALSE, functions through the database).
      const text =
        value === null
          ? 'NULL'
          : isNullText(value)
            ? 'null'
            : value.kind === 'string'
              ? stringLiteral(value.text)
              : dataValueSql(value, names);
      const out = [`ALTER TABLE ${table} ALTER COLUMN  ${col} SET DEFAULT ${text}`];
      if (value?.kind === 'sequenceNext')
        out.push(
          `ALTER SEQUENCE ${qualifiedName(undefined, value.text, names)} OWNED BY ${table}.${escapeName(f.columnName!, names)}`,
        );
      return out;
    },
    inverse: () => [
      dropDefaultValue(
        clean({
          catalogName: f.catalogName,
          schemaName: f.schemaName,
          tableName: f.tableName,
          columnName: f.columnName,
          columnDataType: f.columnDataType,
        }),
      ),
    ],
  };
}

function dropDefaultValue(f: Fields): BuiltChange {
  return {
    name: 'dropDefaultValue',
    serial: { fields: f },
    sql: (names) => [
      `ALTER TABLE ${qualifiedName(f.schemaName, f.tableName!, names)} ALTER COLUMN ${escapeColumn(f.columnName!, names)} DROP DEFAULT`,
    ],
  };
}

function buildDropDefaultValue(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    catalogName: 's',
    schemaName: 's',
    tableName: 's',
    columnName: 's',
    columnDataType: 's',
  });
  for (const k of ['tableName', 'columnName']) required(node, f, k, ctx.file);
  return dropDefaultValue(f);
}

function buildAddAutoIncrement(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    catalogName: 's',
    schemaName: 's',
    tableName: 's',
    columnName: 's',
    columnDataType: 's',
    startWith: 'i',
    incrementBy: 'i',
    defaultOnNull: 'b',
    generationType: 's',
  });
  for (const k of ['tableName', 'columnName']) required(node, f, k, ctx.file);
  return {
    name: 'addAutoIncrement',
    serial: { fields: f },
    // AddAutoIncrementGeneratorPostgres: a sequence named <table>_<column>_seq owned by the column, as its default.
    sql: (names) => {
      const seq = qualifiedName(f.schemaName, `${f.tableName}_${f.columnName}_seq`, names);
      const table = qualifiedName(f.schemaName, f.tableName!, names);
      const col = escapeColumn(f.columnName!, names);
      let create = `CREATE SEQUENCE  IF NOT EXISTS ${seq}`;
      if (f.startWith !== undefined) create += ` START WITH ${f.startWith}`;
      if (f.incrementBy !== undefined) create += ` INCREMENT BY ${f.incrementBy}`;
      return [
        create,
        `ALTER TABLE ${table} ALTER COLUMN  ${col} SET NOT NULL`,
        `ALTER TABLE ${table} ALTER COLUMN  ${col} SET DEFAULT nextval('${seq}')`,
        `ALTER SEQUENCE ${seq} OWNED BY ${table}.${escapeName(f.columnName!, names)}`,
      ];
    },
  };
}

function buildSetColumnRemarks(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    catalogName: 's',
    schemaName: 's',
    tableName: 's',
    columnName: 's',
    remarks: 's',
    columnDataType: 's',
    columnParentType: 's',
  });
  for (const k of ['tableName', 'columnName']) required(node, f, k, ctx.file);
  return {
    name: 'setColumnRemarks',
    serial: { fields: f },
    sql: (names) => [columnRemarksSql(f.schemaName, f.tableName!, f.columnName!, f.remarks ?? '', names)],
  };
}

export const COLUMN_CHANGES = {
  addColumn: buildAddColumn,
  dropColumn: buildDropColumn,
  renameColumn: buildRenameColumn,
  modifyDataType: buildModifyDataType,
  addNotNullConstraint: buildNotNull(true),
  dropNotNullConstraint: buildNotNull(false),
  addDefaultValue: buildAddDefaultValue,
  dropDefaultValue: buildDropDefaultValue,
  addAutoIncrement: buildAddAutoIncrement,
  setColumnRemarks: buildSetColumnRemarks,
};
