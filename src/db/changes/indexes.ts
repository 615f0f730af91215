/** createIndex and dropIndex as Liquibase 4.28 renders them for PostgreSQL (CreateIndexGeneratorPostgres). */
import type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';
import { columnNodes } from './change-node.js';
import { loadColumn, type ColumnConfig } from './column-config.js';
import type { SerialObject } from './serialize.js';
import { isTrue, loadFields, required } from './fields.js';
import { escapeColumn, escapeName, qualifiedName } from './identifiers.js';

type Fields = Record<string, string>;

// CreateIndexChange.getSerializableFieldValue clears these of every column before the checksum is computed; the
// rest (defaultValueComputed, valueNumeric…) stays. Measured with changelog-sync, one attribute per changeset.
const INDEX_COLUMN_CLEARED = new Set([
  'type',
  'autoIncrement',
  'constraints',
  'defaultValue',
  'value',
  'startWith',
  'incrementBy',
  'encoding',
  'remarks',
]);

function indexColumnSerial(c: ColumnConfig): SerialObject {
  return { fields: Object.fromEntries(Object.entries(c.fields).filter(([k]) => !INDEX_COLUMN_CLEARED.has(k))) };
}

function dropIndex(f: Fields): BuiltChange {
  return {
    name: 'dropIndex',
    serial: { fields: f },
    // DropIndexChange.getAssociatedWith is not a checksum property (isChangeProperty = false), as in createIndex:
    // Liquibase 4.28 records the same MD5SUM with and without it (measured, change-types/attrs a3).
    excluded: ['associatedWith'],
    sql: (names) => [`DROP INDEX ${qualifiedName(f.schemaName, f.indexName!, names)}`],
  };
}

function buildCreateIndex(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    catalogName: 's',
    schemaName: 's',
    tableName: 's',
    indexName: 's',
    unique: 'b',
    tablespace: 's',
    associatedWith: 's',
    clustered: 'b',
  });
  // No indexName (or an empty one) is allowed: PostgreSQL names the index, as Liquibase 4.28's
  // CreateIndexGeneratorPostgres leaves the name out when it is null and its validation requires it only on other
  // databases (measured: `CREATE INDEX ON …`, and `CREATE INDEX  ON …` for indexName="").
  required(node, f, 'tableName', ctx.file);
  const columns = columnNodes(node).map(loadColumn);
  return {
    name: 'createIndex',
    serial: { fields: { ...f, columns: columns.map(indexColumnSerial) } },
    excluded: ['associatedWith'],
    sql: (names) => {
      const assoc = (f.associatedWith ?? '').split(',').map((s) => s.trim());
      if (assoc.some((a) => a === 'primaryKey' || a === 'uniqueConstraint' || a === 'foreignKey')) return [];
      const cols = columns.map((c) => {
        const name = c.name ?? '';
        const computed = c.fields.computed;
        const text =
          computed === undefined
            ? escapeColumn(name, names, false)
            : computed === 'true'
              ? name
              : escapeColumn(name, names);
        return c.fields.descending === 'true' ? `${text} DESC` : text;
      });
      const name = f.indexName === undefined ? '' : `${escapeName(f.indexName, names)} `;
      let sql = `CREATE ${isTrue(f.unique) ? 'UNIQUE ' : ''}INDEX ${name}ON ${qualifiedName(f.schemaName, f.tableName!, names)}(${cols.join(', ')})`;
      if (f.tablespace?.trim()) sql += ` TABLESPACE ${f.tablespace}`;
      const out = [sql];
      if (isTrue(f.clustered))
        out.push(
          // Without indexName Liquibase writes "USING null" (measured with update-sql), which PostgreSQL refuses.
          `CLUSTER ${qualifiedName(f.schemaName, f.tableName!, names)} USING ${f.indexName === undefined ? 'null' : escapeName(f.indexName, names)}`,
        );
      return out;
    },
    // Without a name there is no rollback: Liquibase's inverse runs `DROP INDEX public.null`, which fails (measured).
    inverse: !f.indexName?.trim()
      ? undefined
      : () => [
          dropIndex(
            Object.fromEntries(
              Object.entries({
                catalogName: f.catalogName,
                schemaName: f.schemaName,
                tableName: f.tableName,
                indexName: f.indexName,
              }).filter(([, v]) => v !== undefined),
            ) as Fields,
          ),
        ],
  };
}

function buildDropIndex(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    schemaName: 's',
    indexName: 's',
    tableName: 's',
    associatedWith: 's',
    catalogName: 's',
  });
  required(node, f, 'indexName', ctx.file);
  return dropIndex(f);
}

export const INDEX_CHANGES = { createIndex: buildCreateIndex, dropIndex: buildDropIndex };
