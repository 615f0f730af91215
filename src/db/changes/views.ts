/** createView, dropView, renameView as Liquibase 4.28 renders them for PostgreSQL, with createView's own checksum. */
import { referencedPath } from '../changelog/paths.js';
import { decodeSqlFile } from '../changelog/sql-file-encoding.js';
import { serializedChangeChecksumV9, sqlChangeChecksumV9 } from '../checksum.js';
import type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';
import { isTrue, loadFields, required } from './fields.js';
import { escapeName, qualifiedName, remarksLiteral } from './identifiers.js';
import { changeChecksum } from './serialize.js';

type Fields = Record<string, string>;

/** A `path` attribute resolved like Liquibase (relativeToChangelogFile or the search path). */
export function resolveChangePath(ctx: BuildContext, p: string, relative: boolean): string {
  return referencedPath(ctx.file, p, relative);
}

/**
 * The SQL of a createView / createProcedure `path` file: decoded in its `encoding` (a BOM wins), as Liquibase 4.28
 * reads it (measured: an ISO-8859-1 file keeps its é), with `${…}` expanded; and what the checksum hashes, the same
 * file read as UTF-8 whatever `encoding` says (measured: Liquibase's MD5SUM of an ISO-8859-1 file is that of its bytes
 * decoded as UTF-8, U+FFFD for each é).
 */
export function readChangeSqlFile(
  ctx: BuildContext,
  node: ChangeNode,
  f: { path: string; relativeToChangelogFile?: string; encoding?: string },
): { body: string; checksummed: Buffer } {
  const bytes = ctx.readFile(resolveChangePath(ctx, f.path, isTrue(f.relativeToChangelogFile)), node, 'path');
  return {
    body: ctx.expand(decodeSqlFile(bytes, f.encoding, ctx.file, node)),
    checksummed: Buffer.from(ctx.expand(Buffer.from(bytes).toString('utf8')), 'utf8'),
  };
}

/**
 * createView / createProcedure V9 checksum: the serialised fields without the SQL (and path, encoding…), then ":" and
 * the checksum of the SQL text with whitespace removed (CreateViewChange.generateCheckSumLatest).
 */
export function sqlBodyChecksum(
  name: string,
  f: Fields,
  excluded: readonly string[],
  body: string | Buffer | null,
): string {
  const head = changeChecksum(name, { fields: f }, excluded);
  const bodySum = body === null ? sqlChangeChecksumV9('') : sqlChangeChecksumV9(body);
  return serializedChangeChecksumV9(`${head}:${bodySum}`);
}

function dropView(f: Fields): BuiltChange {
  return {
    name: 'dropView',
    serial: { fields: f },
    sql: (names) => [
      `DROP VIEW ${isTrue(f.ifExists) ? 'IF EXISTS ' : ''}${qualifiedName(f.schemaName, f.viewName!, names)}`,
    ],
  };
}

function buildCreateView(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, {
    catalogName: 's',
    schemaName: 's',
    viewName: 's',
    selectQuery: 's',
    replaceIfExists: 'b',
    fullDefinition: 'b',
    path: 's',
    relativeToChangelogFile: 'b',
    encoding: 's',
    remarks: 's',
  });
  required(node, f, 'viewName', ctx.file);
  if (f.selectQuery === undefined && node.text.trim() !== '') f.selectQuery = node.text.trim();
  let body: string;
  let checksummed: string | Buffer | null = f.selectQuery ?? null;
  if (f.path !== undefined) ({ body, checksummed } = readChangeSqlFile(ctx, node, { ...f, path: f.path }));
  else body = f.selectQuery ?? '';
  const excluded = ['path', 'relativeToChangelogFile', 'selectQuery', 'encoding'];
  return {
    name: 'createView',
    serial: { fields: f },
    checksum: sqlBodyChecksum('createView', f, excluded, checksummed),
    sql: (names) => {
      const out = isTrue(f.fullDefinition)
        ? [body]
        : [
            `CREATE ${isTrue(f.replaceIfExists) ? 'OR REPLACE ' : ''}VIEW ${qualifiedName(f.schemaName, f.viewName!, names)} AS ${body}`,
          ];
      if (f.remarks?.trim())
        out.push(`COMMENT ON VIEW ${qualifiedName(f.schemaName, f.viewName!, names)} IS ${remarksLiteral(f.remarks)}`);
      return out;
    },
    inverse: () => [
      dropView(
        Object.fromEntries(
          Object.entries({ catalogName: f.catalogName, schemaName: f.schemaName, viewName: f.viewName }).filter(
            ([, v]) => v !== undefined,
          ),
        ) as Fields,
      ),
    ],
  };
}

function buildDropView(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, { catalogName: 's', schemaName: 's', viewName: 's', ifExists: 'b' });
  required(node, f, 'viewName', ctx.file);
  return dropView(f);
}

function renameView(f: Fields): BuiltChange {
  return {
    name: 'renameView',
    serial: { fields: f },
    sql: (names) => [
      `ALTER TABLE ${qualifiedName(f.schemaName, f.oldViewName!, names)} RENAME TO ${escapeName(f.newViewName!, names)}`,
    ],
    // RenameViewChange.createInverses sets the two names only: the rename back is in the default schema even when
    // the view was renamed in another (measured: rollback fails on 'relation "public.v2" does not exist').
    inverse: () => [renameView({ oldViewName: f.newViewName!, newViewName: f.oldViewName! })],
  };
}

function buildRenameView(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const f = loadFields(node, { catalogName: 's', schemaName: 's', oldViewName: 's', newViewName: 's' });
  for (const k of ['oldViewName', 'newViewName']) required(node, f, k, ctx.file);
  return renameView(f);
}

export const VIEW_CHANGES = { createView: buildCreateView, dropView: buildDropView, renameView: buildRenameView };
