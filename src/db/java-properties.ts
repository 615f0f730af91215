/**
 * Reads a `.properties` file as java.util.Properties.load(InputStream) does, which Liquibase 4.28 uses for
 * `<property file="…"/>`: bytes decoded as ISO-8859-1 (not UTF-8: use `\uXXXX` escapes for other characters),
 * `#`/`!` comment lines, `key=value`, `key:value` or `key value`, a trailing odd backslash continues the line, and
 * `\t \n \r \f \uXXXX` escapes. A key given twice keeps its last value (Properties is a Hashtable).
 */

/** One property read from the file, with the line its key starts on. */
export interface JavaProperty {
  key: string;
  value: string;
  line: number;
}

const WS = new Set([' ', '\t', '\f']);

/** Parses the file's bytes; throws an Error naming the line for a malformed `\uXXXX` escape (as Java does). */
export function parseJavaProperties(bytes: Uint8Array): JavaProperty[] {
  const text = Buffer.from(bytes).toString('latin1');
  const lines = text.split(/\r\n|\r|\n/);
  const byKey = new Map<string, JavaProperty>();
  for (let i = 0; i < lines.length; i++) {
    const startLine = i + 1;
    let logical = stripLeading(lines[i]!);
    if (logical === '' || logical[0] === '#' || logical[0] === '!') continue;
    while (endsWithOddBackslashes(logical) && i + 1 < lines.length) {
      logical = logical.slice(0, -1) + stripLeading(lines[++i]!);
    }
    if (endsWithOddBackslashes(logical)) logical = logical.slice(0, -1);
    const { key, value } = splitKeyValue(logical, startLine);
    // Hashtable.put: the last occurrence in one file wins; the map keeps the first occurrence's position.
    byKey.set(key, { key, value, line: startLine });
  }
  return [...byKey.values()];
}

function stripLeading(s: string): string {
  let i = 0;
  while (i < s.length && WS.has(s[i]!)) i++;
  return s.slice(i);
}

function endsWithOddBackslashes(s: string): boolean {
  let n = 0;
  for (let i = s.length - 1; i >= 0 && s[i] === '\\'; i--) n++;
  return n % 2 === 1;
}

function splitKeyValue(s: string, line: number): { key: string; value: string } {
  let i = 0;
  let keyEnd = s.length;
  let hasSep = false;
  while (i < s.length) {
    const c = s[i]!;
    if (c === '\\') {
      i += 2;
      continue;
    }
    if (c === '=' || c === ':') {
      keyEnd = i;
      hasSep = true;
      break;
    }
    if (WS.has(c)) {
      keyEnd = i;
      break;
    }
    i++;
  }
  let v = keyEnd;
  if (!hasSep) {
    while (v < s.length && WS.has(s[v]!)) v++;
    if (v < s.length && (s[v] === '=' || s[v] === ':')) v++;
  } else v++;
  while (v < s.length && WS.has(s[v]!)) v++;
  return { key: unescape(s.slice(0, Math.min(keyEnd, s.length)), line), value: unescape(s.slice(v), line) };
}

const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', f: '\f' };

function unescape(s: string, line: number): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c !== '\\' || i + 1 >= s.length) {
      out += c;
      continue;
    }
    const n = s[++i]!;
    if (n === 'u') {
      const hex = s.slice(i + 1, i + 5);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Error(`line ${line}: malformed \\uxxxx encoding "\\u${hex}"`);
      out += String.fromCharCode(parseInt(hex, 16));
      i += 4;
    } else out += ESCAPES[n] ?? n;
  }
  return out;
}
