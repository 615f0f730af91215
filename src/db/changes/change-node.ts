/**
 * The common shape every change type is built from and renders with: the changelog element (XML, or YAML/JSON
 * mapped to the same tree) after property expansion, and the contexts a change needs to become SQL.
 */
import type { ChangelogNode } from '../changelog/xml-tree.js';
import type { NameContext } from './identifiers.js';
import type { SchemaModel } from './schema-model.js';
import type { SerialObject } from './serialize.js';

export type ChangeNode = ChangelogNode;

/** What building a change needs besides the element. */
export interface BuildContext {
  /** Changelog file (root-relative), for messages and relative paths. */
  file: string;
  /** Absolute root (search path). */
  rootDir: string;
  changeSet: { id: string; author: string };
  /**
   * Reads a root-relative file (records it among the package's files); throws E_CHANGELOG when missing or outside the
   * root, at the value of `from`'s attribute `field` that names it (its element's line when not given).
   */
  readFile: (rootRelative: string, from: ChangeNode, field?: string) => Buffer;
  /** `${property}` expansion for file contents Liquibase expands (createView/createProcedure path). */
  expand: (text: string) => string;
  /** database.customChanges: class name → root-relative SQL file. */
  customChanges?: Record<string, string>;
  warn: (line: number, code: string, message: string) => void;
  /** Column types the changelog declared so far (loadData's stand-in for Liquibase's database snapshot). */
  model?: SchemaModel;
}

/** A change type, loaded: its fields (for checksum and description), its SQL, and its inverse if Liquibase has one. */
export interface BuiltChange {
  /** Element name, e.g. `createTable`. */
  name: string;
  /** Fields as Liquibase's serializer sees them. */
  serial: SerialObject;
  /** Fields the class leaves out of its V9 checksum (getExcludedFieldFilters). */
  excluded?: readonly string[];
  /** A checksum computed differently from the serialised fields (loadData, createView, createProcedure). */
  checksum?: string;
  /** Statements for PostgreSQL, in order, without trailing `;`. */
  sql: (names: NameContext) => string[];
  /** createInverses(): the changes that undo this one; undefined when Liquibase cannot roll it back automatically. */
  inverse?: () => BuiltChange[];
  /** `dbms` attribute of a DbmsTargetedChange. */
  dbms?: string;
  /**
   * Why Liquibase 4.28's validation refuses this change on PostgreSQL ("… is not allowed on postgresql"). Liquibase
   * validates only the changesets its contexts, labels and dbms let through, so the refusal waits for selection.
   */
  invalid?: ChangeInvalid;
}

/** A validation failure of one change, raised as E_CHANGELOG only if its changeset is selected. */
export interface ChangeInvalid {
  message: string;
  hint: string;
  field?: string;
}

/** The direct `<column>` children (YAML/JSON `columns: [- column: …]` is flattened to the same). */
export function columnNodes(node: ChangeNode, name = 'column'): ChangeNode[] {
  const out: ChangeNode[] = [];
  for (const c of node.children) {
    if (c.name === name) out.push(c);
    else if (c.name === `${name}s`) {
      const inner = c.children.filter((g) => g.name === name);
      // AbstractChange.load: a `columns` node with no `column` under it is itself one column (YAML `columns: {name:
      // x, type: t}`, a mapping where a list belongs; measured, 4.28: the column is added and checksummed).
      if (inner.length || (!c.children.length && !Object.keys(c.attrs).length)) out.push(...inner);
      else out.push({ ...c, name });
    }
  }
  return out;
}
