/** A replaced `${prop}` on one line: where it starts in the substituted line, its new and original lengths. */
export interface Span {
  at: number;
  len: number;
  origLen: number;
  /** A stand-in for a property without a value (may be swapped for another token if the grammar rejects it). */
  placeholder?: boolean;
}

/** One piece of SQL handed to the parser on its own (a whole plain file, or one Liquibase changeset). */
export interface SqlChunk {
  text: string;
  /** 1-based file line of the chunk's first line. */
  firstLine: number;
  /** Substitutions by 0-based chunk line, to map parser columns back to the file. */
  spans: Map<number, Span[]>;
  /** `changeset author:id` for formatted SQL, else null. */
  label: string | null;
}

export interface SqlPlan {
  chunks: SqlChunk[];
  /** Things deliberately not validated (said in a finding). */
  notes: string[];
}

const FORMATTED = /^\s*--\s*liquibase\s+formatted\s+sql\b/i;
const CHANGESET = /^\s*--\s*changeset\s+(\S+)(.*)$/i;
const PSQL_META = /^\s*\\/;

function attr(attrs: string, name: string): string | undefined {
  return new RegExp(`\\b${name}:("[^"]*"|'[^']*'|\\S+)`, 'i').exec(attrs)?.[1]?.replace(/^["']|["']$/g, '');
}

/**
 * Replaces `${name}` with Liquibase properties, recording spans. A name without a value (often a `<property>` of
 * the XML master changelog) becomes a quoted identifier: the one token PostgreSQL's grammar accepts wherever such a
 * placeholder usually stands (schema/table names, defaults, type modifiers, inside string literals unchanged).
 */
export function substituteLine(
  line: string,
  properties: Record<string, string>,
): { text: string; spans: Span[]; unresolved: string[] } {
  const spans: Span[] = [];
  const unresolved: string[] = [];
  let delta = 0;
  const text = line.replace(/\$\{([^}]+)\}/g, (whole: string, name: string, offset: number) => {
    let value = properties[name];
    const placeholder = value === undefined;
    if (value === undefined) {
      unresolved.push(name);
      value = `"${name.replace(/"/g, '')}"`;
    }
    spans.push({
      at: offset + delta,
      len: value.length,
      origLen: whole.length,
      ...(placeholder ? { placeholder } : {}),
    });
    delta += value.length - whole.length;
    return value;
  });
  return { text, spans, unresolved };
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
 * numbers are kept); a Liquibase formatted-SQL file is split into changesets with `${prop}` substituted, skipping
 * changesets the parser cannot read as PostgreSQL (custom endDelimiter, another dbms).
 */
export function planSqlValidation(text: string, sourcePath: string, properties: Record<string, string>): SqlPlan {
  const lines = text.split('\n').map((l) => (PSQL_META.test(l) ? '' : l));
  const firstContent = lines.find((l) => l.trim() !== '');
  if (!firstContent || !FORMATTED.test(firstContent)) {
    return { chunks: [{ text: lines.join('\n'), firstLine: 1, spans: new Map(), label: null }], notes: [] };
  }
  const chunks: SqlChunk[] = [];
  const notes: string[] = [];
  let i = lines.findIndex((l) => CHANGESET.test(l));
  while (i !== -1 && i < lines.length) {
    const m = CHANGESET.exec(lines[i]!)!;
    let end = i + 1;
    while (end < lines.length && !CHANGESET.test(lines[end]!)) end++;
    const label = `changeset ${m[1]}`;
    const endDelimiter = attr(m[2] ?? '', 'endDelimiter');
    const dbms = attr(m[2] ?? '', 'dbms')
      ?.toLowerCase()
      .split(',')
      .map((d) => d.trim());
    if (endDelimiter !== undefined && endDelimiter !== ';') {
      notes.push(
        `${sourcePath}:${i + 1}: ${label} uses endDelimiter:${endDelimiter}; not validated (the parser needs ';'-terminated SQL)`,
      );
    } else if (
      dbms &&
      !dbms.some((d) => d === 'all' || d === 'postgresql') &&
      !dbms.every((d) => d.startsWith('!') && d !== '!postgresql')
    ) {
      notes.push(`${sourcePath}:${i + 1}: ${label} is for dbms:${dbms.join(',')}; not validated as PostgreSQL`);
    } else {
      const spans = new Map<number, Span[]>();
      const body = lines.slice(i, end).map((l, k) => {
        // Liquibase substitutes in comments too, but a placeholder in a comment cannot break parsing: skip the note.
        if (/^\s*--/.test(l)) return l;
        const s = substituteLine(l, properties);
        if (s.spans.length) spans.set(k, s.spans);
        for (const name of new Set(s.unresolved)) {
          notes.push(
            `${sourcePath}:${i + k + 1}: \${${name}} has no value in database.properties; parsed as an identifier placeholder`,
          );
        }
        return s.text;
      });
      chunks.push({ text: body.join('\n'), firstLine: i + 1, spans, label });
    }
    i = end;
  }
  return { chunks, notes };
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
