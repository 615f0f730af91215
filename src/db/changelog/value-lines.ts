/**
 * File lines of the text inside a YAML/JSON scalar value, so that what reports a line inside a changelog value (the
 * `-- at file:line` of a statement, W_LIQUIBASE_SPLITS, an unterminated quote, a procedure body…) names the line the
 * text is on, as an XML element's text does, rather than the line of the key that holds it; and an error or warning
 * about one attribute's value (a bad boolean, an endDelimiter that is no regex…) names that value's line (attrLine),
 * where XML names the element's.
 *
 * Found on need from the YAML node an element was made from (yaml-tree.ts keeps it in the element, with the file's
 * text) and the scalar's position (line and column, the same from both YAML readers): reading a changelog does no
 * work for it (computed for every value while building the tree, it cost 17 % more instructions on gravitee's YAML).
 * What each style gives:
 * - `|` literal block: line k of the value is the k-th line after the header, exactly (a literal keeps every line).
 * - `>` folded block, quoted and plain scalars over several lines: the file line of each character of the value,
 *   found by walking the value's and the source's non-space characters together (folding only drops and changes
 *   white space), so a statement in the middle of a folded line is at its own line. Kept as the value offsets where
 *   the line changes; when `${property}` expansion changed the text those offsets no longer fit it, and each line
 *   of the expanded text is placed where the same line of the written text starts.
 * - JSON (double-quoted strings on one line; `\n` escapes): every line of the value is the string's start line —
 *   the source has no other line to point at, and the walk above gives exactly that.
 */
import type { ChangelogNode } from './xml-tree.js';
import type { YamlNode, YamlScalar } from './yaml-nodes.js';

/** From value offset `offsets[i]` on, the text was written on file line `lines[i]` (ascending both). */
export interface OffsetLines {
  offsets: number[];
  lines: number[];
}

/** The file line of the value's first line, the next lines following one a line; or the line of each part. */
export type ValueLines = number | OffsetLines;

/** Where a value's SQL is: a SqlPiece's `line`, and `lineMap` or `offsetLines` when its lines do not follow. */
export interface SqlPlace {
  line: number;
  lineMap?: number[];
  offsetLines?: OffsetLines;
}

/** File line of value offset `offset`. */
export function lineAtOffset(o: OffsetLines, offset: number): number {
  let lo = 0;
  let hi = o.offsets.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (o.offsets[mid]! <= offset) lo = mid;
    else hi = mid - 1;
  }
  return o.lines[lo]!;
}

const deref = (n: YamlNode | null | undefined): YamlNode | null | undefined => (n?.kind === 'alias' ? n.target : n);

/**
 * The scalar a YAML element's attribute `name` was read from: the last `name:` of its mapping (after the mappings a
 * `<<` merge key names), or of the mappings of its list (`- name: value` entries are attributes of the list's owner).
 */
function attrScalar(yaml: YamlNode | null | undefined, name: string): YamlScalar | null {
  const n = deref(yaml);
  let found: YamlScalar | null = null;
  if (n?.kind === 'seq') {
    for (const item of n.items) found = attrScalar(item, name) ?? found;
  } else if (n?.kind === 'map') {
    for (const p of n.pairs) {
      const key = deref(p.key);
      if (key?.kind !== 'scalar') continue;
      if (key.merge) {
        const v = deref(p.value);
        for (const m of v?.kind === 'seq' ? v.items : [v]) found = attrScalar(m, name) ?? found;
      } else if (key.value === name) {
        const v = deref(p.value);
        if (v?.kind === 'scalar') found = v;
      }
    }
  }
  return found;
}

/** Where the value of `node`'s attribute `name` (or its text, when `name` is undefined) was written; null for XML. */
function valueLinesOf(node: ChangelogNode, name?: string): ValueLines | null {
  if (node.yamlText === undefined) return null;
  const n = name === undefined ? deref(node.yaml) : attrScalar(node.yaml, name);
  return n?.kind === 'scalar' && n.value !== null ? valueLines(node.yamlText, n) : null;
}

/**
 * Line of attribute `name`'s value of `node` (where its text starts); XML: the line the attribute is on (its
 * closing quote's, xml-tree.ts attrLines), the element's when the start tag is on one line.
 */
export function attrLine(node: ChangelogNode, name: string): number {
  if (node.yamlText === undefined) return node.attrLines?.[name] ?? node.line;
  const at = valueLinesOf(node, name);
  return at === null ? node.line : typeof at === 'number' ? at : at.lines[0]!;
}

/** Line of `node`'s text (where it starts); XML: the element's line. */
export function textLine(node: ChangelogNode): number {
  const at = valueLinesOf(node);
  return at === null ? node.line : typeof at === 'number' ? at : at.lines[0]!;
}

/**
 * Where the SQL `sql` (the value of `node`'s attribute `name`, or its text when `name` is undefined or unset, after
 * `${…}` expansion) is, for a SqlPiece.
 */
export function sqlPlace(node: ChangelogNode, sql: string, name?: string): SqlPlace {
  const attr = name !== undefined && node.attrs[name] !== undefined;
  const at = valueLinesOf(node, attr ? name : undefined);
  if (at === null) return { line: node.line };
  if (typeof at === 'number') return { line: at };
  const raw = attr ? node.attrs[name]! : node.text;
  if (raw === sql) return { line: at.lines[0]!, offsetLines: at };
  // Each line at its first non-space character; a blank one one below the line before it.
  const lineMap: number[] = [];
  let from = 0;
  for (const l of raw.split('\n')) {
    const text = l.search(/\S/);
    lineMap.push(text >= 0 ? lineAtOffset(at, from + text) : (lineMap[lineMap.length - 1] ?? at.lines[0]! - 1) + 1);
    from += l.length + 1;
  }
  return { line: lineMap[0]!, lineMap };
}

/**
 * The file line of `raw`'s first non-space character, `raw` being the text whose place is `place` (sqlPlace): where
 * a value's SQL starts once trimmed (an XML element's text starts on the element's line, its SQL often on the next).
 */
export function firstTextLine(place: SqlPlace, raw: string): number {
  const { skip, lines } = leadingSpace(raw);
  if (place.offsetLines) return lineAtOffset(place.offsetLines, skip);
  return place.lineMap?.[lines] ?? place.line + lines;
}

/** The length of `raw`'s leading whitespace (what trimStart removes) and the line breaks (`\n`) in it. */
export function leadingSpace(raw: string): { skip: number; lines: number } {
  const skip = raw.length - raw.trimStart().length;
  let lines = 0;
  for (let nl = raw.indexOf('\n'); nl >= 0 && nl < skip; nl = raw.indexOf('\n', nl + 1)) lines++;
  return { skip, lines };
}

// The line starts of the last file asked about: the values asked for come file by file.
let startsOf: { content: string; starts: number[] } | null = null;

/** Where scalar `n`'s value was written in `content`. */
export function valueLines(content: string, n: YamlScalar): ValueLines {
  if (startsOf?.content !== content) {
    const starts = [0];
    for (let i = content.indexOf('\n'); i >= 0; i = content.indexOf('\n', i + 1)) starts.push(i + 1);
    startsOf = { content, starts };
  }
  const offset = startsOf.starts[n.line - 1]! + n.column - 1;
  const v = n.value ?? '';
  // Written as it reads, on one line (most values): checked natively, without the walk.
  if (!v.includes('\n')) {
    if (n.plain && content.startsWith(v, offset)) return n.line;
    const q = content[offset];
    if ((q === '"' || q === "'") && content[offset + 1 + v.length] === q && content.startsWith(v, offset + 1))
      return n.line;
  }
  return scalarValueLines(content, offset, n.line, v);
}

/** The lines of `value` in `content` (the file), for a scalar whose first character is at `offset` on `line`. */
function scalarValueLines(content: string, offset: number, line: number, value: string): ValueLines {
  const c = content[offset];
  if (c === '|' || c === '>') {
    // The text starts on the line after the header (`|-`, `>2`, and a comment may follow the indicator).
    const body = content.indexOf('\n', offset) + 1;
    if (c === '|' || body === 0) return line + 1;
    return alignedLines(content, body, line + 1, value, null);
  }
  const quote = c === '"' || c === "'" ? c : null;
  return alignedLines(content, quote ? offset + 1 : offset, line, value, quote);
}

const isSpace = (c: number): boolean => c === 32 || c === 9 || c === 10 || c === 13;

/**
 * Where each part of `value` was written: its non-space characters are those of the source from `start` in order;
 * in double quotes an escape is one character of the value, and one that gives white space (`\n`, `\t`, `\ `,
 * `\x20`…) is white space. A number when it is one line of the value written on one line of the file.
 */
function alignedLines(
  content: string,
  start: number,
  firstLine: number,
  value: string,
  quote: '"' | "'" | null,
): ValueLines {
  let offsets: number[] | null = null;
  let lines: number[] | null = null;
  let sp = start;
  let line = firstLine;
  let last = -1;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (isSpace(c)) continue;
    // To the source character that gave c: past white space, and escapes that gave white space.
    let width = 1;
    while (sp < content.length) {
      const s = content.charCodeAt(sp);
      if (s === 10) line++;
      if (isSpace(s)) {
        sp++;
        continue;
      }
      if (quote === '"' && s === 92) {
        width = escapeWidth(content, sp);
        if (width === 1 || isSpace(escapedChar(content, sp, width))) {
          sp += width;
          width = 1;
          continue;
        }
      } else if (quote === "'" && s === 39) width = 2;
      break;
    }
    if (last === -1) last = line;
    else if (line !== last) {
      offsets ??= [0];
      lines ??= [last];
      offsets.push(i);
      lines.push(line);
      last = line;
    }
    sp += width;
  }
  if (offsets && lines) return { offsets, lines };
  // All on one line: a number says the next lines of the value follow one a line, which they do not here.
  const only = last === -1 ? firstLine : last;
  return value.includes('\n') ? { offsets: [0], lines: [only] } : only;
}

/** Length of the escape at `p` (a `\`); 1 for an escaped line break (the break is then read as white space). */
function escapeWidth(content: string, p: number): number {
  const e = content[p + 1];
  if (e === '\n' || e === '\r') return 1;
  return e === 'x' ? 4 : e === 'u' ? 6 : e === 'U' ? 10 : 2;
}

const WHITE_ESCAPES = new Set(['n', 't', ' ', '\t', 'r']);

/** A char code for what the escape at `p` of `width` gives: only whether it is white space matters. */
function escapedChar(content: string, p: number, width: number): number {
  if (width === 2) return WHITE_ESCAPES.has(content[p + 1]!) ? 32 : 0;
  return parseInt(content.slice(p + 2, p + width), 16) || 0;
}
