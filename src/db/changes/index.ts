/**
 * Liquibase change types → PostgreSQL SQL, "9:" checksums and inferred rollbacks. One entry point: `buildChange`
 * turns a changelog element into a BuiltChange; `changeSql`, `changeChecksumOf`, `changeDescription` and
 * `inverseSql` read it.
 */
import { SlipwayError } from '../../errors.js';
import type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';
import { refuseUnloadableColumnAttrs } from './column-config.js';
import { COLUMN_CHANGES } from './column.js';
import { COMPOSITE_CHANGES } from './composite.js';
import { CONSTRAINT_CHANGES } from './constraints.js';
import { customChange, executeCommand } from './custom.js';
import { DATA_CHANGES } from './data.js';
import type { NameContext } from './identifiers.js';
import { INDEX_CHANGES } from './indexes.js';
import { LOAD_CHANGES } from './load-data.js';
import { MISC_CHANGES } from './misc.js';
import { PROCEDURE_CHANGES } from './procedures.js';
import { SEQUENCE_CHANGES } from './sequences.js';
import { changeChecksum, describeChange } from './serialize.js';
import { TABLE_CHANGES } from './table.js';
import { VIEW_CHANGES } from './views.js';

export type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';
export type { NameContext, QuotingStrategy } from './identifiers.js';

type Builder = (node: ChangeNode, ctx: BuildContext) => BuiltChange;

const BUILDERS: Record<string, Builder> = {
  ...TABLE_CHANGES,
  ...COLUMN_CHANGES,
  ...CONSTRAINT_CHANGES,
  ...INDEX_CHANGES,
  ...SEQUENCE_CHANGES,
  ...VIEW_CHANGES,
  ...PROCEDURE_CHANGES,
  ...DATA_CHANGES,
  ...LOAD_CHANGES,
  ...MISC_CHANGES,
  ...COMPOSITE_CHANGES,
  customChange,
  executeCommand,
};

/** Change type names Slipway renders (customChange only through database.customChanges). */
export const SUPPORTED_CHANGE_TYPES = Object.keys(BUILDERS).sort();

/** Whether `name` is a Liquibase change type Slipway knows. */
export function isChangeType(name: string): boolean {
  return Object.hasOwn(BUILDERS, name);
}

/** Builds one change element; E_CHANGELOG for an element that is not a change type Slipway knows. */
export function buildChange(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const builder = Object.hasOwn(BUILDERS, node.name) ? BUILDERS[node.name] : undefined;
  if (!builder) {
    throw new SlipwayError('E_CHANGELOG', `Change type <${node.name}> is not supported`, {
      file: ctx.file,
      line: node.line,
      column: node.column,
      hint: `Slipway renders these change types: ${SUPPORTED_CHANGE_TYPES.join(', ')}; write others as <sql>, <sqlFile> or a formatted SQL changelog.`,
    });
  }
  refuseUnloadableColumnAttrs(node, ctx.file);
  return builder(node, ctx);
}

/** The change's "9:" checksum as Liquibase 4.28 computes it. */
export function changeChecksumOf(c: BuiltChange): string {
  return c.checksum ?? changeChecksum(c.name, c.serial, c.excluded);
}

const V9_ONLY_EXCLUSIONS = new Set(['createView', 'createProcedure']);

/**
 * The pre-4.24 "8:" form: the same serialised text without V9-only exclusions (unverified against Liquibase).
 * `v9`, when the caller has changeChecksumOf(c) already, is reused instead of serialising and hashing the change again.
 */
export function changeChecksumV8Of(c: BuiltChange, v9?: string): string {
  if (V9_ONLY_EXCLUSIONS.has(c.name)) return '8:' + changeChecksum(c.name, c.serial).slice(2);
  return '8:' + (v9 ?? changeChecksumOf(c)).slice(2);
}

/** AbstractChange.getDescription. */
export function changeDescription(c: BuiltChange): string {
  return describeChange(c.name, c.serial);
}

/** Statements the change runs on PostgreSQL. */
export function changeSql(c: BuiltChange, names: NameContext): string[] {
  return c.sql(names);
}

/** Rollback statements Liquibase infers (createInverses), or null when it cannot roll the change back. */
export function inverseSql(c: BuiltChange, names: NameContext): string[] | null {
  if (!c.inverse) return null;
  return c.inverse().flatMap((i) => i.sql(names));
}
