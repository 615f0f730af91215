/** createProcedure (inline or `path`) and dropProcedure as Liquibase 4.28 runs them on PostgreSQL. */
import type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';
import { loadFields, required } from './fields.js';
import { qualifiedName } from './identifiers.js';
import { readChangeSqlFile, sqlBodyChecksum } from './views.js';

function buildCreateProcedure(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const { procedureBody, ...f } = loadFields(node, {
    // Liquibase 4.28 reads `procedureBody` as procedureText (its alternatePropertyNames); YAML/JSON changelogs use it.
    procedureBody: 's',
    comments: 's',
    catalogName: 's',
    schemaName: 's',
    procedureName: 's',
    procedureText: 's',
    dbms: 's',
    path: 's',
    relativeToChangelogFile: 'b',
    encoding: 's',
    replaceIfExists: 'b',
  });
  if (f.procedureText === undefined && procedureBody !== undefined) f.procedureText = procedureBody;
  if (f.procedureText === undefined && node.text.trim() !== '') f.procedureText = node.text.trim();
  let body: string;
  let checksummed: string | Buffer | null = f.procedureText ?? null;
  if (f.path !== undefined) ({ body, checksummed } = readChangeSqlFile(ctx, node, { ...f, path: f.path }));
  else body = f.procedureText ?? '';
  const excluded = ['path', 'dbms', 'relativeToChangelogFile', 'procedureText', 'encoding', 'comments'];
  return {
    name: 'createProcedure',
    // Measured: Liquibase 4.28 fails validation when replaceIfExists is set at all, true or false ("replaceIfExists
    // is not allowed on postgresql"); on another dbms's createProcedure (its own dbms) it never validates.
    ...(f.replaceIfExists !== undefined
      ? {
          invalid: {
            message: '<createProcedure> replaceIfExists is not allowed on PostgreSQL',
            field: 'replaceIfExists',
            hint: 'Liquibase 4.28 refuses this changeset on PostgreSQL too ("replaceIfExists is not allowed on postgresql"); drop the attribute and write CREATE OR REPLACE in the body.',
          },
        }
      : {}),
    serial: { fields: f },
    checksum: sqlBodyChecksum('createProcedure', f, excluded, checksummed),
    dbms: f.dbms,
    // The body runs as one statement, as written; Liquibase drops a trailing `;`.
    sql: () => [body.trim().replace(/;\s*$/, '')],
  };
}

function buildDropProcedure(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, { catalogName: 's', schemaName: 's', procedureName: 's' });
  required(node, f, 'procedureName', ctx.file);
  return {
    name: 'dropProcedure',
    serial: { fields: f },
    sql: (names) => [`DROP PROCEDURE ${qualifiedName(f.schemaName, f.procedureName!, names)}`],
  };
}

export const PROCEDURE_CHANGES = { createProcedure: buildCreateProcedure, dropProcedure: buildDropProcedure };
