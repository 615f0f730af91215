/** `<preConditions>` of an XML/YAML changeset or changelog into the model: and/or/not nested to any depth. */
import { SlipwayError } from '../../errors.js';
import type { ParseWarning, Precondition, Preconditions } from '../model.js';
import { UNKNOWN_AT_BUILD } from '../properties.js';
import { qualifiedName, type NameContext } from '../changes/identifiers.js';
import type { ChangelogNode } from './xml-tree.js';
import { attrLine, firstTextLine, sqlPlace } from './value-lines.js';

const TYPES: Record<string, Precondition['type']> = {
  sqlCheck: 'sql-check',
  tableExists: 'table-exists',
  columnExists: 'column-exists',
  viewExists: 'view-exists',
  sequenceExists: 'sequence-exists',
  indexExists: 'index-exists',
  changeSetExecuted: 'changeset-executed',
  dbms: 'dbms',
  uniqueConstraintExists: 'unique-constraint-exists',
  foreignKeyConstraintExists: 'foreign-key-constraint-exists',
  primaryKeyExists: 'primary-key-exists',
  rowCount: 'row-count',
  tableIsEmpty: 'table-is-empty',
  changeLogPropertyDefined: 'changelog-property-defined',
  runningAs: 'running-as',
  expectedQuotingStrategy: 'expected-quoting-strategy',
  customPrecondition: 'custom',
  and: 'and',
  or: 'or',
  not: 'not',
};

type Action = Preconditions['onFail'];

/** What a precondition parse needs from the changelog: property expansion and lookup (changeLogPropertyDefined). */
export interface PreconditionScope {
  expand: (s: string) => string;
  lookup: (name: string) => string | undefined;
  /** The master changelog's objectQuotingStrategy (LEGACY unless it sets one), for expectedQuotingStrategy. */
  quoting: string;
  /**
   * How Liquibase names objects while it checks: the changeSet's objectQuotingStrategy (ChangeSet.execute sets it
   * before the preconditions), or the master changelog's for a changelog's own (DatabaseChangeLog.validate sets it).
   */
  names: NameContext;
  /** Where a warning about a check goes (the changelog's warnings). */
  warn: (w: ParseWarning) => void;
}

/** `node`'s onFail or onError; an unknown one is E_CHANGELOG at its value. */
function action(node: ChangelogNode, which: 'onFail' | 'onError', file: string): Action {
  const v = node.attrs[which];
  if (v === undefined) return 'HALT';
  const u = v.toUpperCase();
  if (u === 'HALT' || u === 'CONTINUE' || u === 'MARK_RAN' || u === 'WARN') return u;
  throw new SlipwayError('E_CHANGELOG', `Unknown precondition action "${v}"`, {
    file,
    line: attrLine(node, which),
    field: which,
    hint: 'Use HALT, CONTINUE, MARK_RAN or WARN.',
  });
}

/** Parses a `<preConditions>` element (its children are ANDed, as Liquibase's PreconditionContainer does). */
export function parseNodePreconditions(node: ChangelogNode, file: string, scope: PreconditionScope): Preconditions {
  let operator: 'and' | 'or' = 'and';
  let children = node.children;
  const only = children.length === 1 ? children[0]! : null;
  if (only && (only.name === 'and' || only.name === 'or')) {
    operator = only.name;
    children = only.children;
  }
  const checks = children.map((c) => parseCheck(c, file, scope, 1));
  return {
    onFail: action(node, 'onFail', file),
    onError: action(node, 'onError', file),
    ...(node.attrs.onFailMessage ? { onFailMessage: node.attrs.onFailMessage } : {}),
    ...(node.attrs.onErrorMessage ? { onErrorMessage: node.attrs.onErrorMessage } : {}),
    operator,
    checks,
    location: { file, line: node.line },
  };
}

/**
 * How deep <and>/<or>/<not> may nest. Liquibase sets no limit of its own; a bound keeps every walk over the checks
 * (parse, static decision, rendering, PL/pgSQL's parser) far from a stack overflow, with an error naming the place.
 */
export const MAX_PRECONDITION_DEPTH = 200;

function parseCheck(node: ChangelogNode, file: string, scope: PreconditionScope, depth: number): Precondition {
  if (depth > MAX_PRECONDITION_DEPTH) {
    throw new SlipwayError(
      'E_CHANGELOG',
      `Preconditions nest deeper than ${MAX_PRECONDITION_DEPTH} levels of <and>/<or>/<not> (at <${node.name}>)`,
      { file, line: node.line, hint: 'Flatten the nesting: <and> and <or> take any number of checks.' },
    );
  }
  const type = TYPES[node.name];
  if (!type) {
    throw new SlipwayError('E_CHANGELOG', `Precondition <${node.name}> is not supported`, {
      file,
      line: node.line,
      hint: `Supported: ${Object.keys(TYPES).join(', ')}.`,
    });
  }
  if (type === 'not' && node.children.length === 1) {
    const { negate, ...inner } = parseCheck(node.children[0]!, file, scope, depth + 1);
    return negate ? inner : { ...inner, negate: true };
  }
  if (type === 'and' || type === 'or' || type === 'not') {
    return { type, attrs: {}, children: node.children.map((c) => parseCheck(c, file, scope, depth + 1)) };
  }
  if (type === 'custom') return customPrecondition(node, file, scope);
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(node.attrs))
    if (k !== 'expectedResult' && k !== 'sql') attrs[k] = scope.expand(v);
  const p: Precondition = { type, attrs };
  if (type === 'sql-check') {
    p.expectedResult = node.attrs.expectedResult ?? '';
    const raw = scope.expand(node.attrs.sql ?? node.text);
    p.sql = raw.trim();
    p.sqlLine = firstTextLine(sqlPlace(node, raw, 'sql'), raw);
  }
  if (type === 'changelog-property-defined') {
    // Decided while parsing, as Liquibase does (ChangeLogPropertyDefinedPrecondition reads the changelog parameters).
    // A built-in whose value only the server knows (database.databaseMajorVersion, …) is defined on every server, so
    // asking only whether it is defined has an answer (measured: Liquibase passes it).
    const name = attrs.property ?? '';
    if (attrs.value === undefined && UNKNOWN_AT_BUILD.has(name)) attrs.defined = 'true';
    else {
      const value = scope.lookup(name);
      attrs.defined = String(value !== undefined && (attrs.value === undefined || attrs.value === value));
    }
  }
  if (type === 'row-count' || type === 'table-is-empty') {
    // TableRowCountGenerator and TableIsEmptyGenerator name the table with database.escapeTableName, as change types
    // do: under LEGACY, upper case stays unquoted (PostgreSQL folds it), mixed case is quoted.
    attrs.table = qualifiedName(attrs.schemaName, attrs.tableName ?? '', scope.names);
  }
  if (type === 'expected-quoting-strategy') {
    // ObjectQuotingStrategyPrecondition compares the objectQuotingStrategy of the changelog being run (the master;
    // not the changeSet's, nor its file's) with `strategy`: known while parsing, so decided here.
    attrs.matches = String(attrs.strategy === scope.quoting);
  }
  return p;
}

/**
 * `customPrecondition`: a Java class (CustomPrecondition) Liquibase loads when it checks. Slipway runs no Java, so the
 * check fails, as Liquibase 4.28's CustomPreconditionWrapper fails it when the class is not on its classpath (the CLI
 * with the changelog alone): "Could not open custom precondition class" is a PreconditionFailedException, so onFail
 * applies, never onError, and `<not>` around it passes (measured in
 * test/integration/db-custom-precondition-oracle.test.ts; found on eclipse-tractusx/puris). The warning says so at
 * its line, as an application that runs Liquibase with the class on its classpath lets the class decide instead.
 */
function customPrecondition(node: ChangelogNode, file: string, scope: PreconditionScope): Precondition {
  const className = scope.expand(node.attrs.className ?? '');
  scope.warn({
    code: 'W_CUSTOM_PRECONDITION',
    file,
    line: node.line,
    message: `customPrecondition ${className || '(no className)'} fails here: Slipway runs no Java class, as Liquibase fails it when the class is not on its classpath ("Could not open custom precondition class"); where your application runs Liquibase with the class, the class decides instead.`,
  });
  return { type: 'custom', attrs: { className } };
}
