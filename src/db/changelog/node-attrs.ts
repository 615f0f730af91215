/** Attribute validation for changelog elements (XML, and YAML/JSON mapped onto the same shape). */
import { SlipwayError } from '../../errors.js';
import type { ParseWarning } from '../model.js';
import type { ChangelogNode } from './xml-tree.js';

/** Attributes Liquibase 4.28 accepts on each supported element (its XSD); anything else is reported. */
export const ALLOWED_ATTRS: Record<string, string[]> = {
  // From dbchangelog-4.28.xsd (inside liquibase-core 4.28.0); `sql` on <sql>/<sqlCheck> is the YAML/JSON spelling.
  databaseChangeLog: ['logicalFilePath', 'context', 'contextFilter', 'changeLogId', 'objectQuotingStrategy'],
  include: [
    'id',
    'author',
    'file',
    'relativeToChangelogFile',
    'errorIfMissing',
    'context',
    'contextFilter',
    'labels',
    'ignore',
    'created',
  ],
  includeAll: [
    'path',
    'errorIfMissingOrEmpty',
    'relativeToChangelogFile',
    'resourceComparator',
    'filter',
    'context',
    'labels',
    'contextFilter',
    'minDepth',
    'maxDepth',
    'endsWithFilter',
    'ignore',
  ],
  removeChangeSetProperty: ['change', 'dbms', 'remove'],
  property: [
    'file',
    'relativeToChangelogFile',
    'errorIfMissing',
    'name',
    'value',
    'dbms',
    'context',
    'contextFilter',
    'labels',
    'global',
    'target',
  ],
  changeSet: [
    'id',
    'author',
    'context',
    'contextFilter',
    'labels',
    'dbms',
    'runOnChange',
    'runAlways',
    'failOnError',
    'onValidationFail',
    'runInTransaction',
    'logicalFilePath',
    'objectQuotingStrategy',
    'created',
    'runOrder',
    'ignore',
    'runWith',
    'runWithSpoolFile',
  ],
  sql: ['stripComments', 'splitStatements', 'endDelimiter', 'dbms', 'sql'],
  sqlFile: ['path', 'stripComments', 'splitStatements', 'encoding', 'endDelimiter', 'relativeToChangelogFile', 'dbms'],
  tagDatabase: ['tag'],
  comment: [],
  rollback: ['changeSetPath', 'changeSetAuthor', 'changeSetId'],
  validCheckSum: [],
  preConditions: ['onFailMessage', 'onErrorMessage', 'onFail', 'onError', 'onSqlOutput'],
  sqlCheck: ['expectedResult', 'sql'],
  tableExists: ['catalogName', 'schemaName', 'tableName'],
  columnExists: ['catalogName', 'schemaName', 'tableName', 'columnName'],
  viewExists: ['catalogName', 'schemaName', 'viewName'],
  sequenceExists: ['catalogName', 'schemaName', 'sequenceName'],
  indexExists: ['catalogName', 'schemaName', 'indexName', 'tableName', 'columnNames'],
  changeSetExecuted: ['id', 'author', 'changeLogFile'],
  dbms: ['type'],
  not: [],
  and: [],
  or: [],
};

/**
 * Attributes Liquibase's schema does not define for `node`. In XML, Liquibase 4.28 validates against its XSD and
 * rejects the file (measured: "cvc-complex-type.3.2.2: Attribute 'foo' is not allowed"), so the first one throws
 * E_CHANGELOG. YAML/JSON have no schema and Liquibase ignores unknown keys (measured), so pass `ignored` to collect
 * W_IGNORED_ATTRIBUTE warnings instead.
 */
export function checkAttrs(node: ChangelogNode, file: string, ignored?: ParseWarning[]): void {
  const allowed = ALLOWED_ATTRS[node.name];
  if (!allowed) return;
  for (const a of Object.keys(node.attrs)) {
    if (allowed.includes(a)) continue;
    const hint = allowed.length
      ? `<${node.name}> accepts: ${allowed.join(', ')}.`
      : `<${node.name}> takes no attributes.`;
    if (ignored) {
      ignored.push({
        code: 'W_IGNORED_ATTRIBUTE',
        file,
        line: node.line,
        message: `Unknown attribute "${a}" on ${node.name}: Liquibase ignores it, and so does Slipway. ${hint}`,
      });
      continue;
    }
    throw new SlipwayError('E_CHANGELOG', `Unknown attribute "${a}" on <${node.name}>`, {
      file,
      line: node.line,
      column: node.column,
      hint: `Liquibase's XSD validation rejects it too. ${hint}`,
    });
  }
}

/** XML boolean attribute ("true"/"false"); anything else is an error rather than Java's silent false. */
export function boolAttr(node: ChangelogNode, name: string, dflt: boolean, file: string): boolean {
  const v = node.attrs[name];
  if (v === undefined || v === '') return dflt;
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  throw new SlipwayError('E_CHANGELOG', `Attribute ${name}="${v}" on <${node.name}> is not a boolean`, {
    file,
    line: node.line,
    hint: 'Use true or false.',
  });
}
