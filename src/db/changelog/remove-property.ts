/**
 * `<removeChangeSetProperty change="addColumn" dbms="…" remove="afterColumn|beforeColumn|position"/>`, a child of
 * `<databaseChangeLog>`, as Liquibase 4.28 reads it (DatabaseChangeLog REMOVE_CHANGE_SET_PROPERTY,
 * AddColumnChangeVisitor, AddColumnChange.modify). Measured in test/integration/db-remove-property-oracle.test.ts:
 * - it applies to the addColumn changes (rollback ones too, ChangeSet.toChange: from the source) parsed after it in the same file, in document order, in
 *   XML and YAML alike; not to earlier ones, not to included files;
 * - `dbms` must match the database (case-sensitive, `all`, `!mysql`, lists); without `dbms` it applies to none;
 * - `change` must be exactly `addColumn`; anything else is ignored;
 * - `remove` is applied before the checksum: the changeset records the checksum of the change without the attribute;
 * - any other `remove` fails ("Unexpected value found under removeChangeSetProperty for remove tag: …") when an
 *   addColumn is parsed after it, and is ignored when none is.
 */
import { SlipwayError } from '../../errors.js';
import type { ParseWarning } from '../model.js';
import { matchesDbms, splitAndTrim } from './select.js';
import type { ChangelogNode } from './xml-tree.js';
import { attrLine } from './value-lines.js';

export const REMOVABLE = ['afterColumn', 'beforeColumn', 'position'];

export interface PropertyRemoval {
  remove: string;
  file: string;
  line: number;
}

/**
 * Reads one `removeChangeSetProperty` node (attributes already expanded): the removal to apply to the rest of the
 * file, or null when Liquibase ignores it (a warning says why, except for a `dbms` of other databases).
 */
export function readRemoval(
  node: ChangelogNode,
  file: string,
  dbms: string,
  warnings: ParseWarning[],
): PropertyRemoval | null {
  const { change, remove } = node.attrs;
  const warn = (why: string): null => {
    warnings.push({
      code: 'W_REMOVE_PROPERTY_IGNORED',
      file,
      line: node.line,
      message: `removeChangeSetProperty ${why}: Liquibase 4.28 ignores it, and so does Slipway.`,
    });
    return null;
  };
  if (change !== 'addColumn')
    return warn(
      change === undefined ? 'has no change' : `change="${change}" (only "addColumn" is supported, spelled exactly so)`,
    );
  if (splitAndTrim(node.attrs.dbms ?? null).length === 0) return warn('has no dbms (it then applies to no database)');
  if (!matchesDbms(node.attrs.dbms!, dbms, true)) return null;
  // The line of the `remove` value, for the error an unknown one gets once an addColumn follows.
  return { remove: remove ?? '', file, line: attrLine(node, 'remove') };
}

/** An addColumn node with what `removals` remove taken off each column; an unknown `remove` is an error. */
export function applyRemovals(node: ChangelogNode, removals: PropertyRemoval[]): ChangelogNode {
  if (node.name !== 'addColumn' || removals.length === 0) return node;
  for (const r of removals) {
    if (!REMOVABLE.includes(r.remove)) {
      throw new SlipwayError(
        'E_CHANGELOG',
        `removeChangeSetProperty remove="${r.remove}": Liquibase 4.28 fails on it ("Unexpected value found under removeChangeSetProperty for remove tag: ${r.remove}") once an addColumn follows`,
        { file: r.file, line: r.line, field: 'remove', hint: `Use one of ${REMOVABLE.join(', ')}.` },
      );
    }
  }
  const gone = new Set(removals.map((r) => r.remove));
  const keep = (attrs: Record<string, string>): Record<string, string> =>
    Object.fromEntries(Object.entries(attrs).filter(([k]) => !gone.has(k)));
  // AddColumnChange.modify works on the loaded columns, whatever shape they were written in: a YAML/JSON `columns`
  // entry with no `column` under it (`columns: [- name: x, afterColumn: y]`) is itself a column (columnNodes), so its
  // own attributes lose the property too (found on spinnaker/clouddriver, 20190913-task-sagaids.yml).
  const strip = (c: ChangelogNode): ChangelogNode =>
    c.name === 'column'
      ? { ...c, attrs: keep(c.attrs) }
      : c.name === 'columns'
        ? { ...c, attrs: keep(c.attrs), children: c.children.map(strip) }
        : c;
  return { ...node, children: node.children.map(strip) };
}
