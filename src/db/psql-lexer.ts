/**
 * A lexer for psql scripts: splits text into SQL statements and backslash meta-commands the way psql does.
 * Hand-written because no maintained npm library interprets psql scripts (pgsql-parser/libpg-query parse SQL only
 * and reject meta-commands; they also cannot interpolate psql variables that change while the script runs).
 * Knows single quotes (E'' escapes), quoted identifiers, dollar quotes, nested block comments, line comments,
 * parenthesis depth (psql does not end a statement at `;` inside parentheses), `\;` (a `;` that does not end the
 * statement: psql sends both statements in one query) and `:var` / `:'var'` / `:"var"`.
 */
import { SlipwayError } from '../errors.js';

export type ScriptItem =
  | { kind: 'sql'; text: string; line: number; comments: string[]; terminated: boolean }
  /**
   * `COPY … FROM STDIN;` (or psql's `\copy … from stdin`) and the data psql reads after it from the script itself:
   * the lines up to one that is exactly `\.` (or the end of the script), each with its newline. `text` is the COPY
   * statement to send (for `\copy`, the one psql builds).
   */
  | { kind: 'copy'; text: string; line: number; comments: string[]; data: string; dataLine: number; meta: boolean }
  | {
      kind: 'meta';
      command: string;
      args: string[];
      line: number;
      query: { text: string; line: number } | null;
      comments: string[];
    };

const IDENT_START = /[A-Za-z_\u0080-\uffff]/;
const IDENT_CHAR = /[A-Za-z0-9_$\u0080-\uffff]/;

/** Iterates `source` item by item; `vars` is read at lex time, so \gset results reach later statements, as in psql. */
export function* lexPsqlScript(source: string, vars: Map<string, string>): Generator<ScriptItem> {
  let i = 0;
  let line = 1;
  let buf = '';
  // Whether `buf` is only whitespace so far (kept incrementally: testing buf.trim() per character was quadratic).
  let blank = true;
  let bufLine = 0;
  let depth = 0;
  let comments: string[] = [];
  const n = source.length;
  const push = (text: string) => {
    if (blank && text.trim() !== '') {
      blank = false;
      if (bufLine === 0) bufLine = line;
    }
    buf += text;
  };
  const take = (): { text: string; line: number } | null => {
    const text = buf.trim();
    const out = text === '' ? null : { text, line: bufLine };
    buf = '';
    blank = true;
    bufLine = 0;
    depth = 0;
    return out;
  };
  while (i < n) {
    const c = source[i]!;
    if (c === '\n') {
      line++;
      buf += c;
      i++;
      continue;
    }
    if (c === '-' && source[i + 1] === '-') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      if (blank) comments.push(source.slice(i + 2, stop).trim());
      else buf += source.slice(i, stop);
      i = stop;
      continue;
    }
    if (c === '/' && source[i + 1] === '*') {
      const j = blockCommentEnd(source, i);
      const text = source.slice(i, j);
      line += countLines(text);
      if (!blank) buf += text;
      i = j;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = c === "'" ? singleQuoteEnd(source, i) : doubleQuoteEnd(source, i);
      push(source.slice(i, end));
      line += countLines(source.slice(i, end));
      i = end;
      continue;
    }
    if (c === '$') {
      const stop = dollarQuoteEnd(source, i);
      if (stop >= 0) {
        push(source.slice(i, stop));
        line += countLines(source.slice(i, stop));
        i = stop;
        continue;
      }
    }
    if (c === ':' && source[i + 1] !== ':' && source[i - 1] !== ':') {
      const v = readVariable(source, i, vars);
      if (v) {
        push(v.value);
        i = v.end;
        continue;
      }
    }
    if (c === '(') depth++;
    if (c === ')' && depth > 0) depth--;
    if (c === ';' && depth === 0) {
      push(';');
      i++;
      const q = take();
      if (q && COPY_FROM_STDIN.test(q.text)) {
        const block = readCopyData(source, i, line, false);
        yield { kind: 'copy', text: q.text, line: q.line, comments, data: block.data, dataLine: line + 1, meta: false };
        [i, line] = [block.end, block.line];
      } else if (q) yield { kind: 'sql', text: q.text, line: q.line, comments, terminated: true };
      comments = [];
      continue;
    }
    if (c === '\\' && source[i + 1] === ';') {
      // psql's `\;`: a semicolon sent with the query, which goes on (several statements, one round trip).
      push(';');
      i += 2;
      continue;
    }
    if (c === '\\') {
      const end = source.indexOf('\n', i);
      const stop = end === -1 ? n : end;
      const [command, ...rest] = splitMetaArgs(source.slice(i + 1, stop), vars);
      const copy = command === 'copy' ? copyFromStdin(source.slice(i + 1, stop)) : null;
      if (copy !== null) {
        const block = readCopyData(source, stop, line, true);
        yield { kind: 'copy', text: copy, line, comments, data: block.data, dataLine: line + 1, meta: true };
        comments = [];
        [i, line] = [block.end, block.line];
        continue;
      }
      const query = command === 'gset' || command === 'g' ? take() : null;
      yield { kind: 'meta', command: command ?? '', args: rest, line, query, comments };
      comments = [];
      i = stop;
      continue;
    }
    // A plain character: take the whole run up to the next character that needs a decision, in one slice.
    let j = i + 1;
    while (j < n && !isSpecial(source.charCodeAt(j))) j++;
    push(j === i + 1 ? c : source.slice(i, j));
    i = j;
  }
  const q = take();
  if (q) yield { kind: 'sql', text: q.text, line: q.line, comments, terminated: false };
}

/** A statement psql follows with copy-in data read from the script: `COPY … FROM STDIN` (not `pstdin`, not a file). */
const COPY_FROM_STDIN = /^copy\b[\s\S]*\bfrom\s+stdin\b/i;

/**
 * The COPY statement psql sends for `\copy <what> from stdin [options]` (`line`: the meta-command without its
 * backslash), or null for any other \copy (a file, pstdin, program, or `to`). psql takes \copy's line whole, without
 * variable interpolation, and drops a trailing semicolon.
 */
function copyFromStdin(line: string): string | null {
  const m = /^copy\s+([\s\S]+?)\s+from\s+stdin\b([\s\S]*?);?\s*$/i.exec(line.trim());
  return m ? `COPY ${m[1]} FROM STDIN${m[2]}` : null;
}

/**
 * The copy-in data psql reads after a COPY … FROM STDIN from `source` at `from` (just after the statement's `;`, or
 * at the end of the \copy line): the lines from the next one up to a line that is exactly `\.`, or the end of the
 * script. Returns the data, where lexing goes on (the newline ending the `\.` line, counted by the caller's loop) and
 * the line number there. Text after the `;` on the statement's own line is refused: psql would run it after the data.
 */
function readCopyData(
  source: string,
  from: number,
  line: number,
  isMeta: boolean,
): { data: string; end: number; line: number } {
  const eol = source.indexOf('\n', from);
  const restOfLine = source.slice(from, eol === -1 ? source.length : eol);
  if (!isMeta && restOfLine.trim() !== '' && !restOfLine.trim().startsWith('--')) {
    throw new SlipwayError('E_DB', `text after COPY … FROM STDIN; on line ${line}: ${restOfLine.trim()}`, {
      line,
      hint: "psql reads the copy data from the next line on: put what follows the ; on a line after the data's \\.",
    });
  }
  if (eol === -1) return { data: '', end: source.length, line };
  let start = eol + 1;
  let at = line + 1;
  const data: string[] = [];
  while (start < source.length) {
    const next = source.indexOf('\n', start);
    const stop = next === -1 ? source.length : next;
    const text = source.slice(start, stop);
    if (text === '\\.' || text === '\\.\r') return { data: data.join(''), end: stop, line: at };
    data.push(next === -1 ? text : `${text}\n`);
    if (next === -1) break;
    start = next + 1;
    at++;
  }
  return { data: data.join(''), end: source.length, line: at };
}

/** Characters the lexer decides on: \n - / ' " $ : ( ) ; and backslash. */
function isSpecial(code: number): boolean {
  switch (code) {
    case 10: // \n
    case 45: // -
    case 47: // /
    case 39: // '
    case 34: // "
    case 36: // $
    case 58: // :
    case 40: // (
    case 41: // )
    case 59: // ;
    case 92: // \
      return true;
    default:
      return false;
  }
}

/** True when psql would still be waiting for a `;` after `sql` (so a generator must add one). */
export function needsTerminator(sql: string): boolean {
  // Text without `;` or a backslash that starts with neither `-` nor `/` (no leading comment) lexes as one statement
  // that is still open: answered without lexing it (most generated statements come without their `;`).
  if (!sql.includes(';') && !sql.includes('\\')) {
    const first = sql.trimStart().charCodeAt(0);
    if (!Number.isNaN(first) && first !== 45 && first !== 47) return true;
  }
  return endsInOpenStatement(sql);
}

/**
 * Whether lexPsqlScript(sql, no variables) would end with an unterminated SQL item, without building its items: the
 * lexer's own token rules (the helpers below), keeping only what decides the answer — whether the query buffer
 * holds more than whitespace, and the parenthesis depth. No text is copied (needsTerminator runs on every statement
 * of a package; lexing each one allocated ~1 kB per changeset).
 */
function endsInOpenStatement(source: string): boolean {
  const n = source.length;
  let i = 0;
  // The lexer's `blank` (buffer only whitespace, as String#trim sees it) and `depth`.
  let blank = true;
  let depth = 0;
  let stop: number;
  while (i < n) {
    const code = source.charCodeAt(i);
    if (!isSpecial(code)) {
      if (blank && !isTrimSpace(code)) blank = false;
      i++;
      continue;
    }
    // Inside the text only: a statement's last character is often special (`;`, `)`), and an out-of-bounds read
    // deoptimised the optimised code at the first such statement (--trace-deopt), which V8 then compiled again.
    const next = i + 1 < n ? source.charCodeAt(i + 1) : -1;
    if (code === 10) i++;
    else if (code === 45 && next === 45) {
      // A line comment: kept in the buffer (or as a comment before the statement), never deciding anything.
      const end = source.indexOf('\n', i);
      i = end === -1 ? n : end;
    } else if (code === 47 && next === 42) i = blockCommentEnd(source, i);
    else if (code === 39 || code === 34) {
      blank = false;
      i = code === 39 ? singleQuoteEnd(source, i) : doubleQuoteEnd(source, i);
    } else if (code === 36 && (stop = dollarQuoteEnd(source, i)) >= 0) {
      blank = false;
      i = stop;
    } else if (code === 59 && depth === 0) {
      // The statement ends (the lexer's take()).
      blank = true;
      i++;
    } else if (code === 92 && next === 59) {
      blank = false;
      i += 2;
    } else if (code === 92) {
      const end = source.indexOf('\n', i);
      stop = end === -1 ? n : end;
      const command = splitMetaArgs(source.slice(i + 1, stop), NO_VARS)[0];
      if (command === 'gset' || command === 'g') {
        blank = true;
        depth = 0;
      }
      i = stop;
    } else {
      // `(`, `)`, `;` inside parentheses, and `-`, `/`, `$`, `:` that start nothing: a plain character (no variable
      // is defined, so `:name` is plain text too).
      if (code === 40) depth++;
      if (code === 41 && depth > 0) depth--;
      blank = false;
      i++;
    }
  }
  return !blank;
}

const NO_VARS = new Map<string, string>();

/** String#trim's whitespace (ECMAScript WhiteSpace and LineTerminator). */
function isTrimSpace(code: number): boolean {
  if (code <= 32) return code === 32 || (code >= 9 && code <= 13);
  if (code < 160) return false;
  return (
    code === 160 ||
    code === 5760 ||
    (code >= 8192 && code <= 8202) ||
    code === 8232 ||
    code === 8233 ||
    code === 8239 ||
    code === 8287 ||
    code === 12288 ||
    code === 65279
  );
}

/** End (exclusive, may pass the text's end when unterminated) of the '…' literal at `i`; E'' reads backslash escapes. */
function singleQuoteEnd(source: string, i: number): number {
  const n = source.length;
  const escapes = /[eE]/.test(source[i - 1] ?? '') && !IDENT_CHAR.test(source[i - 2] ?? '');
  let j = i + 1;
  while (j < n) {
    if (escapes && source[j] === '\\') j += 2;
    else if (source[j] === "'" && source[j + 1] === "'") j += 2;
    else if (source[j] === "'") break;
    else j++;
  }
  return j + 1;
}

/** End (exclusive, may pass the text's end when unterminated) of the "…" identifier at `i`. */
function doubleQuoteEnd(source: string, i: number): number {
  const n = source.length;
  let j = i + 1;
  while (j < n && !(source[j] === '"' && source[j + 1] !== '"')) j += source[j] === '"' ? 2 : 1;
  return j + 1;
}

const DOLLAR_TAG = /\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/y;

/**
 * End (exclusive; the text's end when unclosed) of the dollar quote opening at `i`, or -1 when none opens there (a
 * `$` after an identifier character, or no tag of at most 80 characters).
 */
function dollarQuoteEnd(source: string, i: number): number {
  if (IDENT_CHAR.test(source[i - 1] ?? '')) return -1;
  DOLLAR_TAG.lastIndex = i;
  const m = DOLLAR_TAG.exec(source);
  if (!m || m[0].length > 80) return -1;
  const tag = m[0];
  const end = source.indexOf(tag, i + tag.length);
  return end === -1 ? source.length : end + tag.length;
}

/** End (exclusive; the text's end when unclosed) of the nested block comment opening at `i`. */
function blockCommentEnd(source: string, i: number): number {
  const n = source.length;
  let j = i + 2;
  let nest = 1;
  while (j < n && nest > 0) {
    if (source[j] === '/' && source[j + 1] === '*') {
      nest++;
      j += 2;
    } else if (source[j] === '*' && source[j + 1] === '/') {
      nest--;
      j += 2;
    } else j++;
  }
  return j;
}

function countLines(text: string): number {
  let k = 0;
  for (let p = text.indexOf('\n'); p !== -1; p = text.indexOf('\n', p + 1)) k++;
  return k;
}

function readVariable(source: string, i: number, vars: Map<string, string>): { value: string; end: number } | null {
  const q = source[i + 1];
  if (q === "'" || q === '"') {
    const m = /^[A-Za-z0-9_]+/.exec(source.slice(i + 2, i + 200));
    if (!m || source[i + 2 + m[0].length] !== q || !vars.has(m[0])) return null;
    const raw = vars.get(m[0])!;
    const value = q === "'" ? `'${raw.replace(/'/g, "''")}'` : `"${raw.replace(/"/g, '""')}"`;
    return { value, end: i + 3 + m[0].length };
  }
  if (!IDENT_START.test(q ?? '')) return null;
  const m = /^[A-Za-z0-9_]+/.exec(source.slice(i + 1, i + 200));
  if (!m || !vars.has(m[0])) return null;
  return { value: vars.get(m[0])!, end: i + 1 + m[0].length };
}

/** Splits a meta-command line into words: 'quoted' (psql escapes), :var, :'var', plain words. */
export function splitMetaArgs(text: string, vars: Map<string, string>): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length) break;
    if (text[i] === '\\' && out.length > 0) break; // a second meta-command on the same line is not supported
    let word = '';
    while (i < text.length && !/\s/.test(text[i]!)) {
      if (text[i] === "'") {
        i++;
        while (i < text.length) {
          if (text[i] === "'" && text[i + 1] === "'") {
            word += "'";
            i += 2;
          } else if (text[i] === "'") break;
          else if (text[i] === '\\') {
            const e = text[i + 1] ?? '';
            word += e === 'n' ? '\n' : e === 't' ? '\t' : e;
            i += 2;
          } else word += text[i++];
        }
        i++;
      } else if (text[i] === ':' && out.length > 0) {
        const v = readVariable(text, i, vars);
        if (v) {
          const raw = v.value;
          word += text[i + 1] === "'" ? raw.slice(1, -1).replace(/''/g, "'") : raw;
          i = v.end;
        } else word += text[i++];
      } else word += text[i++];
    }
    out.push(word);
  }
  return out;
}
