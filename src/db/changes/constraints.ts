/**
 * Constraint changes — add/drop primary key, unique, foreign key, dropAllForeignKeyConstraints — as Liquibase 4.28
 * renders them for PostgreSQL.
 */
import type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';
import { isTrue, loadFields, required } from './fields.js';
import { escapeColumnList, escapeName, qualifiedName, stringLiteral, type NameContext } from './identifiers.js';

type Fields = Record<string, string>;
type Loose = Record<string, string | undefined>;

/** AddUniqueConstraintGenerator. */
export function addUniqueSql(f: Loose, names: NameContext): string {
  const table = qualifiedName(f.schemaName, f.tableName!, names);
  let sql =
    f.constraintName === undefined
      ? `ALTER TABLE ${table} ADD UNIQUE (${escapeColumnList(f.columnNames!, names)})`
      : `ALTER TABLE ${table} ADD CONSTRAINT ${escapeName(f.constraintName, names)} UNIQUE (${escapeColumnList(f.columnNames!, names)})`;
  if (isTrue(f.deferrable)) sql += ' DEFERRABLE';
  if (isTrue(f.initiallyDeferred)) sql += ' INITIALLY DEFERRED';
  let usingIndex = false;
  if (f.forIndexName !== undefined) {
    sql += ` USING INDEX ${qualifiedName(f.forIndexSchemaName, f.forIndexName, names)}`;
    usingIndex = true;
  }
  if (f.tablespace?.trim()) sql += `${usingIndex ? '' : ' USING INDEX'} TABLESPACE ${f.tablespace}`;
  return sql;
}

/** AddForeignKeyConstraintGenerator. */
export function addForeignKeySql(f: Loose, names: NameContext): string {
  let sql = `ALTER TABLE ${qualifiedName(f.baseTableSchemaName, f.baseTableName!, names)} ADD CONSTRAINT ${f.constraintName === undefined ? 'null' : escapeName(f.constraintName, names)} FOREIGN KEY (${escapeColumnList(f.baseColumnNames!, names)}) REFERENCES ${qualifiedName(f.referencedTableSchemaName, f.referencedTableName!, names)} (${escapeColumnList(f.referencedColumnNames!, names)})`;
  if (f.onUpdate !== undefined) sql += ` ON UPDATE ${f.onUpdate}`;
  if (f.onDelete !== undefined) sql += ` ON DELETE ${f.onDelete}`;
  if (isTrue(f.deferrable)) sql += ' DEFERRABLE';
  if (isTrue(f.initiallyDeferred)) sql += ' INITIALLY DEFERRED';
  if (f.validate === 'false') sql += ' NOT VALID ';
  return sql;
}

function dropConstraint(name: string, f: Fields, tableKey: string, schemaKey: string): BuiltChange {
  return {
    name,
    serial: { fields: f },
    sql: (names) => [
      `ALTER TABLE ${qualifiedName(f[schemaKey], f[tableKey]!, names)} DROP CONSTRAINT ${f.constraintName === undefined ? 'null' : escapeName(f.constraintName, names)}`,
    ],
  };
}

const clean = (f: Loose): Fields => Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined)) as Fields;

/** The DO block DropPrimaryKeyGenerator runs on PostgreSQL when no constraint name is given. */
function dropUnnamedPrimaryKeySql(f: Fields, names: NameContext): string {
  const schema = f.schemaName?.trim() ? f.schemaName : names.defaultSchema;
  return [
    'DO $$ DECLARE constraint_name varchar;',
    'BEGIN',
    '  SELECT tc.CONSTRAINT_NAME into strict constraint_name',
    '    FROM INFORMATION_SCHEMA.TABLE_CONSTRAINTS tc',
    "    WHERE CONSTRAINT_TYPE = 'PRIMARY KEY'",
    `      AND TABLE_NAME = ${stringLiteral(f.tableName!)} AND TABLE_SCHEMA = ${stringLiteral(schema)};`,
    `    EXECUTE 'alter table ${qualifiedName(f.schemaName, f.tableName!, names).replaceAll("'", "''")} drop constraint "' || constraint_name || '"';`,
    'END $$',
  ].join('\n');
}

function dropPrimaryKey(f: Fields): BuiltChange {
  return {
    name: 'dropPrimaryKey',
    serial: { fields: f },
    sql: (names) =>
      f.constraintName === undefined
        ? [dropUnnamedPrimaryKeySql(f, names)]
        : [
            `ALTER TABLE ${qualifiedName(f.schemaName, f.tableName!, names)} DROP CONSTRAINT ${escapeName(f.constraintName, names)}`,
          ],
  };
}

function buildAddPrimaryKey(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    catalogName: 's',
    schemaName: 's',
    tableName: 's',
    tablespace: 's',
    columnNames: 's',
    constraintName: 's',
    clustered: 'b',
    forIndexName: 's',
    forIndexSchemaName: 's',
    forIndexCatalogName: 's',
    validate: 'b',
  });
  for (const k of ['tableName', 'columnNames']) required(node, f, k, ctx.file);
  return {
    name: 'addPrimaryKey',
    serial: { fields: f },
    sql: (names) => {
      const table = qualifiedName(f.schemaName, f.tableName!, names);
      const cols = escapeColumnList(f.columnNames!, names);
      let sql =
        f.constraintName === undefined
          ? `ALTER TABLE ${table} ADD PRIMARY KEY (${cols})`
          : `ALTER TABLE ${table} ADD CONSTRAINT ${escapeName(f.constraintName, names)} PRIMARY KEY (${cols})`;
      if (f.tablespace?.trim()) sql += ` USING INDEX TABLESPACE ${f.tablespace}`;
      const out = [sql];
      if (isTrue(f.clustered) && f.constraintName !== undefined)
        out.push(`CLUSTER ${table} USING ${escapeName(f.constraintName, names)}`);
      return out;
    },
    inverse: () => [
      dropPrimaryKey(
        clean({
          catalogName: f.catalogName,
          schemaName: f.schemaName,
          tableName: f.tableName,
          constraintName: f.constraintName,
        }),
      ),
    ],
  };
}

function buildDropPrimaryKey(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    catalogName: 's',
    schemaName: 's',
    tableName: 's',
    constraintName: 's',
    dropIndex: 'b',
  });
  required(node, f, 'tableName', ctx.file);
  return dropPrimaryKey(f);
}

function buildAddUnique(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    catalogName: 's',
    schemaName: 's',
    tableName: 's',
    columnNames: 's',
    constraintName: 's',
    tablespace: 's',
    clustered: 'b',
    validate: 'b',
    forIndexName: 's',
    forIndexSchemaName: 's',
    forIndexCatalogName: 's',
    deferrable: 'b',
    initiallyDeferred: 'b',
    disabled: 'b',
  });
  for (const k of ['tableName', 'columnNames']) required(node, f, k, ctx.file);
  return {
    name: 'addUniqueConstraint',
    serial: { fields: f },
    sql: (names) => [addUniqueSql(f, names)],
    inverse: () => [
      dropConstraint(
        'dropUniqueConstraint',
        clean({
          catalogName: f.catalogName,
          schemaName: f.schemaName,
          tableName: f.tableName,
          constraintName: f.constraintName,
        }),
        'tableName',
        'schemaName',
      ),
    ],
  };
}

function buildDropUnique(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    catalogName: 's',
    schemaName: 's',
    tableName: 's',
    constraintName: 's',
    uniqueColumns: 's',
  });
  required(node, f, 'tableName', ctx.file);
  return dropConstraint('dropUniqueConstraint', f, 'tableName', 'schemaName');
}

function buildAddForeignKey(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    baseTableCatalogName: 's',
    baseTableSchemaName: 's',
    baseTableName: 's',
    baseColumnNames: 's',
    referencedTableCatalogName: 's',
    referencedTableSchemaName: 's',
    referencedTableName: 's',
    referencedColumnNames: 's',
    constraintName: 's',
    deferrable: 'b',
    initiallyDeferred: 'b',
    validate: 'b',
    onUpdate: 's',
    onDelete: 's',
  });
  for (const k of [
    'baseTableName',
    'baseColumnNames',
    'referencedTableName',
    'referencedColumnNames',
    'constraintName',
  ])
    required(node, f, k, ctx.file);
  // Deprecated deleteCascade (AddForeignKeyConstraintChange.setDeleteCascade, which Liquibase 4.28 calls after
  // setOnDelete): true sets onDelete CASCADE when onDelete is unset, and otherwise — false, or true beside an
  // onDelete — clears onDelete (measured: deleteCascade="true" onDelete="CASCADE" leaves an FK with no ON DELETE
  // rule and a checksum without onDelete, in either attribute order).
  const deleteCascade = node.attrs.deleteCascade;
  if (deleteCascade !== undefined) {
    if (/^true$/i.test(deleteCascade) && f.onDelete === undefined) f.onDelete = 'CASCADE';
    else delete f.onDelete;
  }
  return {
    name: 'addForeignKeyConstraint',
    serial: { fields: f },
    sql: (names) => [addForeignKeySql(f, names)],
    inverse: () => [
      dropConstraint(
        'dropForeignKeyConstraint',
        clean({
          baseTableCatalogName: f.baseTableCatalogName,
          baseTableSchemaName: f.baseTableSchemaName,
          baseTableName: f.baseTableName,
          constraintName: f.constraintName,
        }),
        'baseTableName',
        'baseTableSchemaName',
      ),
    ],
  };
}

function buildDropForeignKey(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    baseTableCatalogName: 's',
    baseTableSchemaName: 's',
    baseTableName: 's',
    constraintName: 's',
  });
  for (const k of ['baseTableName', 'constraintName']) required(node, f, k, ctx.file);
  return dropConstraint('dropForeignKeyConstraint', f, 'baseTableName', 'baseTableSchemaName');
}

function buildDropAllForeignKeys(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, { baseTableCatalogName: 's', baseTableSchemaName: 's', baseTableName: 's' });
  required(node, f, 'baseTableName', ctx.file);
  return {
    name: 'dropAllForeignKeyConstraints',
    serial: { fields: f },
    // Deliberate difference: Liquibase reads the foreign keys from the live database while it generates SQL and
    // emits one DROP CONSTRAINT per key. Slipway renders without a database, so the lookup happens when the package
    // runs: a DO block finds the table's foreign keys in pg_constraint and drops each.
    sql: (names) => {
      const schema = f.baseTableSchemaName?.trim() ? f.baseTableSchemaName : names.defaultSchema;
      return [
        [
          'DO $$ DECLARE r record;',
          'BEGIN',
          '  FOR r IN SELECT c.conname FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid',
          '      JOIN pg_namespace n ON n.oid = t.relnamespace',
          `    WHERE c.contype = 'f' AND t.relname = ${stringLiteral(f.baseTableName!)} AND n.nspname = ${stringLiteral(schema)}`,
          '    ORDER BY c.conname',
          '  LOOP',
          `    EXECUTE 'ALTER TABLE ${qualifiedName(f.baseTableSchemaName, f.baseTableName!, names).replaceAll("'", "''")} DROP CONSTRAINT ' || quote_ident(r.conname);`,
          '  END LOOP;',
          'END $$',
        ].join('\n'),
      ];
    },
  };
}

export const CONSTRAINT_CHANGES = {
  addPrimaryKey: buildAddPrimaryKey,
  dropPrimaryKey: buildDropPrimaryKey,
  addUniqueConstraint: buildAddUnique,
  dropUniqueConstraint: buildDropUnique,
  addForeignKeyConstraint: buildAddForeignKey,
  dropForeignKeyConstraint: buildDropForeignKey,
  dropAllForeignKeyConstraints: buildDropAllForeignKeys,
};
