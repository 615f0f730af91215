import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What Java 17's `input.replaceAll(pattern, replacement)` gave: the result, or the PatternSyntaxException's text. */
export type JavaReplaceResult = { ok: string } | { error: string };

const ORACLE = fileURLToPath(new URL('../fixtures/java/ReplaceAllOracle.java', import.meta.url));

const hex = (s: string): string =>
  [...Array(s.length).keys()].map((k) => s.charCodeAt(k).toString(16).padStart(4, '0')).join('');
const unhex = (h: string): string => String.fromCharCode(...(h.match(/.{4}/g) ?? []).map((u) => parseInt(u, 16)));

/** Runs every case through real Java (one JVM start for all of them), in order. */
export function javaReplaceAll(
  cases: readonly { pattern: string; input: string; replacement: string }[],
): JavaReplaceResult[] {
  const stdin = cases.map((c) => `${hex(c.pattern)} ${hex(c.input)} ${hex(c.replacement)}\n`).join('');
  const stdout = execFileSync('java', [ORACLE], { input: stdin, encoding: 'utf8', maxBuffer: 1 << 28 });
  const lines = stdout.split('\n').slice(0, cases.length);
  if (lines.length !== cases.length)
    throw new Error(`the Java oracle answered ${lines.length} of ${cases.length} cases`);
  return lines.map((line) => {
    const [kind, body = ''] = line.split(' ');
    return kind === 'OK' ? { ok: unhex(body) } : { error: unhex(body) };
  });
}
