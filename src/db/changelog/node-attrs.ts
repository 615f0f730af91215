/** Attribute validation for changelog elements (XML, and YAML/JSON mapped onto the same shape). */
import { SlipwayError } from '../../errors.js';
import type { ParseWarning } from '../model.js';
import type { ChangelogNode } from './xml-tree.js';
import { attrLine } from './value-lines.js';

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
        line: attrLine(node, a),
        message: `Unknown attribute "${a}" on ${node.name}: Liquibase ignores it, and so does Slipway. ${hint}`,
      });
      continue;
    }
    // At the attribute's own line (a start tag over several lines), with the element's column when on its line.
    const line = attrLine(node, a);
    throw new SlipwayError('E_CHANGELOG', `Unknown attribute "${a}" on <${node.name}>`, {
      file,
      line,
      ...(line === node.line ? { column: node.column } : {}),
      field: a,
      hint: `Liquibase's XSD validation rejects it too. ${hint}`,
    });
  }
}

/**
 * The version of the dbchangelog XSD an XML file's `xsi:schemaLocation` names (3.8 for dbchangelog-3.8.xsd), or null
 * when it names none with a version (dbchangelog-latest.xsd, no schemaLocation).
 */
export function changelogXsdVersion(schemaLocation: string | undefined): { major: number; minor: number } | null {
  const m = /(?:^|\s)https?:\/\/www\.liquibase\.org\/xml\/ns\/dbchangelog\/dbchangelog-(\d+)\.(\d+)\.xsd(?:\s|$)/.exec(
    schemaLocation ?? '',
  );
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : null;
}

/**
 * Whether the XSD `schemaLocation` names lets `element` carry any attribute, so that Liquibase 4.28's validating parser
 * accepts an unknown one and the change ignores it. dbchangelog-3.6 … 3.10 give every change element the attribute
 * group changeAttributes, `<anyAttribute namespace="##any">` (3.5 has none, 4.0 on `##other`, which excludes plain
 * attributes); an element that also declares its own `##other` wildcard gets the intersection, `##other`: <sqlFile>
 * always, <tagDatabase> from 3.8. Of the elements whose attributes Slipway checks, that leaves <sql> under 3.6 … 3.10
 * and <tagDatabase> under 3.6 and 3.7. Measured on 4.28: `<sql schemaName="…">` under dbchangelog-3.8.xsd runs (found
 * on DIGI-UW/OpenELIS-Global-2), under 3.5 and 4.0 fails ("cvc-complex-type.3.2.2: Attribute … is not allowed").
 */
export function xsdTakesAnyAttribute(element: string, schemaLocation: string | undefined): boolean {
  const v = changelogXsdVersion(schemaLocation);
  if (!v || v.major !== 3) return false;
  if (element === 'sql') return v.minor >= 6 && v.minor <= 10;
  if (element === 'tagDatabase') return v.minor === 6 || v.minor === 7;
  return false;
}

/**
 * XML boolean attribute ("true"/"false"); anything else is an error rather than Java's silent false, at the value's
 * line (YAML/JSON: where the value is written, not the element's first line).
 */
export function boolAttr(node: ChangelogNode, name: string, dflt: boolean, file: string): boolean {
  const v = node.attrs[name];
  if (v === undefined || v === '') return dflt;
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  throw new SlipwayError('E_CHANGELOG', `Attribute ${name}="${v}" on <${node.name}> is not a boolean`, {
    file,
    line: attrLine(node, name),
    field: name,
    hint: 'Use true or false.',
  });
}
