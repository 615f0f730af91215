/**
 * `<modifySql>` (Liquibase SqlVisitors: append, prepend, replace, regExpReplace): edits every SQL statement the
 * changeset's changes produce, when its dbms/context/labels filters match the run. Its checksum part follows
 * AbstractSqlVisitor.generateCheckSum in 4.28: the visitor serialised without applicableDbms, contextFilter and
 * labels; a visitor for another dbms does not count at all (measured: a `dbms="mssql"` modifySql leaves the
 * PostgreSQL checksum as if it were absent).
 */
import { SlipwayError } from '../../errors.js';
import { serializedChangeChecksumV9 } from '../checksum.js';
import { serializeChange } from '../changes/serialize.js';
import { javaReplacer, JavaRegexError } from './java-regex.js';
import { boolAttr } from './node-attrs.js';
import { matchesContexts, matchesDbms, matchesLabels } from './select.js';
import type { ParseFilter } from './walk-state.js';
import type { ChangelogNode } from './xml-tree.js';
import { attrLine } from './value-lines.js';

export interface SqlVisitor {
  kind: 'append' | 'prepend' | 'replace' | 'regExpReplace';
  /** append/prepend text. */
  value?: string;
  /** replace/regExpReplace pattern and replacement. */
  replace?: string;
  with?: string;
  applyToRollback: boolean;
  /** Whether the dbms/context/labels filters of its `<modifySql>` match this run. */
  applies: boolean;
  /** Whether its dbms matches (only those count in the checksum). */
  dbmsMatches: boolean;
  /** regExpReplace that applies: Java's String.replaceAll with its pattern and replacement. */
  replaceAll?: (sql: string) => string;
  /** The visitor's "9:" checksum (part of the changeset's). */
  checksum: string;
}

const KINDS = new Set(['append', 'prepend', 'replace', 'regExpReplace']);

/** The visitors of one `<modifySql>` element (attributes already property-expanded). */
export function parseModifySql(node: ChangelogNode, file: string, filter: ParseFilter): SqlVisitor[] {
  const groupRollback = boolAttr(node, 'applyToRollback', false, file);
  return node.children.map((c) => {
    // AbstractSqlVisitor.load: a visitor's own dbms, applyToRollback and context (YAML/JSON `- append: {dbms: …}`)
    // replace those of its modifySql (measured on liquibase/liquibase's JSON common.tests changelog).
    const applyToRollback = boolAttr(c, 'applyToRollback', groupRollback, file);
    const dbmsMatches = matchesDbms(c.attrs.dbms ?? node.attrs.dbms ?? null, filter.dbms ?? 'postgresql');
    const context =
      c.attrs.contextFilter ?? c.attrs.context ?? c.attrs.contexts ?? node.attrs.contextFilter ?? node.attrs.context;
    const applies =
      dbmsMatches &&
      matchesContexts(context ?? null, filter.contexts) &&
      matchesLabels(filter.labels, node.attrs.labels ?? null);
    if (!KINDS.has(c.name)) {
      throw new SlipwayError('E_CHANGELOG', `<${c.name}> is not a modifySql visitor`, {
        file,
        line: c.line,
        hint: 'Use append, prepend, replace or regExpReplace.',
      });
    }
    const kind = c.name as SqlVisitor['kind'];
    const fields: Record<string, string> = { applyToRollback: String(applyToRollback) };
    if (kind === 'append' || kind === 'prepend') fields.value = c.attrs.value ?? '';
    else {
      fields.replace = c.attrs.replace ?? '';
      fields.with = c.attrs.with ?? '';
    }
    return {
      kind,
      ...(kind === 'regExpReplace' && applies ? { replaceAll: compile(fields.replace!, fields.with!, file, c) } : {}),
      ...(fields.value !== undefined ? { value: fields.value } : {}),
      ...(fields.replace !== undefined ? { replace: fields.replace, with: fields.with! } : {}),
      applyToRollback,
      applies,
      dbmsMatches,
      checksum: serializedChangeChecksumV9(serializeChange(kind, { fields })),
    };
  });
}

/**
 * A regExpReplace's pattern and replacement, read as Java reads them (java-regex.ts). Liquibase fails the changeset
 * when Java rejects either; Slipway refuses the changelog at the line of the one rejected (XML: the visitor's). Only
 * visitors that apply are read: a pattern for another database is never compiled by Liquibase either.
 */
function compile(pattern: string, replacement: string, file: string, at: ChangelogNode): (sql: string) => string {
  const refuse = (e: unknown, field: 'replace' | 'with'): never => {
    if (!(e instanceof JavaRegexError)) throw e;
    throw new SlipwayError('E_CHANGELOG', `<regExpReplace replace="${pattern}" with="${replacement}">: ${e.message}`, {
      file,
      line: attrLine(at, field),
      field,
      hint: 'Liquibase reads these as a Java regular expression and a Java replacement string (\\ escapes, $n names a group); write one both read the same way.',
    });
  };
  try {
    const replaceAll = javaReplacer(pattern, replacement);
    // A replacement Java rejects fails where the pattern first matches a statement, as in Liquibase.
    return (sql) => {
      try {
        return replaceAll(sql);
      } catch (e) {
        return refuse(e, 'with');
      }
    };
  } catch (e) {
    return refuse(e, patternRejected(pattern) ? 'replace' : 'with');
  }
}

/** Whether Java rejects `pattern` itself (not only the replacement beside it). */
function patternRejected(pattern: string): boolean {
  try {
    javaReplacer(pattern, '');
    return false;
  } catch {
    return true;
  }
}

/** Applies the visitors that match this run to one statement, in order. */
export function visitSql(sql: string, visitors: SqlVisitor[], rollback = false): string {
  let out = sql;
  for (const v of visitors) {
    if (!v.applies || (rollback && !v.applyToRollback)) continue;
    if (v.kind === 'append') out += v.value;
    else if (v.kind === 'prepend') out = v.value + out;
    else if (v.kind === 'replace') out = out.split(v.replace!).join(v.with);
    else if (v.replaceAll) out = v.replaceAll(out);
  }
  return out;
}
