/**
 * What the PostgreSQL parser sees of one SQL file, and how its positions map back to the file. A Liquibase formatted
 * SQL file is split into changesets by the db package's own parser (parseFormattedSql), so compile checks exactly the
 * changeset bodies Liquibase would run; this module only substitutes properties and keeps line/column maps.
 */
import { isFormattedSql, parseFormattedSql, readLines } from '../../db/changelog/formatted-sql.js';
import { matchesDbms } from '../../db/changelog/select.js';
import { findPropertyExpressions, PropertyScope } from '../../db/properties.js';
import { SlipwayError } from '../../errors.js';
import type { SyntaxProblem } from './position.js';

/** A replaced `${prop}` on one line: where it starts in the substituted line, its new and original lengths. */
export interface Span {
  at: number;
  len: number;
  origLen: number;
  /** A stand-in for a property without a value (may be swapped for another token if the grammar rejects it). */
  placeholder?: boolean;
}

/** One piece of SQL handed to the parser on its own (a whole plain file, or one Liquibase changeset's body). */
export interface SqlChunk {
  text: string;
  /** 1-based file line of each chunk line. */
  lines: number[];
  /** Substitutions by 0-based chunk line, to map parser columns back to the file. */
  spans: Map<number, Span[]>;
  /** `changeset author:id` for formatted SQL, else null. */
  label: string | null;
}

export interface SqlChecks {
  chunks: SqlChunk[];
  /** Things deliberately not validated (said in a finding). */
  notes: string[];
  /** A formatted SQL file the changelog parser rejects (reported like a syntax error). */
  problems: SyntaxProblem[];
}

const PSQL_META = /^\s*\\/;

/**
 * Replaces `${name}` with Liquibase properties (the db package's own scanner, so nesting and `${:escape}` behave as
 * they will in the package), recording spans. A name without a value (often a `<property>` of the XML master
 * changelog) becomes a quoted identifier: the one token PostgreSQL's grammar accepts wherever such a placeholder
 * usually stands (schema/table names, defaults, type modifiers, inside string literals unchanged).
 */
export function substituteLine(
  line: string,
  lookup: (name: string) => string | undefined,
): { text: string; spans: Span[]; unresolved: string[] } {
  const spans: Span[] = [];
  const unresolved: string[] = [];
  let text = '';
  let from = 0;
  for (const e of findPropertyExpressions(line, lookup)) {
    const placeholder = e.value === undefined;
    if (placeholder) unresolved.push(e.name);
    const value = e.value ?? `"${e.name.replace(/"/g, '')}"`;
    text += line.slice(from, e.start);
    spans.push({
      at: text.length,
      len: value.length,
      origLen: e.end - e.start,
      ...(placeholder ? { placeholder } : {}),
    });
    text += value;
    from = e.end;
  }
  return { text: text + line.slice(from), spans, unresolved };
}

/** Maps a 0-based column of a substituted line back to the original line. */
export function mapColumn(spans: Span[] | undefined, col: number): number {
  let delta = 0;
  for (const s of spans ?? []) {
    if (col < s.at) break;
    if (col < s.at + s.len) return s.at - delta;
    delta += s.len - s.origLen;
  }
  return col - delta;
}

/**
 * Decides what the PostgreSQL parser sees: psql meta-command lines (`\i file`, `\set`…) become blank lines (line
 * numbers are kept); a Liquibase formatted-SQL file is split into its changesets' SQL bodies by the changelog parser,
 * with `${prop}` substituted, skipping changesets the parser cannot read as PostgreSQL (custom endDelimiter, another
 * dbms) and those `skipped` names by the line of their `--changeset` (left out by the build's contexts/labels).
 */
export function planSqlChecks(
  text: string,
  sourcePath: string,
  properties: Record<string, string>,
  skipped: Record<number, string> = {},
): SqlChecks {
  if (!isFormattedSql(text)) {
    const lines = text.split('\n').map((l) => (PSQL_META.test(l) ? '' : l));
    const chunk = { text: lines.join('\n'), lines: lines.map((_, k) => k + 1), spans: new Map(), label: null };
    return { chunks: [chunk], notes: [], problems: [] };
  }
  const scope = new PropertyScope(properties);
  let parsed: ReturnType<typeof parseFormattedSql>;
  try {
    // The build passes the properties in effect for its contexts and labels; a `--property` of this file limited by
    // context, labels or dbms is not guessed at here (its `${name}` is checked as a placeholder instead).
    const unconditional = (p: { context: string | null; labels: string | null; dbms: string | null }): boolean =>
      p.context === null && p.labels === null && matchesDbms(p.dbms, 'postgresql');
    parsed = parseFormattedSql({ file: sourcePath, content: text, properties: scope, propertyApplies: unconditional });
  } catch (e) {
    if (!(e instanceof SlipwayError)) throw e;
    return {
      chunks: [],
      notes: [],
      problems: [{ file: sourcePath, line: e.line ?? 1, column: 1, message: e.message }],
    };
  }
  const fileLines = readLines(text.replace(/^\uFEFF/, ''));
  const lookup = (name: string): string | undefined => scope.lookup(name, sourcePath);
  const chunks: SqlChunk[] = [];
  const notes: string[] = [];
  parsed.changeSets.forEach((cs, n) => {
    const at = `${sourcePath}:${cs.location.line}`;
    const label = `changeset ${cs.author}:${cs.id}`;
    if (cs.endDelimiter !== null && cs.endDelimiter !== ';') {
      notes.push(
        `${at}: ${label} uses endDelimiter:${cs.endDelimiter}; not validated (the parser needs ';'-terminated SQL)`,
      );
      return;
    }
    if (!matchesDbms(cs.dbms, 'postgresql')) {
      notes.push(`${at}: ${label} is for dbms:${cs.dbms}; not validated as PostgreSQL`);
      return;
    }
    const why = skipped[cs.location.line];
    if (why !== undefined) {
      notes.push(`${at}: ${label} is left out by ${why}; not validated (Liquibase does not run it)`);
      return;
    }
    const lines = parsed.sqlLines[n]!;
    const spans = new Map<number, Span[]>();
    const body = lines.map((no, k) => {
      const l = fileLines[no - 1] ?? '';
      if (PSQL_META.test(l)) return '';
      // Liquibase substitutes in comments too, but a placeholder in a comment cannot break parsing: skip the note.
      if (/^\s*--/.test(l)) return l;
      const s = substituteLine(l, lookup);
      if (s.spans.length) spans.set(k, s.spans);
      for (const name of new Set(s.unresolved)) {
        notes.push(
          `${sourcePath}:${no}: \${${name}} has no value in database.properties; parsed as an identifier placeholder`,
        );
      }
      return s.text;
    });
    chunks.push({ text: body.join('\n'), lines, spans, label });
  });
  return { chunks, notes, problems: [] };
}

/**
 * When the parser stops inside an identifier placeholder, swaps it for a number (`varchar(${len})` needs one);
 * returns the new chunk text, or null when the position is not on a swappable placeholder.
 */
export function swapPlaceholder(chunk: SqlChunk, line0: number, col0: number): string | null {
  const spans = chunk.spans.get(line0);
  const i = spans?.findIndex((s) => s.placeholder && col0 >= s.at && col0 < s.at + s.len) ?? -1;
  if (!spans || i < 0) return null;
  const span = spans[i]!;
  const lines = chunk.text.split('\n');
  const line = lines[line0]!;
  lines[line0] = `${line.slice(0, span.at)}1${line.slice(span.at + span.len)}`;
  const shift = 1 - span.len;
  spans[i] = { at: span.at, len: 1, origLen: span.origLen };
  for (const later of spans.slice(i + 1)) later.at += shift;
  return lines.join('\n');
}
