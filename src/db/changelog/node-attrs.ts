/** Attribute validation for changelog elements (XML, and YAML/JSON mapped onto the same shape). */
import { SlipwayError } from '../../errors.js';
import type { ChangelogNode } from './xml-tree.js';

/** Attributes Liquibase 4.28 accepts on each supported element (its XSD); anything else is reported. */
export const ALLOWED_ATTRS: Record<string, string[]> = {
  databaseChangeLog: ['logicalFilePath', 'context', 'contextFilter', 'objectQuotingStrategy', 'changeLogId'],
  include: ['file', 'relativeToChangelogFile', 'context', 'contextFilter', 'labels', 'ignore', 'errorIfMissing', 'created', 'logicalFilePath'],
  includeAll: ['path', 'relativeToChangelogFile', 'errorIfMissingOrEmpty', 'context', 'contextFilter', 'labels', 'ignore', 'minDepth', 'maxDepth', 'endsWithFilter', 'created', 'logicalFilePath', 'resourceComparator', 'filter'],
  property: ['name', 'value', 'context', 'contextFilter', 'labels', 'dbms', 'global', 'file', 'relativeToChangelogFile', 'target'],
  changeSet: ['id', 'author', 'context', 'contextFilter', 'labels', 'dbms', 'runOnChange', 'runAlways', 'runInTransaction', 'failOnError', 'logicalFilePath', 'created', 'ignore', 'objectQuotingStrategy', 'onValidationFail', 'runOrder', 'runWith', 'runWithSpoolFile'],
  sql: ['splitStatements', 'stripComments', 'endDelimiter', 'dbms', 'comment', 'sql'],
  sqlFile: ['path', 'relativeToChangelogFile', 'splitStatements', 'stripComments', 'endDelimiter', 'encoding', 'dbms'],
  tagDatabase: ['tag'],
  comment: [],
  rollback: [],
  validCheckSum: ['comment'],
  preConditions: ['onFail', 'onError', 'onFailMessage', 'onErrorMessage', 'onUpdateSQL', 'onSqlOutput'],
  sqlCheck: ['expectedResult', 'sql'],
  tableExists: ['tableName', 'schemaName', 'catalogName'],
  columnExists: ['tableName', 'columnName', 'schemaName', 'catalogName'],
  viewExists: ['viewName', 'schemaName', 'catalogName'],
  sequenceExists: ['sequenceName', 'schemaName', 'catalogName'],
  indexExists: ['indexName', 'tableName', 'columnNames', 'schemaName', 'catalogName'],
  changeSetExecuted: ['id', 'author', 'changeLogFile'],
  dbms: ['type'],
  not: [],
  and: [],
  or: [],
};

/** Throws E_CHANGELOG naming the first attribute Liquibase's schema does not define for `node`. */
export function checkAttrs(node: ChangelogNode, file: string): void {
  const allowed = ALLOWED_ATTRS[node.name];
  if (!allowed) return;
  for (const a of Object.keys(node.attrs)) {
    if (!allowed.includes(a)) {
      throw new SlipwayError('E_CHANGELOG', `Unknown attribute "${a}" on <${node.name}>`, {
        file,
        line: node.line,
        column: node.column,
        hint: allowed.length ? `<${node.name}> accepts: ${allowed.join(', ')}.` : `<${node.name}> takes no attributes.`,
      });
    }
  }
}

/** XML boolean attribute ("true"/"false"); anything else is an error rather than Java's silent false. */
export function boolAttr(node: ChangelogNode, name: string, dflt: boolean, file: string): boolean {
  const v = node.attrs[name];
  if (v === undefined || v === '') return dflt;
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  throw new SlipwayError('E_CHANGELOG', `Attribute ${name}="${v}" on <${node.name}> is not a boolean`, { file, line: node.line, hint: 'Use true or false.' });
}
