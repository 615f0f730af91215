/**
 * CSV as Liquibase 4.28 reads it for loadData: opencsv's RFC4180Parser over lines read like BufferedReader.readLine
 * (\n, \r\n or \r). In a field that starts with the quote character, quotes open and close quoted stretches in turn,
 * and the field ends at a closing quote followed by the separator or the end of the line (no escape character: `\"`
 * is a backslash and a quote, so `\"` pairs balance);
 * a record whose last field started with a quote and has not ended (or holds an odd number of quotes) goes on over the
 * next line, joined with \n; a quoted field loses its outer quotes, and `""` is one quote in every field. Measured
 * with Liquibase's own CSVReader (onap/cps writes YANG text with `\"` in a quoted, multi-line field). Hand-written
 * because the rules must be opencsv's exactly, and they fit in a page.
 */

export interface CsvOptions {
  separator: string;
  /** Quote character; null when quoting is off (Liquibase uses \u0001 when quotchar is empty). */
  quote: string | null;
}

export interface CsvRecord {
  fields: string[];
  /** 1-based line where the record starts. */
  line: number;
}

/** A record that is still open at the end of the file (opencsv: "Unterminated quoted field at end of CSV line"). */
export class CsvUnterminatedError extends Error {
  constructor(readonly line: number) {
    super('Unterminated quoted field at end of CSV line');
  }
}

/** RFC4180Parser.splitWhileNotInQuotes: the fields of one (possibly joined) line, and whether the last is open. */
function splitLine(line: string, sep: string, q: string): { fields: string[]; open: boolean } {
  const fields: string[] = [];
  let pos = 0;
  while (pos < line.length) {
    const nextSep = line.indexOf(sep, pos);
    if (nextSep === -1) {
      fields.push(line.slice(pos));
      pos = line.length;
    } else if (!line.startsWith(q, pos)) {
      fields.push(line.slice(pos, nextSep));
      pos = nextSep + sep.length;
    } else {
      // Quotes open and close quoted stretches in turn (`""` closes and reopens); the field ends at a closing quote
      // that is the line's last character or is followed by the separator.
      let at = line.indexOf(q, pos + q.length);
      let inside = false;
      while (at !== -1 && (inside || (at + q.length < line.length && !line.startsWith(sep, at + q.length)))) {
        inside = !inside;
        at = line.indexOf(q, at + q.length);
      }
      const end = at === -1 ? line.length : at + q.length;
      fields.push(line.slice(pos, end));
      pos = end + sep.length;
    }
  }
  const last = fields[fields.length - 1];
  const quotes = last === undefined ? 0 : last.split(q).length - 1;
  const open =
    last !== undefined && last !== '' && ((last.startsWith(q) && !last.endsWith(q)) || last === q || quotes % 2 !== 0);
  if (!open && line.length >= sep.length && line.endsWith(sep)) fields.push('');
  return { fields, open };
}

/** RFC4180Parser.handleQuotes: outer quotes off a field that starts with one, then `""` → `"`. */
function unquote(field: string, q: string): string {
  if (!field.includes(q)) return field;
  let f = field;
  if (f !== q && f.startsWith(q)) {
    f = f.slice(q.length);
    if (f.endsWith(q)) f = f.slice(0, -q.length);
  }
  return f.replaceAll(q + q, q);
}

/** Splits text into records. An empty line is a record with one empty field, as opencsv returns it. */
export function parseCsv(text: string, opts: CsvOptions): CsvRecord[] {
  const lines = text.split(/\r\n|\r|\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  const records: CsvRecord[] = [];
  const sep = opts.separator;
  const q = opts.quote;
  let i = 0;
  while (i < lines.length) {
    const startLine = i + 1;
    const line = lines[i++]!;
    if (q === null || !line.includes(q)) {
      records.push({ fields: line.split(sep), line: startLine });
      continue;
    }
    const fields: string[] = [];
    let pending: string | null = null;
    let current = line;
    for (;;) {
      const work: string = pending === null ? current : pending + current;
      const r = splitLine(work, sep, q);
      if (!r.open) {
        fields.push(...r.fields.map((f) => unquote(f, q)));
        break;
      }
      // CSVReader keeps the finished fields and parses the open one again with the next line appended.
      fields.push(...r.fields.slice(0, -1).map((f) => unquote(f, q)));
      if (i >= lines.length) throw new CsvUnterminatedError(startLine);
      pending = `${r.fields[r.fields.length - 1]!}\n`;
      current = lines[i++]!;
    }
    records.push({ fields, line: startLine });
  }
  return records;
}

/**
 * The bytes loadData's checksum is computed over (EmptyLineAndCommentSkippingInputStream): CRs removed, blank lines
 * and lines starting with the comment character dropped, no leading or trailing line breaks.
 */
export function csvChecksumBytes(bytes: Uint8Array, commentLineStartsWith: string | undefined): Uint8Array {
  const comment = commentLineStartsWith ? Buffer.from(commentLineStartsWith, 'utf8')[0] : undefined;
  const out: number[] = [];
  let last = -1;
  let i = 0;
  const at = (k: number): number => (k < bytes.length ? bytes[k]! : -1);
  // Whether nothing but line breaks and comment lines follows position k (given the previous byte was \n).
  const restIsEmpty = (k: number): boolean => {
    let prev = 10;
    while (k < bytes.length) {
      const b = bytes[k]!;
      if (b === 13 || b === 10) {
        prev = 10;
        k++;
        continue;
      }
      if (comment !== undefined && b === comment && prev === 10) {
        while (k < bytes.length && bytes[k] !== 10 && bytes[k] !== 13 && bytes[k]! > 0) k++;
        continue;
      }
      return false;
    }
    return true;
  };
  for (;;) {
    let b = at(i++);
    if (comment !== undefined && b === comment && (last === 10 || last === -1)) {
      do b = at(i++);
      while (b !== 10 && b !== 13 && b > 0);
    }
    if (b < 0) break;
    if (b === 13) continue;
    if (b === 10 && (last === 10 || last < 0)) continue;
    if (b === 10 && restIsEmpty(i)) break;
    out.push(b);
    last = b;
  }
  return Uint8Array.from(out);
}
