/**
 * A lexer for psql scripts: splits text into SQL statements and backslash meta-commands the way psql does.
 * Hand-written because no maintained npm library interprets psql scripts (pgsql-parser/libpg-query parse SQL only
 * and reject meta-commands; they also cannot interpolate psql variables that change while the script runs).
 * Knows single quotes (E'' escapes), quoted identifiers, dollar quotes, nested block comments, line comments,
 * parenthesis depth (psql does not end a statement at `;` inside parentheses), `\;` (a `;` that does not end the
 * statement: psql sends both statements in one query) and `:var` / `:'var'` / `:"var"`.
 */

export type ScriptItem =
  | { kind: 'sql'; text: string; line: number; comments: string[]; terminated: boolean }
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
      const text = source.slice(i, j);
      line += countLines(text);
      if (!blank) buf += text;
      i = j;
      continue;
    }
    if (c === "'") {
      const escapes = /[eE]/.test(source[i - 1] ?? '') && !IDENT_CHAR.test(source[i - 2] ?? '');
      let j = i + 1;
      while (j < n) {
        if (escapes && source[j] === '\\') j += 2;
        else if (source[j] === "'" && source[j + 1] === "'") j += 2;
        else if (source[j] === "'") break;
        else j++;
      }
      push(source.slice(i, j + 1));
      line += countLines(source.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      while (j < n && !(source[j] === '"' && source[j + 1] !== '"')) j += source[j] === '"' ? 2 : 1;
      push(source.slice(i, j + 1));
      line += countLines(source.slice(i, j + 1));
      i = j + 1;
      continue;
    }
    if (c === '$' && !IDENT_CHAR.test(source[i - 1] ?? '')) {
      const m = /^\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/.exec(source.slice(i, i + 80));
      if (m) {
        const tag = m[0];
        const end = source.indexOf(tag, i + tag.length);
        const stop = end === -1 ? n : end + tag.length;
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
      if (q) yield { kind: 'sql', text: q.text, line: q.line, comments, terminated: true };
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
  let last: ScriptItem | undefined;
  for (const item of lexPsqlScript(sql, new Map())) last = item;
  return last !== undefined && last.kind === 'sql' && !last.terminated;
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
