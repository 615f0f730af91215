/**
 * CSV as Liquibase 4.28 reads it for loadData: opencsv's RFC4180Parser (a field that starts with the quote character
 * is quoted — separators and line breaks inside it are data, a doubled quote is one quote; any other field is taken
 * literally, quotes included; no escape character) over lines read like BufferedReader.readLine (\n, \r\n or \r).
 * Hand-written because the rules must be opencsv's exactly (csv-parse and friends differ on stray quotes and
 * escapes), and they fit in a page.
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
    let line = lines[i++]!;
    const fields: string[] = [];
    let pos = 0;
    for (;;) {
      let field = '';
      if (q !== null && line.startsWith(q, pos)) {
        pos += q.length;
        // Quoted field: read to the closing quote, joining physical lines with \n.
        for (;;) {
          const at = line.indexOf(q, pos);
          if (at === -1) {
            field += line.slice(pos);
            if (i >= lines.length) {
              pos = line.length;
              break;
            }
            field += '\n';
            line = lines[i++]!;
            pos = 0;
            continue;
          }
          field += line.slice(pos, at);
          pos = at + q.length;
          if (line.startsWith(q, pos)) {
            field += q;
            pos += q.length;
            continue;
          }
          break;
        }
        // Anything between the closing quote and the separator is kept (RFC4180Parser is lenient there).
        const next = line.indexOf(sep, pos);
        field += next === -1 ? line.slice(pos) : line.slice(pos, next);
        pos = next === -1 ? line.length : next;
      } else {
        const next = line.indexOf(sep, pos);
        field = next === -1 ? line.slice(pos) : line.slice(pos, next);
        pos = next === -1 ? line.length : next;
      }
      fields.push(field);
      if (pos >= line.length) break;
      pos += sep.length;
      if (pos === line.length) {
        fields.push('');
        break;
      }
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
