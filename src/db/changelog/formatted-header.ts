/**
 * Attributes on a formatted-SQL `--changeset` / `--property` / first line, read with Liquibase 4.28's own regular
 * expressions (greedy `.*name:(value)`, case-insensitive, so the last occurrence wins, exactly like Liquibase).
 */
import type { ParseWarning } from '../model.js';

const VALUE: Record<string, string> = {
  context: '(".*?"|\\S*)',
  contextFilter: '(".*?"|\\S*)',
  labels: '(".*?"|\\S*)',
  logicalFilePath: '(\\S*)',
  // 4.28 has no word boundary here, so `rollbackEndDelimiter:x` also sets endDelimiter; kept for fidelity.
  endDelimiter: '(\\S*)',
  rollbackEndDelimiter: '(\\S*)',
  runWith: '([\\w\\$\\{\\}]+)',
  runWithSpoolFile: '(.*)',
  dbms: '([^,][\\w!,]+)',
  ignore: '(\\w*)',
  global: '(\\S+)',
};

const BOOLEAN_ATTRS = [
  'runOnChange',
  'runAlways',
  'runInTransaction',
  'failOnError',
  'splitStatements',
  'stripComments',
  'rollbackSplitStatements',
];

/** Every changeset attribute Liquibase 4.28 formatted SQL reads, plus `created` (documented, ignored by Liquibase). */
export const KNOWN_HEADER_ATTRIBUTES = [
  ...Object.keys(VALUE).filter((k) => k !== 'global'),
  ...BOOLEAN_ATTRS,
  'created',
];

const KNOWN_LOWER = new Set(KNOWN_HEADER_ATTRIBUTES.map((k) => k.toLowerCase()));

const cache = new Map<string, { re: RegExp; key: string }>();
let lastLine = '';
let lastLower = '';

/** Value of attribute `name` on `line` as Liquibase reads it, or undefined. */
export function headerAttr(line: string, name: string): string | undefined {
  let attr = cache.get(name);
  if (!attr) {
    attr = { re: new RegExp(`^.*${name}:${VALUE[name] ?? '(\\w+)'}.*$`, 'i'), key: `${name.toLowerCase()}:` };
    cache.set(name, attr);
  }
  // The pattern needs `name:` (ASCII, any case) on the line: lines without it skip the backtracking `^.*` match.
  if (line !== lastLine) {
    lastLine = line;
    lastLower = line.toLowerCase();
  }
  if (!lastLower.includes(attr.key)) return undefined;
  return attr.re.exec(line)?.[1];
}

/**
 * Drops headerAttr's last line, a slice of its file's text that would otherwise keep the whole text alive after the
 * parse (until the next file's header): called when a file is parsed.
 */
export function forgetHeaderLine(): void {
  lastLine = '';
  lastLower = '';
}

/**
 * Warns (W_IGNORED_ATTRIBUTE) about each `name:value` token Liquibase 4.28 does not read: Liquibase runs the changeset
 * and ignores it (measured with `--changeset a:1 author:Someone`), so refusing it would refuse what Liquibase runs;
 * a warning still catches typos such as `runOnChnage:true`, and `--strict` turns it into an error.
 */
export function checkHeaderAttributes(rest: string, file: string, line: number, warnings: ParseWarning[]): void {
  const known = KNOWN_LOWER;
  const token = /(?:^|\s)([A-Za-z][\w-]*):("[^"]*"|\S*)/g;
  let m: RegExpExecArray | null;
  while ((m = token.exec(rest))) {
    const name = m[1]!;
    if (!known.has(name.toLowerCase())) {
      warnings.push({
        code: 'W_IGNORED_ATTRIBUTE',
        file,
        line,
        message: `Unknown changeset attribute "${name}": Liquibase ignores it, and so does Slipway (known: ${KNOWN_HEADER_ATTRIBUTES.join(', ')}).`,
      });
    }
  }
}
