/**
 * Change types Liquibase 4.28 renders as a sequence of other changes' statements — addLookupTable and mergeColumns —
 * built here from the same builders those changes use, so their SQL is that of the changes they stand for.
 */
import { SlipwayError } from '../../errors.js';
import type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';
import { COLUMN_CHANGES } from './column.js';
import { CONSTRAINT_CHANGES } from './constraints.js';
import { loadFields, required } from './fields.js';
import { escapeColumn, qualifiedName } from './identifiers.js';
import { TABLE_CHANGES } from './table.js';

type Loose = Record<string, string | undefined>;

/** A change element made here, as if written in the changelog at `from`'s place (only the defined attributes). */
function synthetic(from: ChangeNode, name: string, attrs: Loose, children: ChangeNode[] = []): ChangeNode {
  const defined = Object.fromEntries(Object.entries(attrs).filter(([, v]) => v !== undefined)) as Record<
    string,
    string
  >;
  return { name, attrs: defined, children, text: '', line: from.line, column: from.column };
}

/**
 * AddLookupTableChange: CREATE TABLE … AS SELECT DISTINCT, then the new column NOT NULL, its primary key, and a
 * foreign key from the existing column (named FK_<EXISTING>_<NEW> upper-cased unless constraintName is given). The
 * sub-changes take schema names only, as Liquibase sets them.
 */
function buildAddLookupTable(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    existingTableCatalogName: 's',
    existingTableSchemaName: 's',
    existingTableName: 's',
    existingColumnName: 's',
    newTableCatalogName: 's',
    newTableSchemaName: 's',
    newTableName: 's',
    newColumnName: 's',
    newColumnDataType: 's',
    constraintName: 's',
  });
  for (const k of ['existingTableName', 'existingColumnName', 'newTableName', 'newColumnName'])
    required(node, f, k, ctx.file);
  const fkName = f.constraintName ?? `FK_${f.existingTableName}_${f.newTableName}`.toUpperCase();
  const notNull = COLUMN_CHANGES.addNotNullConstraint(
    synthetic(node, 'addNotNullConstraint', {
      schemaName: f.newTableSchemaName,
      tableName: f.newTableName,
      columnName: f.newColumnName,
      columnDataType: f.newColumnDataType,
    }),
    ctx,
  );
  const pk = CONSTRAINT_CHANGES.addPrimaryKey(
    synthetic(node, 'addPrimaryKey', {
      schemaName: f.newTableSchemaName,
      tableName: f.newTableName,
      columnNames: f.newColumnName,
    }),
    ctx,
  );
  const fk = CONSTRAINT_CHANGES.addForeignKeyConstraint(
    synthetic(node, 'addForeignKeyConstraint', {
      baseTableSchemaName: f.existingTableSchemaName,
      baseTableName: f.existingTableName,
      baseColumnNames: f.existingColumnName,
      referencedTableSchemaName: f.newTableSchemaName,
      referencedTableName: f.newTableName,
      referencedColumnNames: f.newColumnName,
      constraintName: fkName,
    }),
    ctx,
  );
  return {
    name: 'addLookupTable',
    serial: { fields: f },
    sql: (names) => {
      const existing = escapeColumn(f.existingColumnName!, names);
      return [
        `CREATE TABLE ${qualifiedName(f.newTableSchemaName, f.newTableName!, names)} AS SELECT DISTINCT ${existing} AS ${escapeColumn(f.newColumnName!, names)} FROM ${qualifiedName(f.existingTableSchemaName, f.existingTableName!, names)} WHERE ${existing} IS NOT NULL`,
        ...notNull.sql(names),
        ...pk.sql(names),
        ...fk.sql(names),
      ];
    },
    inverse: () => [
      CONSTRAINT_CHANGES.dropForeignKeyConstraint(
        synthetic(node, 'dropForeignKeyConstraint', {
          baseTableSchemaName: f.existingTableSchemaName,
          baseTableName: f.existingTableName,
          constraintName: fkName,
        }),
        ctx,
      ),
      TABLE_CHANGES.dropTable(
        synthetic(node, 'dropTable', { schemaName: f.newTableSchemaName, tableName: f.newTableName }),
        ctx,
      ),
    ],
  };
}

/**
 * MergeColumnChange: addColumn of the final column, an UPDATE joining the two columns with `||` around the join
 * string (quoted as written, not escaped: Liquibase concatenates it into the statement, "null" when absent), then
 * dropColumn of each. Liquibase has no inverse for it.
 */
function buildMergeColumns(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    catalogName: 's',
    schemaName: 's',
    tableName: 's',
    column1Name: 's',
    joinString: 's',
    column2Name: 's',
    finalColumnName: 's',
    finalColumnType: 's',
  });
  for (const k of ['tableName', 'column1Name', 'column2Name', 'finalColumnName', 'finalColumnType'])
    required(node, f, k, ctx.file);
  // dbchangelog-4.28.xsd declares joinString use="required" (measured: "Attribute 'joinString' must appear on element
  // 'mergeColumns'"); YAML/JSON may leave it out, and the UPDATE then joins with 'null'.
  if (f.joinString === undefined && /\.xml$/i.test(ctx.file)) {
    throw new SlipwayError('E_CHANGELOG', '<mergeColumns> needs joinString', {
      file: ctx.file,
      line: node.line,
      column: node.column,
      hint: 'Liquibase\'s XSD validation rejects it too; joinString="" joins the two values with nothing between them.',
    });
  }
  const add = COLUMN_CHANGES.addColumn(
    synthetic(node, 'addColumn', { schemaName: f.schemaName, tableName: f.tableName }, [
      synthetic(node, 'column', { name: f.finalColumnName, type: f.finalColumnType }),
    ]),
    ctx,
  );
  const drops = [f.column1Name!, f.column2Name!].map((columnName) =>
    COLUMN_CHANGES.dropColumn(
      synthetic(node, 'dropColumn', { schemaName: f.schemaName, tableName: f.tableName, columnName }),
      ctx,
    ),
  );
  return {
    name: 'mergeColumns',
    serial: { fields: f },
    sql: (names) => [
      ...add.sql(names),
      `UPDATE ${qualifiedName(f.schemaName, f.tableName!, names)} SET ${escapeColumn(f.finalColumnName!, names)} = ${escapeColumn(f.column1Name!, names)} || '${f.joinString ?? 'null'}' || ${escapeColumn(f.column2Name!, names)}`,
      ...drops.flatMap((d) => d.sql(names)),
    ],
  };
}

export const COMPOSITE_CHANGES = {
  addLookupTable: buildAddLookupTable,
  mergeColumns: buildMergeColumns,
};
