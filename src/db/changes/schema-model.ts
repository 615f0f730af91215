/**
 * Column types the changelog itself declares (createTable, addColumn, modifyDataType, renames, drops), collected
 * while parsing. loadData needs them where Liquibase asks the live database: a CSV column without `type` gets the
 * table column's type at update time (LoadDataChange.retrieveMissingColumnLoadTypes), which decides e.g. whether an
 * empty cell is '' (a string column) or NULL. Slipway renders without a database, so it uses the changelog's own
 * declarations; a table the changelog did not create (raw SQL) leaves the column untyped, as `update-sql` does.
 */
export class SchemaModel {
  private readonly tables = new Map<string, Map<string, string>>();

  private static key(schema: string | undefined, table: string): string {
    return `${(schema ?? '').toLowerCase()}.${table.toLowerCase()}`;
  }

  /** Records a table (replacing any earlier one of that name). */
  createTable(schema: string | undefined, table: string, columns: { name: string; type?: string }[]): void {
    const cols = new Map<string, string>();
    for (const c of columns) if (c.type !== undefined) cols.set(c.name.toLowerCase(), c.type);
    this.tables.set(SchemaModel.key(schema, table), cols);
  }

  setColumn(schema: string | undefined, table: string, column: string, type: string | undefined): void {
    const t = this.tables.get(SchemaModel.key(schema, table));
    if (!t) return;
    if (type === undefined) t.delete(column.toLowerCase());
    else t.set(column.toLowerCase(), type);
  }

  renameColumn(schema: string | undefined, table: string, from: string, to: string): void {
    const t = this.tables.get(SchemaModel.key(schema, table));
    const type = t?.get(from.toLowerCase());
    if (!t || type === undefined) return;
    t.delete(from.toLowerCase());
    t.set(to.toLowerCase(), type);
  }

  renameTable(schema: string | undefined, from: string, to: string): void {
    const t = this.tables.get(SchemaModel.key(schema, from));
    if (!t) return;
    this.tables.delete(SchemaModel.key(schema, from));
    this.tables.set(SchemaModel.key(schema, to), t);
  }

  dropTable(schema: string | undefined, table: string): void {
    this.tables.delete(SchemaModel.key(schema, table));
  }

  /** The declared type of a column, or undefined when the changelog does not say. */
  columnType(schema: string | undefined, table: string, column: string): string | undefined {
    return this.tables.get(SchemaModel.key(schema, table))?.get(column.toLowerCase());
  }
}
