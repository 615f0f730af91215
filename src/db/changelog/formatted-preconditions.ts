/**
 * `--preconditions …` and `--precondition-<type> …` lines of formatted SQL. Liquibase 4.28 formatted SQL supports
 * exactly sql-check, table-exists and view-exists (FormattedSqlChangeLogParser.handlePreconditionCase).
 */
import { SlipwayError } from '../../errors.js';
import type { Precondition, Preconditions } from '../model.js';

const ACTIONS = ['HALT', 'CONTINUE', 'MARK_RAN', 'WARN'] as const;
type Action = (typeof ACTIONS)[number];

function action(value: string | undefined, file: string, line: number, what: string): Action {
  if (value === undefined) return 'HALT';
  const v = value.toUpperCase();
  if ((ACTIONS as readonly string[]).includes(v)) return v as Action;
  throw new SlipwayError('E_CHANGELOG', `Unknown ${what} value "${value}"`, {
    file,
    line,
    hint: `Use one of ${ACTIONS.join(', ')}.`,
  });
}

/** Parses the text after `--preconditions`. */
export function parsePreconditionsLine(rest: string, file: string, line: number): Preconditions {
  return {
    onFail: action(/onFail:(\w+)/i.exec(rest)?.[1], file, line, 'onFail'),
    onError: action(/onError:(\w+)/i.exec(rest)?.[1], file, line, 'onError'),
    operator: 'and',
    checks: [],
    location: { file, line },
  };
}

const RESULT_PATTERNS = [
  /^(?:expectedResult:)?(\w+) (.*)$/i,
  /^(?:expectedResult:)?'([^']+)' (.*)$/i,
  /^(?:expectedResult:)?"([^"]+)" (.*)$/i,
];

/** Parses `--precondition-<type> <body>` (body already property-expanded). */
export function parsePreconditionLine(type: string, body: string, file: string, line: number): Precondition {
  const t = type.toLowerCase();
  if (t === 'sql-check') {
    for (const re of RESULT_PATTERNS) {
      const m = re.exec(body.trim());
      if (m) return { type: 'sql-check', expectedResult: m[1]!, sql: m[2]!.trim(), sqlLine: line, attrs: {} };
    }
    throw new SlipwayError('E_CHANGELOG', `Could not parse a sql-check precondition from "${body}"`, {
      file,
      line,
      hint: 'Write it as --precondition-sql-check expectedResult:<value> <SQL returning one value>',
    });
  }
  if (t === 'table-exists' || t === 'view-exists') {
    const key = t === 'table-exists' ? 'table' : 'view';
    const name = new RegExp(`${key}:(\\w+)`, 'i').exec(body)?.[1];
    if (!name) {
      throw new SlipwayError('E_CHANGELOG', `${t} precondition needs ${key}:<name>`, {
        file,
        line,
        hint: `Write it as --precondition-${t} ${key}:<name> [schema:<schema>]`,
      });
    }
    const schema = /schema:(\w+)/i.exec(body)?.[1];
    const attrs: Record<string, string> = { [key === 'table' ? 'tableName' : 'viewName']: name };
    if (schema) attrs.schemaName = schema;
    return { type: t, attrs };
  }
  throw new SlipwayError('E_CHANGELOG', `The '${type}' precondition type is not supported in formatted SQL`, {
    file,
    line,
    hint: 'Liquibase 4.28 formatted SQL supports sql-check, table-exists and view-exists; use an XML changelog for others.',
  });
}
