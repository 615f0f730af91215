/** A replaced `${prop}` on one line: where it starts in the substituted line, its new and original lengths. */
export interface Span {
  at: number;
  len: number;
  origLen: number;
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

/** Replaces `${name}` with Liquibase properties, recording spans; unknown names stay as written (as Liquibase does). */
export function substituteLine(line: string, properties: Record<string, string>): { text: string; spans: Span[] } {
  const spans: Span[] = [];
  let delta = 0;
  const text = line.replace(/\$\{([^}]+)\}/g, (whole: string, name: string, offset: number) => {
    const value = properties[name];
    if (value === undefined) return whole;
    spans.push({ at: offset + delta, len: value.length, origLen: whole.length });
    delta += value.length - whole.length;
    return value;
  });
  return { text, spans };
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
    const dbms = attr(m[2] ?? '', 'dbms')?.toLowerCase().split(',').map((d) => d.trim());
    if (endDelimiter !== undefined && endDelimiter !== ';') {
      notes.push(`${sourcePath}:${i + 1}: ${label} uses endDelimiter:${endDelimiter}; not validated (the parser needs ';'-terminated SQL)`);
    } else if (dbms && !dbms.some((d) => d === 'all' || d === 'postgresql') && !dbms.every((d) => d.startsWith('!') && d !== '!postgresql')) {
      notes.push(`${sourcePath}:${i + 1}: ${label} is for dbms:${dbms.join(',')}; not validated as PostgreSQL`);
    } else {
      const spans = new Map<number, Span[]>();
      const body = lines.slice(i, end).map((l, k) => {
        const s = substituteLine(l, properties);
        if (s.spans.length) spans.set(k, s.spans);
        return s.text;
      });
      chunks.push({ text: body.join('\n'), firstLine: i + 1, spans, label });
    }
    i = end;
  }
  return { chunks, notes };
}
