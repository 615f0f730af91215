import { lineColAt, type SyntaxProblem } from './position.js';

/** Parses JSON; on failure, the 1-based line:col of V8's reported position. */
export function validateJson(text: string, sourcePath: string): SyntaxProblem[] {
  try {
    JSON.parse(text);
    return [];
  } catch (e) {
    const msg = (e as Error).message;
    const m = /at position (\d+)/.exec(msg);
    const offset = m ? Number(m[1]) : text.length; // "Unexpected end of JSON input" has no position
    const message = msg.replace(/ in JSON at position \d+.*$/s, '').replace(/,? ?"[^"]*" is not valid JSON$/, '');
    return [{ file: sourcePath, ...lineColAt(text, offset), message }];
  }
}

/**
 * Drops whitespace outside strings. Hand-written instead of JSON.stringify(JSON.parse()) so number literals keep
 * their exact spelling (1.0, 1e5, integers beyond 2^53) and key order/duplicates stay as written.
 * Only call on text validateJson accepted.
 */
export function minifyJson(text: string): string {
  const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
  const parts: string[] = [];
  const n = text.length;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  let start = i;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      i++;
      while (text.charCodeAt(i) !== 0x22) i += text.charCodeAt(i) === 0x5c ? 2 : 1;
      i++;
    } else if (isWs(c)) {
      if (i > start) parts.push(text.slice(start, i));
      while (i < n && isWs(text.charCodeAt(i))) i++;
      start = i;
    } else {
      i++;
    }
  }
  if (start < n) parts.push(text.slice(start));
  return parts.join('');
}
