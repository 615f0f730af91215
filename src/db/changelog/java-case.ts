/**
 * Java's case-insensitive matching of one code point or one class range (java.util.regex.Pattern.single and
 * CIRange/CIRangeU in Java 17), for java-regex.ts. Without UNICODE_CASE only ASCII letters fold. With it, Java compares
 * `toLowerCase(toUpperCase(c))`, so `k` also matches the Kelvin sign, `s` the long s, `i` the dotted and dotless i —
 * folds JavaScript's own case mapping does not make, and whose tables change with the Node version. The table is
 * Java's own (java-char-table.ts, written by tools/java-char-table.java), so the result never depends on Node.
 */
import { JAVA_CASE_RUNS } from './java-char-table.js';

/** Java's Character.toUpperCase and toLowerCase(toUpperCase) of each code point they move, and the inverse fold. */
interface CaseTable {
  upper: Map<number, number>;
  fold: Map<number, number>;
  byFold: Map<number, number[]>;
}

let table: CaseTable | undefined;

function caseTable(): CaseTable {
  if (table) return table;
  const upper = new Map<number, number>();
  const fold = new Map<number, number>();
  const byFold = new Map<number, number[]>();
  for (const run of JAVA_CASE_RUNS.split(' ')) {
    const [start, count, step, du, df] = run.split(',').map((n) => parseInt(n, 36)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    for (let k = 0; k < count; k++) {
      const cp = start + k * step;
      if (du !== 0) upper.set(cp, cp + du);
      if (df !== 0) fold.set(cp, cp + df);
      const f = cp + df;
      byFold.set(f, [...(byFold.get(f) ?? []), cp]);
    }
  }
  table = { upper, fold, byFold };
  return table;
}

const isAsciiLetter = (cp: number): boolean => (cp >= 0x41 && cp <= 0x5a) || (cp >= 0x61 && cp <= 0x7a);

/** The code points other than `cp` that Java matches for the literal `cp` where case is ignored. */
export function javaOtherCases(cp: number, unicode: boolean): number[] {
  if (!unicode) return isAsciiLetter(cp) ? [cp ^ 0x20] : [];
  const t = caseTable();
  const up = t.upper.get(cp) ?? cp;
  const lower = t.fold.get(cp) ?? cp;
  // Pattern.single: a code point whose upper and lower case are the same matches only itself.
  if (up === lower) return [];
  // Pattern.SingleU(lower): ch == lower || lower == toLowerCase(toUpperCase(ch)).
  return [...new Set([lower, ...(t.byFold.get(lower) ?? [])])].filter((c) => c !== cp).sort((a, b) => a - b);
}

/** The code points outside lo..hi that Java's class range lo-hi matches where case is ignored. */
export function javaRangeOtherCases(lo: number, hi: number, unicode: boolean): number[] {
  const inRange = (c: number): boolean => c >= lo && c <= hi;
  const out: number[] = [];
  if (!unicode) {
    // CIRange: an ASCII ch whose ASCII upper or lower case is in the range.
    for (let ch = 0x41; ch <= 0x7a; ch++) if (isAsciiLetter(ch) && !inRange(ch) && inRange(ch ^ 0x20)) out.push(ch);
    return out;
  }
  // CIRangeU: ch, toUpperCase(ch) or toLowerCase(toUpperCase(ch)) in the range; only moved code points can add.
  const t = caseTable();
  for (const ch of new Set([...t.upper.keys(), ...t.fold.keys()])) {
    if (!inRange(ch) && (inRange(t.upper.get(ch) ?? ch) || inRange(t.fold.get(ch) ?? ch))) out.push(ch);
  }
  return out.sort((a, b) => a - b);
}
