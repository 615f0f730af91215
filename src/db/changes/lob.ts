/**
 * Values read from files as Liquibase 4.28's prepared statements bind them (ExecutablePreparedStatementBase): loadData's
 * BLOB/CLOB cells and insert/update's valueBlobFile/valueClobFile.
 */
import { TextDecoder } from 'node:util';
import { referencedPath } from '../changelog/paths.js';
import type { BuildContext, ChangeNode } from './change-node.js';
import { pgColumnType } from './data-types.js';
import type { Value } from './values.js';

export const hexBytes = (bytes: Buffer): string => `decode('${bytes.toString('hex')}', 'hex')`;

/**
 * A value read from a file as ExecutablePreparedStatementBase (Liquibase 4.28) binds it — for loadData's BLOB/CLOB
 * cells and for insert/update's valueBlobFile/valueClobFile: the file is found beside the changelog; a CLOB file's
 * text (in `encoding`, UTF-8 by default) is the value; a BLOB file's bytes go into a bytea column as they are and
 * into any other as a new large object, its oid the value (pgjdbc's setBlob; Liquibase reads the live column's type,
 * Slipway the changelog's own declaration, and warns W_LOAD_DATA_BLOB where there is none).
 */
export function lobFileValue(
  type: 'BLOB' | 'CLOB',
  written: string,
  encoding: string | undefined,
  schema: string | undefined,
  table: string,
  column: string,
  ctx: BuildContext,
  node: ChangeNode,
): Value {
  const bytes = ctx.readFile(referencedPath(ctx.file, written, true), node);
  if (type === 'CLOB') return { kind: 'string', text: decode(bytes, encoding) };
  const declared = ctx.model?.columnType(schema, table, column);
  if (declared !== undefined && pgColumnType(declared) === 'BYTEA') return { kind: 'function', text: hexBytes(bytes) };
  if (declared === undefined) {
    ctx.warn(
      node.line,
      'W_LOAD_DATA_BLOB',
      `<${node.name}> column ${column}: the changelog does not declare its type, so the file ${written} is loaded as a large object (its oid the value), as Liquibase loads it into any column that is not bytea`,
    );
  }
  return { kind: 'function', text: `lo_from_bytea(0, ${hexBytes(bytes)})` };
}

/** A file's text in `encoding` (UTF-8 by default; cp1252 as windows-1252), a leading BOM dropped. */
export function decode(bytes: Buffer, encoding: string | undefined): string {
  const label = (encoding ?? 'UTF-8').toLowerCase();
  const text = new TextDecoder(label === 'cp1252' ? 'windows-1252' : label).decode(bytes);
  return text.replace(/^\uFEFF/, '');
}
