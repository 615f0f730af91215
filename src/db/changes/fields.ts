/** Loading a change element's attributes as the typed bean properties Liquibase serialises. */
import { SlipwayError } from '../../errors.js';
import type { ChangeNode } from './change-node.js';
import { canonicalInteger } from './column-config.js';
import { javaBoolean } from './values.js';

/** `s` string, `b` Boolean, `i` BigInteger/Integer. */
export type FieldKind = 's' | 'b' | 'i';

/** Attribute name → kind, in the change class's property list. */
export type FieldSpec = Record<string, FieldKind>;

/** Reads the attributes `spec` names (converted: booleans `true`/`false`, canonical integers); others are ignored. */
export function loadFields(node: ChangeNode, spec: FieldSpec): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k in spec) {
    const kind = spec[k];
    let v = node.attrs[k];
    // A YAML/JSON key whose value is a block (e.g. `sql: |`) arrives as a child with text.
    if (v === undefined) {
      const child = node.children.find((c) => c.name === k && c.children.length === 0);
      if (child) v = child.text;
    }
    if (v === undefined) continue;
    out[k] = kind === 'b' ? String(javaBoolean(v)) : kind === 'i' ? canonicalInteger(v) : v;
  }
  return out;
}

/** The attribute `name` or an E_CHANGELOG naming the element and its line. */
export function required(node: ChangeNode, fields: Record<string, string>, name: string, file: string): string {
  const v = fields[name];
  if (v === undefined || v.trim() === '') {
    throw new SlipwayError('E_CHANGELOG', `<${node.name}> needs ${name}`, {
      file,
      line: node.line,
      column: node.column,
      hint: `Liquibase rejects <${node.name}> without ${name} too; add it.`,
    });
  }
  return v;
}

/** "true" (after conversion). */
export const isTrue = (v: string | undefined): boolean => v === 'true';
