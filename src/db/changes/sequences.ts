/** createSequence, alterSequence, dropSequence, renameSequence as Liquibase 4.28 renders them for PostgreSQL. */
import type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';
import { loadFields, required } from './fields.js';
import { escapeName, qualifiedName } from './identifiers.js';

type Fields = Record<string, string>;

function dropSequence(f: Fields): BuiltChange {
  return {
    name: 'dropSequence',
    serial: { fields: f },
    sql: (names) => [`DROP SEQUENCE ${qualifiedName(f.schemaName, f.sequenceName!, names)} CASCADE`],
  };
}

const SEQUENCE_FIELDS = {
  catalogName: 's',
  schemaName: 's',
  sequenceName: 's',
  startValue: 'i',
  incrementBy: 'i',
  maxValue: 'i',
  minValue: 'i',
  ordered: 'b',
  cycle: 'b',
  cacheSize: 'i',
  dataType: 's',
} as const;

function buildCreateSequence(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, SEQUENCE_FIELDS);
  required(node, f, 'sequenceName', ctx.file);
  return {
    name: 'createSequence',
    // Measured: Liquibase 4.28 fails validation when ordered is set at all, true or false ("ordered is not allowed
    // on postgresql"; change-types/attrs), as it does for createProcedure's replaceIfExists.
    ...(f.ordered !== undefined
      ? {
          invalid: {
            message: '<createSequence> ordered is not allowed on PostgreSQL',
            field: 'ordered',
            hint: 'Liquibase 4.28 refuses this changeset on PostgreSQL too ("ordered is not allowed on postgresql"); remove ordered.',
          },
        }
      : {}),
    serial: { fields: f },
    sql: (names) => {
      let sql = `CREATE SEQUENCE  IF NOT EXISTS ${qualifiedName(f.schemaName, f.sequenceName!, names)}`;
      if (f.dataType !== undefined) sql += ` AS ${f.dataType}`;
      if (f.startValue !== undefined) sql += ` START WITH ${f.startValue}`;
      if (f.incrementBy !== undefined) sql += ` INCREMENT BY ${f.incrementBy}`;
      if (f.minValue !== undefined) sql += ` MINVALUE ${f.minValue}`;
      if (f.maxValue !== undefined) sql += ` MAXVALUE ${f.maxValue}`;
      if (f.cacheSize !== undefined) sql += ` CACHE ${f.cacheSize}`;
      if (f.cycle === 'true') sql += ' CYCLE';
      return [sql];
    },
    inverse: () => [
      dropSequence(
        Object.fromEntries(
          Object.entries({ catalogName: f.catalogName, schemaName: f.schemaName, sequenceName: f.sequenceName }).filter(
            ([, v]) => v !== undefined,
          ),
        ) as Fields,
      ),
    ],
  };
}

function buildAlterSequence(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const { startValue: _s, ...spec } = SEQUENCE_FIELDS;
  const f = loadFields(node, spec);
  required(node, f, 'sequenceName', ctx.file);
  return {
    name: 'alterSequence',
    serial: { fields: f },
    sql: (names) => {
      let sql = `ALTER SEQUENCE ${qualifiedName(f.schemaName, f.sequenceName!, names)}`;
      if (f.dataType !== undefined) sql += ` AS ${f.dataType}`;
      if (f.incrementBy !== undefined) sql += ` INCREMENT BY ${f.incrementBy}`;
      if (f.minValue !== undefined) sql += ` MINVALUE ${f.minValue}`;
      if (f.maxValue !== undefined) sql += ` MAXVALUE ${f.maxValue}`;
      if (f.cacheSize !== undefined) sql += ` CACHE ${f.cacheSize}`;
      // AlterSequenceGenerator prints ORDER / NOORDER whatever the database (PostgreSQL rejects both, under Liquibase
      // as under psql; measured with update-sql).
      if (f.ordered !== undefined) sql += f.ordered === 'true' ? ' ORDER' : ' NOORDER';
      if (f.cycle !== undefined) sql += f.cycle === 'true' ? ' CYCLE' : ' NO CYCLE';
      return [sql];
    },
  };
}

function buildDropSequence(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, { catalogName: 's', schemaName: 's', sequenceName: 's' });
  required(node, f, 'sequenceName', ctx.file);
  return dropSequence(f);
}

function renameSequence(f: Fields): BuiltChange {
  return {
    name: 'renameSequence',
    serial: { fields: f },
    sql: (names) => [
      `ALTER SEQUENCE ${qualifiedName(f.schemaName, f.oldSequenceName!, names)} RENAME TO ${escapeName(f.newSequenceName!, names)}`,
    ],
    inverse: () => [renameSequence({ ...f, oldSequenceName: f.newSequenceName!, newSequenceName: f.oldSequenceName! })],
  };
}

function buildRenameSequence(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, { catalogName: 's', schemaName: 's', oldSequenceName: 's', newSequenceName: 's' });
  for (const k of ['oldSequenceName', 'newSequenceName']) required(node, f, k, ctx.file);
  return renameSequence(f);
}

export const SEQUENCE_CHANGES = {
  createSequence: buildCreateSequence,
  alterSequence: buildAlterSequence,
  dropSequence: buildDropSequence,
  renameSequence: buildRenameSequence,
};
