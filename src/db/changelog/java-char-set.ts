/**
 * Java character classes as sets of code points, for java-regex.ts: a class (`[a-z&&[^aeiou]]`, `[a[bc]]`,
 * `[\p{L}\d]`) is computed as the set Java's Pattern matches, then written as JavaScript source that matches one code
 * point of it. Java matches by code point, a JavaScript RegExp without the `u` flag by UTF-16 unit, and the `u`/`v`
 * flags change other things (and Node's Unicode version is not Java 17's), so the source is plain: a BMP class and a
 * surrogate pair per run beyond U+FFFF. The Unicode properties (`\p{Lu}`, `\p{IsLatin}`, `\p{InGreek}`,
 * `\p{javaLowerCase}`, (?U)'s `\w`…) are Java 17's own sets (java-unicode-table.ts, written by
 * tools/java-unicode-table.java), read only when a pattern names one.
 */
import { JAVA_BLOCKS, JAVA_PROPERTIES, JAVA_SCRIPT_NAMES, JAVA_SCRIPT_RUNS, JAVA_SETS } from './java-unicode-table.js';

/** A set of code points: sorted, disjoint, non-adjacent inclusive ranges `[lo0, hi0, lo1, hi1, …]`. */
export type CodePointSet = readonly number[];

const MAX = 0x10ffff;

/** The set of the given inclusive ranges (in any order, overlapping or not). */
export function setOf(ranges: readonly (readonly [number, number])[]): CodePointSet {
  const sorted = ranges.filter(([lo, hi]) => lo <= hi).sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [lo, hi] of sorted) {
    if (out.length > 0 && lo <= out[out.length - 1]! + 1) out[out.length - 1] = Math.max(out[out.length - 1]!, hi);
    else out.push(lo, hi);
  }
  return out;
}

const pairs = (s: CodePointSet): [number, number][] => {
  const out: [number, number][] = [];
  for (let k = 0; k < s.length; k += 2) out.push([s[k]!, s[k + 1]!]);
  return out;
};

/** Whether `cp` is in `set` (a binary search over its ranges). */
export function setHas(set: CodePointSet, cp: number): boolean {
  let lo = 0;
  let hi = set.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < set[2 * mid]!) hi = mid - 1;
    else if (cp > set[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

export const union = (a: CodePointSet, b: CodePointSet): CodePointSet => setOf([...pairs(a), ...pairs(b)]);

export function complement(a: CodePointSet): CodePointSet {
  const out: [number, number][] = [];
  let next = 0;
  for (const [lo, hi] of pairs(a)) {
    out.push([next, lo - 1]);
    next = hi + 1;
  }
  out.push([next, MAX]);
  return setOf(out);
}

export function intersect(a: CodePointSet, b: CodePointSet): CodePointSet {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const lo = Math.max(a[i]!, b[j]!);
    const hi = Math.min(a[i + 1]!, b[j + 1]!);
    if (lo <= hi) out.push(lo, hi);
    if (a[i + 1]! < b[j + 1]!) i += 2;
    else j += 2;
  }
  return out;
}

const hex = (n: number): string => `\\u${n.toString(16).padStart(4, '0')}`;

/** A BMP code point as a JavaScript class member. */
const member = (cp: number): string =>
  cp >= 0x20 && cp < 0x7f ? (/[\\\]^-]/.test(String.fromCharCode(cp)) ? '\\' : '') + String.fromCharCode(cp) : hex(cp);

const classOf = (ranges: [number, number][]): string =>
  `[${ranges.map(([lo, hi]) => (lo === hi ? member(lo) : `${member(lo)}${hi > lo + 1 ? '-' : ''}${member(hi)}`)).join('')}]`;

/**
 * JavaScript source (no `u` flag) that matches one code point of `set` as Java does: a pair beyond U+FFFF as one
 * code point (its high surrogate alone never matches where a low one follows), a BMP code point as one unit.
 */
export function setSource(set: CodePointSet): string {
  const bmp: [number, number][] = [];
  const high: [number, number][] = [];
  const astral: string[] = [];
  // Runs of high surrogates whose trails are all taken (`[\ud840-\ud868][\udc00-\udfff]`), then partial leads.
  let fullFrom = -1;
  let fullTo = -1;
  const flushFull = (): void => {
    if (fullFrom < 0) return;
    astral.push(`${classOf([[fullFrom, fullTo]])}[\\udc00-\\udfff]`);
    fullFrom = -1;
  };
  for (const [lo, hi] of pairs(set)) {
    if (lo <= 0xffff) {
      const top = Math.min(hi, 0xffff);
      // High surrogates: only where no low surrogate follows (a pair is one code point, beyond the BMP).
      if (lo <= 0xdbff && top >= 0xd800) {
        if (lo < 0xd800) bmp.push([lo, 0xd7ff]);
        high.push([Math.max(lo, 0xd800), Math.min(top, 0xdbff)]);
        if (top > 0xdbff) bmp.push([0xdc00, top]);
      } else bmp.push([lo, top]);
    }
    for (let from = Math.max(lo, 0x10000); from <= hi;) {
      const lead = 0xd800 + ((from - 0x10000) >> 10);
      const to = Math.min(hi, 0x10000 + ((lead - 0xd800 + 1) << 10) - 1);
      const trailFrom = 0xdc00 + ((from - 0x10000) & 0x3ff);
      const trailTo = 0xdc00 + ((to - 0x10000) & 0x3ff);
      if (trailFrom === 0xdc00 && trailTo === 0xdfff) {
        if (fullFrom >= 0 && fullTo === lead - 1) fullTo = lead;
        else {
          flushFull();
          fullFrom = fullTo = lead;
        }
      } else {
        flushFull();
        astral.push(`${hex(lead)}${classOf([[trailFrom, trailTo]])}`);
      }
      from = to + 1;
    }
  }
  flushFull();
  const parts = [...astral];
  if (high.length > 0) parts.push(`${classOf(high)}(?![\\udc00-\\udfff])`);
  if (bmp.length > 0 || parts.length === 0) parts.push(classOf(bmp));
  // One atom, for a quantifier: a lone class as it is, anything else (a pair, a guarded surrogate) grouped.
  return parts.length === 1 && /^\[(?:[^\\\]]|\\.)*\]$/.test(parts[0]!) ? parts[0]! : `(?:${parts.join('|')})`;
}

/** The ranges of a `gap,length` run list (base 36). */
function decodeRuns(runs: string): CodePointSet {
  const out: number[] = [];
  let end = 0;
  if (runs === '') return out;
  for (const run of runs.split(' ')) {
    const [gap, length] = run.split(',').map((n) => parseInt(n, 36)) as [number, number];
    out.push(end + gap, end + gap + length - 1);
    end += gap + length;
  }
  return out;
}

interface Tables {
  sets: (CodePointSet | undefined)[];
  /** Property key (a forProperty name, `Is:NAME`, `U:NAME`, `U:w`) → set index, and its case-insensitive one. */
  properties: Map<string, [number, number]>;
  scripts: Map<string, number>;
  blocks: Map<string, CodePointSet>;
}

let tables: Tables | undefined;

function load(): Tables {
  if (tables) return tables;
  const properties = new Map<string, [number, number]>();
  for (const entry of JAVA_PROPERTIES.split(' ')) {
    const eq = entry.lastIndexOf('=');
    const [plain, ci] = entry
      .slice(eq + 1)
      .split('/')
      .map((n) => parseInt(n, 36));
    properties.set(entry.slice(0, eq), [plain!, ci ?? plain!]);
  }
  const scripts = new Map<string, number>();
  JAVA_SCRIPT_NAMES.split(' ').forEach((names, ordinal) => {
    for (const name of names.split('|')) scripts.set(name, ordinal);
  });
  const blocks = new Map<string, CodePointSet>();
  let end = 0;
  for (const block of JAVA_BLOCKS.split(' ')) {
    const [gap, length, names] = block.split(',') as [string, string, string];
    const lo = end + parseInt(gap, 36);
    end = lo + parseInt(length, 36);
    for (const name of names.split('|')) blocks.set(name.replaceAll('+', ' '), [lo, end - 1]);
  }
  tables = { sets: [], properties, scripts, blocks };
  return tables;
}

function propertySet(key: string, ignoreCase: boolean): CodePointSet | null {
  const t = load();
  const entry = t.properties.get(key);
  if (!entry) return null;
  const n = entry[ignoreCase ? 1 : 0];
  return (t.sets[n] ??= decodeRuns(JAVA_SETS[n]!));
}

function scriptSet(name: string): CodePointSet | null {
  const ordinal = load().scripts.get(name.toUpperCase());
  if (ordinal === undefined) return null;
  const out: number[] = [];
  let cp = 0;
  for (const run of JAVA_SCRIPT_RUNS.split(' ')) {
    const [length, script] = run.split(',').map((n) => parseInt(n, 36)) as [number, number];
    if (script === ordinal) out.push(cp, cp + length - 1);
    cp += length;
  }
  return setOf(pairs(out));
}

const blockSet = (name: string): CodePointSet | null => load().blocks.get(name.toUpperCase()) ?? null;

/** Java's set for `\p{name}` under the flags in force (Pattern.family), or null where Java knows no such name. */
export function javaPropertySet(name: string, ignoreCase: boolean, unicodeClass: boolean): CodePointSet | null {
  const eq = name.indexOf('=');
  if (eq >= 0) {
    const value = name.slice(eq + 1);
    switch (name.slice(0, eq).toLowerCase()) {
      case 'sc':
      case 'script':
        return scriptSet(value);
      case 'blk':
      case 'block':
        return blockSet(value);
      case 'gc':
      case 'general_category':
        return propertySet(value, ignoreCase);
      default:
        return null;
    }
  }
  if (name.startsWith('In')) return blockSet(name.slice(2));
  if (name.startsWith('Is')) {
    const short = name.slice(2);
    return propertySet(`Is:${short.toUpperCase()}`, ignoreCase) ?? propertySet(short, ignoreCase) ?? scriptSet(short);
  }
  return (unicodeClass ? propertySet(`U:${name.toUpperCase()}`, ignoreCase) : null) ?? propertySet(name, ignoreCase);
}

/** Java's `\w`, `\d` or `\s` under (?U) (UNICODE_CHARACTER_CLASS). */
export const javaUnicodeClass = (letter: 'w' | 'd' | 's'): CodePointSet => propertySet(`U:${letter}`, false)!;
