/**
 * Liquibase's StringChangeLogSerializer, the text a change type's "9:" checksum is the md5 of. Facts (read from
 * liquibase-standard 4.28 and measured against it): fields print as `name="value"` one per line, indented four spaces
 * per level, sorted by their whole printed text in Java String order and de-duplicated (a TreeSet); null fields are
 * left out; a nested object (ColumnConfig's constraints) prints without its field name; lists print as
 * `name=[\n<item>,\n<item>\n]`, an empty list as `name=[]`.
 */
import { serializedChangeChecksumV9 } from '../checksum.js';

/** A serialisable object: its non-null fields. Plain strings are already Java's `toString()` of the value. */
export interface SerialObject {
  fields: { [field: string]: SerialValue | undefined };
}

/** A Java Map field (printed `{\n    key="value",\n…}` with keys sorted). */
export interface SerialMap {
  map: Record<string, string>;
}

export type SerialValue = string | SerialObject | SerialMap | SerialValue[];

/** Indentation strings by level (4 spaces each), built once: the serializer asks for one per printed line. */
const INDENTS: string[] = [];
const indent = (n: number): string => (INDENTS[n] ??= ' '.repeat(4 * n));

/** Java String.compareTo order (UTF-16 code units), which is also what JS `<` does on strings. */
function javaOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * `excluded` (top level only) are fields left out, as the change class's getExcludedFieldFilters does; skipping them
 * here spares a copy of the fields with `delete` (which turns the copy into a slow dictionary object).
 */
function serializeObject(obj: SerialObject, level: number, excluded?: readonly string[]): string {
  const fields = obj.fields;
  const pad = indent(level);
  // Sorted, then equal neighbours dropped: the TreeSet's content, without a Set of every line.
  const lines: string[] = [];
  for (const field in fields) {
    const value = fields[field];
    if (value === undefined) continue;
    if (excluded !== undefined && excluded.length !== 0 && excluded.includes(field)) continue;
    if (typeof value === 'string') lines.push(`${pad}${field}="${value}"`);
    else if (Array.isArray(value)) lines.push(`${pad}${field}=${serializeList(value, level + 1)}`);
    else if ('map' in value) lines.push(`${pad}${field}=${serializeMap(value.map, level + 1)}`);
    else lines.push(pad + serializeObject(value, level + 1));
  }
  if (lines.length === 0) return `[${indent(level - 1)}]`;
  // sort() without a comparator orders strings by UTF-16 code units, Java's String.compareTo order, and calls no
  // JS comparator (javaOrder was ~2 % of the CPU profile of fineract's package).
  if (lines.length > 1) lines.sort();
  let body = lines[0]!;
  for (let i = 1; i < lines.length; i++) if (lines[i] !== lines[i - 1]) body += '\n' + lines[i];
  const text = `[\n${body}\n${indent(level - 1)}]`;
  // Values rarely hold a CR: the scan is cheaper than a replace that copies the text at every nesting level.
  return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
}

function serializeMap(map: Record<string, string>, level: number): string {
  const keys = Object.keys(map).sort(javaOrder);
  if (keys.length === 0) return '[]';
  // Java's replaceFirst(",$", "") removes the comma before the final line break.
  return `{\n${keys.map((k) => `${indent(level)}${k}="${map[k]}"`).join(',\n')}\n${indent(level - 1)}}`;
}

function serializeList(items: SerialValue[], level: number): string {
  if (items.length === 0) return '[]';
  const pad = indent(level);
  let body = '';
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const part =
      typeof item === 'string'
        ? item
        : Array.isArray(item)
          ? serializeList(item, level + 1)
          : 'map' in item
            ? serializeMap(item.map, level + 1)
            : serializeObject(item, level + 1);
    body += (i === 0 ? pad : ',\n' + pad) + part;
  }
  return `[\n${body}\n${indent(level - 1)}]`;
}

/** `name:[…]` exactly as StringChangeLogSerializer.serialize prints a change. */
export function serializeChange(name: string, obj: SerialObject): string {
  return `${name}:${serializeObject(obj, 1)}`;
}

/** "9:" checksum of a change from its fields, leaving out the ones its class excludes (getExcludedFieldFilters). */
export function changeChecksum(name: string, obj: SerialObject, excluded: readonly string[] = []): string {
  return serializedChangeChecksumV9(`${name}:${serializeObject(obj, 1, excluded)}`);
}

/**
 * AbstractChange.getDescription: the change name, then `field=value` for every top-level field whose name ends in
 * "name" (but is not a schema or catalog name) or is "path", sorted.
 */
export function describeChange(name: string, obj: SerialObject): string {
  const names: string[] = [];
  for (const [field, value] of Object.entries(obj.fields)) {
    if (typeof value !== 'string') continue;
    const k = field.toLowerCase();
    if ((k.endsWith('name') && !k.includes('schema') && !k.includes('catalog')) || k === 'path')
      names.push(`${field}=${value}`);
  }
  names.sort(javaOrder);
  return names.length ? `${name} ${names.join(', ')}` : name;
}
