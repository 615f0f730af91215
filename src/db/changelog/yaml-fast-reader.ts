/**
 * A reader for the YAML that changelogs are written in, and for JSON: block mappings and lists, one-line plain
 * scalars, quoted scalars (over several lines too, folded as SnakeYAML folds them), `|`/`>` blocks, flow collections
 * of those, with LF or CRLF line breaks. It gives the node tree the yaml library's reader (yaml-library-reader.ts)
 * gives for such a file, positions included, and declines (returns null) anything else — anchors, aliases, tags,
 * merge keys, `?` keys, directives, several documents, multi-line plain scalars and keys, tabs outside scalars, a CR
 * outside a CRLF, BOM, control characters, every error — so that the library, the slow path, reads those exactly as
 * before. test/unit/yaml-fast-reader.test.ts compares the two on every YAML/JSON file at hand.
 *
 * Hand-written because no library gives what the tree needs at this cost: js-yaml has no key positions (its listener
 * reports nodes, not which one is a key, and re-reports a scalar it first tried as a key), the yaml library's own
 * lexer and parser alone take ~60 % of its time. Measured: gravitee's 211 YAML files (317 KB) read warm in 20-26 ms of
 * CPU instead of 157-208 ms (median of 15 rounds, 3 interleaved runs); cold `db package` of gravitee runs 2.52 G
 * instructions instead of 5.56 G, homebrew-dash (JSON) 0.78 G instead of 1.41 G (callgrind; the commit has the commands).
 */
import type { YamlMap, YamlNode, YamlPair, YamlScalar, YamlSeq } from './yaml-nodes.js';

/** Thrown (and caught in readYamlFast) where the file leaves the subset read here. */
const DECLINE = new Error('declined');

// Characters the yaml library and SnakeYAML treat in ways not reproduced here (CR, left only outside a CRLF by
// withoutCrlf, the YAML 1.1 line breaks, BOM, control characters); any of them sends the file to the library.
// eslint-disable-next-line no-control-regex -- control characters are what this looks for
const UNSUPPORTED_CHARS = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]/;

// A plain scalar may not start with these (YAML indicators; `-`, `:` and `?` only before a space, which is declined
// here too rather than decided).
const PLAIN_FIRST_BAD = new Set([...'-?:,[]{}#&*!|>\'"%@`']);

const NULLS = new Set(['~', 'null', 'Null', 'NULL']);

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  '\t': '\t',
};

/** The root node, or null when the file is not (only) in the subset this reader handles. */
export function readYamlFast(content: string): YamlNode | null {
  const text = withoutCrlf(content);
  if (text === null || UNSUPPORTED_CHARS.test(text)) return null;
  try {
    return new Reader(text).document();
  } catch (e) {
    if (e === DECLINE) return null;
    throw e;
  }
}

/**
 * `content` with each CRLF line break as LF (files written on Windows), or null when it has a CR elsewhere. YAML
 * normalises line breaks in scalars to LF (SnakeYAML's scanLineBreak, the yaml library likewise) and a CR before LF
 * ends a line without taking a column, so the tree read from the LF text is the one read from the CRLF text, positions
 * included (test/unit/yaml-fast-reader.test.ts compares the two readers on every corpus file written with CRLF).
 */
function withoutCrlf(content: string): string | null {
  if (!content.includes('\r')) return content;
  if (/\r(?!\n)/.test(content)) return null;
  return content.replaceAll('\r\n', '\n');
}

const decline = (): never => {
  throw DECLINE;
};

class Reader {
  private readonly s: string;
  private readonly n: number;
  /** Start of the line holding `lineOfPos`, and its 1-based number: offsets are asked for in increasing order. */
  private lineNo = 1;
  private lineStart = 0;
  /** The end of that line (its `\n`, or n): kept, not searched for again at each offset of a long line. */
  private lineEnd: number;

  constructor(s: string) {
    this.s = s;
    this.n = s.length;
    this.lineEnd = this.eol(0);
  }

  /** Line and column of an offset not before the last one asked for. */
  private at(pos: number): { line: number; column: number } {
    if (pos < this.lineStart) decline();
    while (this.lineEnd < pos) {
      this.lineStart = this.lineEnd + 1;
      this.lineNo++;
      this.lineEnd = this.eol(this.lineStart);
    }
    return { line: this.lineNo, column: pos - this.lineStart + 1 };
  }

  private eol(p: number): number {
    const e = this.s.indexOf('\n', p);
    return e === -1 ? this.n : e;
  }

  /** Number of spaces at `p`; a tab in the indentation declines. */
  private spaces(p: number): number {
    let q = p;
    while (this.s.charCodeAt(q) === 32) q++;
    if (this.s.charCodeAt(q) === 9) decline();
    return q - p;
  }

  /**
   * From `p` (anywhere in a line whose rest is blank or a comment, or at a line start): the start of the next line
   * with content, or n at the end. `p` itself may be a content line start.
   */
  private nextContent(p: number): number {
    let q = p;
    while (q < this.n) {
      const ind = this.spaces(q);
      const c = this.s.charCodeAt(q + ind);
      if (c === 10) {
        q += ind + 1;
        continue;
      }
      if (q + ind >= this.n) return this.n;
      if (c === 35 /* # */) {
        q = this.eol(q + ind) + 1;
        continue;
      }
      // A line start (or a position after `- `/`: ` whose rest of line was checked blank by the caller).
      if (ind === 0 && (q === 0 || this.s.charCodeAt(q - 1) === 10)) {
        const three = this.s.slice(q, q + 3);
        if ((three === '---' || three === '...' || this.s[q] === '%') && q + 3 <= this.n) decline();
      }
      return q;
    }
    return this.n;
  }

  /** Skips spaces and an optional comment to the line's end; declines other content. Returns the line's end. */
  private restBlank(p: number): number {
    let q = p;
    while (this.s.charCodeAt(q) === 32) q++;
    const c = this.s.charCodeAt(q);
    if (q >= this.n || c === 10) return q;
    // A comment needs a space before it (checked by callers: they stop at a space or at the line's end).
    if (c === 35 && (q === p ? this.s.charCodeAt(q - 1) === 32 : true)) return this.eol(q);
    return decline();
  }

  private lineStartOf(p: number): number {
    return this.s.lastIndexOf('\n', p - 1) + 1;
  }

  document(): YamlNode {
    const p = this.nextContent(0);
    if (p >= this.n) decline();
    const ind = this.spaces(p);
    let root: YamlNode;
    let end: number;
    if (this.s[p + ind] === '{') {
      const r = this.flow(p + ind);
      root = r.node;
      end = this.restBlank(r.end);
    } else {
      const r = this.blockMap(p + ind, ind);
      root = r.node;
      end = r.end;
    }
    if (this.nextContent(end) < this.n) decline();
    return root;
  }

  /**
   * Where a key ends on this line, if the text at `p` is a key: the offset of its `:` (followed by a space or the
   * line's end), or -1 when the text is a scalar. Quoted keys are scanned by the quoted-scalar readers.
   */
  private plainKeyColon(p: number): number {
    const end = this.eol(p);
    for (let q = p; q < end; q++) {
      const c = this.s.charCodeAt(q);
      if (c === 58 /* : */) {
        const d = this.s.charCodeAt(q + 1);
        if (q + 1 >= this.n || d === 10 || d === 32) return q;
        if (d === 9) decline();
      } else if (c === 35 /* # */ && this.s.charCodeAt(q - 1) === 32) return -1;
      else if (c === 9) decline();
    }
    return -1;
  }

  /** A block mapping whose first key starts at `p` (column `indent`); following keys start lines at that column. */
  private blockMap(p: number, indent: number): { node: YamlMap; end: number } {
    const pos = this.at(p);
    const map: YamlMap = { kind: 'map', pairs: [], line: pos.line, column: pos.column };
    let q = p;
    for (;;) {
      // The key.
      const c = this.s[q]!;
      let key: YamlScalar;
      let after: number;
      if (c === '"' || c === "'") {
        const r = this.quoted(q, false);
        key = r.node;
        after = r.end;
        while (this.s.charCodeAt(after) === 32) after++;
        if (this.s[after] !== ':') decline();
        const d = this.s.charCodeAt(after + 1);
        if (!(after + 1 >= this.n || d === 10 || d === 32)) decline();
      } else {
        if (PLAIN_FIRST_BAD.has(c)) decline();
        const colon = this.plainKeyColon(q);
        if (colon < 0) decline();
        let e = colon;
        while (this.s.charCodeAt(e - 1) === 32) e--;
        const src = this.s.slice(q, e);
        if (src === '<<') decline();
        key = this.plainScalar(q, src);
        after = colon;
      }
      // The value.
      const r = this.valueAfterIndicator(after + 1, indent, false);
      map.pairs.push({ key, value: r.node });
      const next = this.nextContent(r.end);
      if (next >= this.n) return { node: map, end: next };
      const ind = this.spaces(next);
      if (ind < indent) return { node: map, end: next };
      if (ind > indent) decline();
      // A list at the mapping's own indentation is a value's (read there): here it is a stray one.
      if (this.isDash(next + ind)) decline();
      q = next + ind;
    }
  }

  private isDash(p: number): boolean {
    const d = this.s.charCodeAt(p + 1);
    return this.s[p] === '-' && (p + 1 >= this.n || d === 10 || d === 32);
  }

  /**
   * The node after `:` or `-` (at `p`, the character after the indicator) of a mapping or list at column `indent`.
   * `inSeq`: the node is a list entry (a same-indentation list cannot be its value then).
   */
  private valueAfterIndicator(p: number, indent: number, inSeq: boolean): { node: YamlNode | null; end: number } {
    let q = p;
    while (this.s.charCodeAt(q) === 32) q++;
    const c = this.s.charCodeAt(q);
    if (q >= this.n || c === 10 || (c === 35 && q > p)) {
      // Nothing on this line: the value is on the following lines, or there is none.
      const lineEnd = this.restBlank(q);
      const next = this.nextContent(lineEnd);
      if (next >= this.n) return { node: this.empty(p), end: next };
      const ind = this.spaces(next);
      const first = next + ind;
      if (ind > indent) {
        if (this.isDash(first)) return this.blockSeq(first, ind);
        if (this.s[first] === '|' || this.s[first] === '>' || this.s[first] === '[' || this.s[first] === '{') decline();
        if (this.s[first] === '"' || this.s[first] === "'" || this.plainKeyColon(first) >= 0)
          return this.keyOrScalar(first, ind, indent);
        return this.lineScalar(first, indent);
      }
      if (ind === indent && !inSeq && this.isDash(first)) return this.blockSeq(first, ind);
      return { node: this.empty(p), end: next };
    }
    if (c === 9) decline();
    const ch = this.s[q]!;
    if (inSeq) {
      // A compact mapping (`- key: value`) or list (`- - x`) in a list entry.
      const col = q - this.lineStartOf(q);
      if (this.isDash(q)) return this.blockSeq(q, col);
      if (ch === '"' || ch === "'" || this.plainKeyColon(q) >= 0) return this.keyOrScalar(q, col, indent);
    }
    if (ch === '|' || ch === '>') return this.blockScalar(q, indent);
    if (ch === '[' || ch === '{') {
      const r = this.flow(q);
      // Over several lines in a block, the indentation of the lines matters: not read here.
      if (this.eol(q) < r.end) decline();
      const end = this.restBlank(r.end);
      this.noContinuation(end, indent);
      return { node: r.node, end };
    }
    return this.lineScalar(q, indent);
  }

  /** A null for `key:` with nothing after it; the yaml library places it where the value would start. */
  private empty(p: number): YamlScalar {
    const pos = this.at(p);
    return { kind: 'scalar', plain: false, value: null, merge: false, line: pos.line, column: pos.column };
  }

  /** At `p` (column `col`), text that is either a mapping's first key or a one-line quoted scalar. */
  private keyOrScalar(p: number, col: number, indent: number): { node: YamlNode; end: number } {
    const c = this.s[p];
    if (c === '"' || c === "'") {
      // Quoted: a key if a `:` follows on the line (read again, on one line only, by blockMap).
      const r = this.quoted(p, true);
      let a = r.end;
      while (this.s.charCodeAt(a) === 32) a++;
      if (this.s[a] !== ':') {
        const end = this.restBlank(r.end);
        this.noContinuation(end, indent);
        return { node: r.node, end };
      }
    }
    return this.blockMap(p, col);
  }

  /** A one-line plain or quoted scalar at `p`, the value of a node at column `indent`. */
  private lineScalar(p: number, indent: number): { node: YamlScalar; end: number } {
    const c = this.s[p]!;
    let node: YamlScalar;
    let end: number;
    if (c === '"' || c === "'") {
      const r = this.quoted(p, true);
      node = r.node;
      end = this.restBlank(r.end);
    } else {
      if (c === '-' ? /[\s]/.test(this.s[p + 1] ?? ' ') : PLAIN_FIRST_BAD.has(c)) decline();
      const lineEnd = this.eol(p);
      let e = lineEnd;
      for (let q = p; q < lineEnd; q++) {
        const d = this.s.charCodeAt(q);
        if (d === 35 && this.s.charCodeAt(q - 1) === 32) {
          e = q;
          break;
        }
        if (d === 9) decline();
        if (d === 58) {
          const f = this.s.charCodeAt(q + 1);
          if (q + 1 >= lineEnd || f === 32) decline();
        }
      }
      end = e === lineEnd ? lineEnd : this.eol(e);
      while (this.s.charCodeAt(e - 1) === 32) e--;
      node = this.plainScalar(p, this.s.slice(p, e));
    }
    this.noContinuation(end, indent);
    return { node, end };
  }

  /** After a one-line value of a node at column `indent`: a more indented next line would continue it (declined). */
  private noContinuation(end: number, indent: number): void {
    const next = this.nextContent(end);
    if (next < this.n && this.spaces(next) > indent) decline();
  }

  private plainScalar(p: number, src: string): YamlScalar {
    const pos = this.at(p);
    if (NULLS.has(src))
      return { kind: 'scalar', plain: false, value: null, merge: false, line: pos.line, column: pos.column };
    return { kind: 'scalar', plain: true, value: src, merge: false, line: pos.line, column: pos.column };
  }

  /** A block list whose first `-` is at `p`, column `indent`. */
  private blockSeq(p: number, indent: number): { node: YamlSeq; end: number } {
    const pos = this.at(p);
    const seq: YamlSeq = { kind: 'seq', items: [], line: pos.line, column: pos.column };
    let q = p;
    for (;;) {
      const r = this.valueAfterIndicator(q + 1, indent, true);
      // A null entry (`-` with nothing, where the yaml library's position for it is not reproduced; `- ~`): declined.
      if (r.node === null || (r.node.kind === 'scalar' && r.node.value === null)) decline();
      seq.items.push(r.node);
      const next = this.nextContent(r.end);
      if (next >= this.n) return { node: seq, end: next };
      const ind = this.spaces(next);
      if (ind > indent) decline();
      if (ind < indent || !this.isDash(next + ind)) return { node: seq, end: next };
      q = next + ind;
    }
  }

  /**
   * A quoted scalar at `p` (at a `"` or `'`); over several lines only where `multiLine` (not for keys, which SnakeYAML
   * and the yaml library both take on one line only).
   */
  private quoted(p: number, multiLine: boolean): { node: YamlScalar; end: number } {
    return this.s[p] === '"' ? this.doubleQuoted(p, multiLine) : this.singleQuoted(p, multiLine);
  }

  /**
   * At a line break `q` inside a quoted scalar: YAML's flow folding, as SnakeYAML does it (ScannerImpl
   * scanFlowScalarSpaces/scanFlowScalarBreaks). The break gives a space, or n newlines when n empty lines follow it
   * (`escaped`: after a `\` at the line's end, which joins with no space); white space before the break (given
   * `from`, where the raw text not yet copied starts) and at the start of the next line is dropped. SnakeYAML does
   * not check the indentation of the continuation lines (the yaml library does and refuses lines it finds not
   * indented enough: SnakeYAML, thus Liquibase, is the spec here). Declined: a tab around the break, `---` or `...`
   * at a line start (SnakeYAML refuses those), the file's end, and any break where not `multiLine`.
   */
  private fold(from: number, q: number, escaped: boolean, multiLine: boolean): { text: string; next: number } {
    if (!multiLine) decline();
    let e = q;
    if (!escaped) while (e > from && this.s.charCodeAt(e - 1) === 32) e--;
    if (this.s.charCodeAt(e - 1) === 9) decline();
    let text = this.s.slice(from, e);
    let breaks = 0;
    let r = q + 1;
    for (;;) {
      const three = this.s.slice(r, r + 3);
      if (three === '---' || three === '...') decline();
      while (this.s.charCodeAt(r) === 32) r++;
      if (r >= this.n || this.s.charCodeAt(r) === 9) decline();
      if (this.s.charCodeAt(r) !== 10) break;
      breaks++;
      r++;
    }
    // After an escaped break, empty lines give a newline each in SnakeYAML (and the YAML spec), but a space in the
    // yaml library (measured: "a\\⏎⏎ b" reads "a b"): declined, to keep reading such files as before.
    if (escaped && breaks > 0) decline();
    text += breaks > 0 ? '\n'.repeat(breaks) : escaped ? '' : ' ';
    return { text, next: r };
  }

  /** `'…'`, where `''` is a quote. */
  private singleQuoted(p: number, multiLine: boolean): { node: YamlScalar; end: number } {
    const pos = this.at(p);
    let out = '';
    let from = p + 1;
    for (let q = p + 1; q < this.n;) {
      const c = this.s.charCodeAt(q);
      if (c === 39 /* ' */) {
        if (this.s.charCodeAt(q + 1) === 39) {
          out += this.s.slice(from, q + 1);
          q = from = q + 2;
          continue;
        }
        out += this.s.slice(from, q);
        return {
          node: { kind: 'scalar', plain: false, value: out, merge: false, line: pos.line, column: pos.column },
          end: q + 1,
        };
      }
      if (c === 10) {
        const f = this.fold(from, q, false, multiLine);
        out += f.text;
        q = from = f.next;
        continue;
      }
      q++;
    }
    return decline();
  }

  /** `"…"`, with YAML's escapes. */
  private doubleQuoted(p: number, multiLine: boolean): { node: YamlScalar; end: number } {
    const pos = this.at(p);
    let out = '';
    let from = p + 1;
    for (let q = p + 1; q < this.n; q++) {
      const c = this.s.charCodeAt(q);
      if (c === 34 /* " */) {
        out += this.s.slice(from, q);
        return {
          node: { kind: 'scalar', plain: false, value: out, merge: false, line: pos.line, column: pos.column },
          end: q + 1,
        };
      }
      if (c === 10) {
        const f = this.fold(from, q, false, multiLine);
        out += f.text;
        q = (from = f.next) - 1;
        continue;
      }
      if (c !== 92 /* \ */) continue;
      out += this.s.slice(from, q);
      const e = this.s[q + 1];
      if (e === undefined) decline();
      if (e === '\n') {
        // An escaped line break: the text before the `\` is kept as it is (white space included).
        const f = this.fold(q + 1, q + 1, true, multiLine);
        out += f.text;
        q = (from = f.next) - 1;
        continue;
      }
      const simple = ESCAPES[e!];
      if (simple !== undefined) {
        out += simple;
        q += 1;
      } else if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = this.s.slice(q + 2, q + 2 + len);
        if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) decline();
        const code = parseInt(hex, 16);
        if (code > 0x10ffff) decline();
        out += String.fromCodePoint(code);
        q += 1 + len;
      } else decline();
      from = q + 1;
    }
    return decline();
  }

  /** A `|` or `>` block scalar at `p`, the value of a node at column `indent`. */
  private blockScalar(p: number, indent: number): { node: YamlScalar; end: number } {
    const pos = this.at(p);
    const folded = this.s[p] === '>';
    let q = p + 1;
    let strip = false;
    if (this.s[q] === '-') {
      strip = true;
      q++;
    }
    // Keep chomping (+), indentation indicators and comments after the header: declined.
    const d = this.s.charCodeAt(q);
    if (!(q >= this.n || d === 10 || d === 32)) decline();
    while (this.s.charCodeAt(q) === 32) q++;
    if (q < this.n && this.s.charCodeAt(q) !== 10) decline();
    // The content lines: the first non-empty line sets the indentation.
    let lineStart = q + 1;
    if (lineStart > this.n) decline();
    let contentIndent = -1;
    let maxEmptyIndent = 0;
    const lines: string[] = []; // null-free: '' for an empty line
    let end = this.n;
    while (lineStart < this.n) {
      let sp = lineStart;
      while (this.s.charCodeAt(sp) === 32) sp++;
      const lineEnd = this.eol(lineStart);
      const ind = sp - lineStart;
      if (sp >= lineEnd) {
        // An empty (or spaces only) line.
        if (contentIndent < 0) maxEmptyIndent = Math.max(maxEmptyIndent, ind);
        else if (ind > contentIndent) {
          // Spaces beyond the indentation are content.
          lines.push(this.s.slice(lineStart + contentIndent, lineEnd));
          lineStart = lineEnd + 1;
          continue;
        }
        lines.push('');
        lineStart = lineEnd + 1;
        continue;
      }
      if (contentIndent < 0) {
        if (ind <= indent) decline(); // an empty block scalar
        if (maxEmptyIndent > ind) decline();
        contentIndent = ind;
      }
      if (ind < contentIndent) {
        end = lineStart;
        break;
      }
      lines.push(this.s.slice(lineStart + contentIndent, lineEnd));
      lineStart = lineEnd + 1;
    }
    if (contentIndent < 0) decline();
    // Trailing empty lines go to chomping; they are not part of the scalar's end either.
    let last = lines.length;
    while (last > 0 && lines[last - 1] === '') last--;
    const body = lines.slice(0, last);
    // Leading empty lines are line breaks; then a literal keeps its line breaks, and a folded block (as the yaml
    // library folds it) makes a single break between two lines of text a space, keeps the breaks of a run of empty
    // lines but the first, and keeps the breaks around more indented lines (starting with a space or a tab).
    let value = '';
    let i = 0;
    for (; i < body.length && body[i] === ''; i++) value += '\n';
    let sep = '';
    let prevMoreIndented = false;
    for (; i < body.length; i++) {
      const t = body[i]!;
      if (!folded) {
        value += sep + t;
        sep = '\n';
      } else if (t.charCodeAt(0) === 32 || t.charCodeAt(0) === 9) {
        if (sep === ' ') sep = '\n';
        else if (!prevMoreIndented && sep === '\n') sep = '\n\n';
        value += sep + t;
        sep = '\n';
        prevMoreIndented = true;
      } else if (t === '') {
        if (sep === '\n') value += '\n';
        else sep = '\n';
      } else {
        value += sep + t;
        sep = ' ';
        prevMoreIndented = false;
      }
    }
    // Clip keeps one final line break, except (as SnakeYAML) when the block ends the file without one.
    if (!strip) {
      const reachesEof = end >= this.n;
      if (reachesEof && !this.s.endsWith('\n')) {
        if (last !== lines.length) decline(); // ends in spaces-only lines without a final line break
      } else value += '\n';
    }
    return {
      node: { kind: 'scalar', plain: false, value, merge: false, line: pos.line, column: pos.column },
      end: end >= this.n ? this.n : end,
    };
  }

  /** Skips spaces, line breaks and comments inside a flow collection. */
  private flowSpace(p: number): number {
    let q = p;
    for (;;) {
      const c = this.s.charCodeAt(q);
      if (c === 32) q++;
      else if (c === 10) {
        q++;
        const three = this.s.slice(q, q + 3);
        if (three === '---' || three === '...') decline();
      } else if (c === 35 && (q === 0 || this.s.charCodeAt(q - 1) === 32 || this.s.charCodeAt(q - 1) === 10))
        q = this.eol(q);
      else if (c === 9) return decline();
      else return q;
    }
  }

  /** A flow scalar or collection at `p`; `end` is just after it. */
  private flowNode(p: number, inMap: boolean): { node: YamlNode; end: number; plain: boolean } {
    const c = this.s[p];
    if (c === '[' || c === '{') return { ...this.flow(p), plain: false };
    if (c === '"' || c === "'") return { ...this.quoted(p, !inMap), plain: false };
    if (c === undefined) return decline();
    // A plain scalar: one line; it ends at , [ ] { }, at ': ' and at ' #'. `-` may start it before a non-space.
    if (c === '-' ? !/[^\s,[\]{}]/.test(this.s[p + 1] ?? ' ') : PLAIN_FIRST_BAD.has(c)) decline();
    let q = p;
    for (; q < this.n; q++) {
      const d = this.s.charCodeAt(q);
      if (d === 10 || d === 44 || d === 91 || d === 93 || d === 123 || d === 125) break;
      if (d === 9) decline();
      if (d === 35 && this.s.charCodeAt(q - 1) === 32) decline();
      if (d === 58) {
        const f = this.s.charCodeAt(q + 1);
        if (f === 32 || f === 10 || f === 44 || f === 91 || f === 93 || f === 123 || f === 125 || q + 1 >= this.n) {
          if (!inMap) decline();
          break;
        }
      }
    }
    let e = q;
    while (this.s.charCodeAt(e - 1) === 32) e--;
    // A line break inside: the plain scalar would go on unless the next content is , ] or }.
    if (this.s.charCodeAt(q) === 10) {
      const next = this.flowSpace(q);
      const n = this.s[next];
      if (n !== ',' && n !== ']' && n !== '}') decline();
    }
    return { node: this.plainScalar(p, this.s.slice(p, e)), end: e, plain: true };
  }

  /** `[…]` or `{…}` at `p`, JSON-like: no `?`, no single-pair entries, no keys without `:`, no trailing comma. */
  private flow(p: number): { node: YamlSeq | YamlMap; end: number } {
    if (this.s[p] === '[') {
      const pos = this.at(p);
      const seq: YamlSeq = { kind: 'seq', items: [], line: pos.line, column: pos.column };
      let q = this.flowSpace(p + 1);
      if (this.s[q] === ']') return { node: seq, end: q + 1 };
      for (;;) {
        const r = this.flowNode(q, false);
        seq.items.push(r.node);
        q = this.flowSpace(r.end);
        const c = this.s[q];
        if (c === ']') return { node: seq, end: q + 1 };
        if (c !== ',') decline();
        q = this.flowSpace(q + 1);
        if (this.s[q] === ']' || this.s[q] === ',') decline();
      }
    }
    const pos = this.at(p);
    const map: YamlMap = { kind: 'map', pairs: [], line: pos.line, column: pos.column };
    let q = this.flowSpace(p + 1);
    if (this.s[q] === '}') return { node: map, end: q + 1 };
    for (;;) {
      if (this.s[q] === '[' || this.s[q] === '{' || this.s[q] === '?') decline();
      const k = this.flowNode(q, true);
      const key = k.node as YamlScalar;
      if (key.plain && key.value === '<<') decline();
      // The `:` on the key's line, right after it or after spaces.
      q = k.end;
      while (this.s.charCodeAt(q) === 32) q++;
      if (this.s[q] !== ':') decline();
      if (k.plain) {
        const f = this.s.charCodeAt(q + 1);
        if (!(f === 32 || f === 10)) decline();
      }
      q = this.flowSpace(q + 1);
      const c0 = this.s[q];
      if (c0 === ',' || c0 === '}' || c0 === undefined) decline();
      const v = this.flowNode(q, false);
      const pair: YamlPair = { key, value: v.node };
      map.pairs.push(pair);
      q = this.flowSpace(v.end);
      const c = this.s[q];
      if (c === '}') return { node: map, end: q + 1 };
      if (c !== ',') decline();
      q = this.flowSpace(q + 1);
      if (this.s[q] === '}' || this.s[q] === ',') decline();
    }
  }
}
