/**
 * Java 17's `\b` and `\B` (java.util.regex.Pattern.Bound) for java-regex.ts. Unlike its ASCII `\w`, Java 17's `\b`
 * calls a word character `_` or any Character.isLetterOrDigit code point (`é`, `ж`, `٣`), and a non-spacing mark
 * that follows one (a combining accent) continues the word. JavaScript's `\b` knows ASCII only, so the boundary is
 * spelt out with lookarounds over Java's own table (java-char-table.ts), beyond U+FFFF as surrogate pairs.
 */
import { JAVA_LETTER_OR_DIGIT, JAVA_NON_SPACING_MARK } from './java-char-table.js';
import { javaUnicodeClass, setSource } from './java-char-set.js';

/** The code point ranges of a `gap,length` run table. */
function rangesOf(table: string): [number, number][] {
  let end = 0;
  return table.split(' ').map((run) => {
    const [gap, length] = run.split(',').map((n) => parseInt(n, 36)) as [number, number];
    const start = end + gap;
    end = start + length;
    return [start, end - 1];
  });
}

const hex = (n: number): string => `\\u${n.toString(16).padStart(4, '0')}`;

/** JavaScript source (no `u` flag) matching one code point of `ranges`: a BMP class, then surrogate pairs. */
function codePointSource(ranges: [number, number][]): string {
  const bmp: string[] = [];
  const pairs: string[] = [];
  for (const [lo, hi] of ranges) {
    if (lo <= 0xffff) bmp.push(lo === Math.min(hi, 0xffff) ? hex(lo) : `${hex(lo)}-${hex(Math.min(hi, 0xffff))}`);
    for (let from = Math.max(lo, 0x10000); from <= hi;) {
      // One alternative per high surrogate: the low surrogates of from..hi that share it.
      const lead = 0xd800 + ((from - 0x10000) >> 10);
      const to = Math.min(hi, 0x10000 + ((lead - 0xd800 + 1) << 10) - 1);
      const trailFrom = 0xdc00 + ((from - 0x10000) & 0x3ff);
      const trailTo = 0xdc00 + ((to - 0x10000) & 0x3ff);
      pairs.push(`${hex(lead)}${trailFrom === trailTo ? hex(trailFrom) : `[${hex(trailFrom)}-${hex(trailTo)}]`}`);
      from = to + 1;
    }
  }
  return `(?:[${bmp.join('')}]|${pairs.join('|')})`;
}

let boundaries: { bound: string; notBound: string } | undefined;
let unicodeBoundaries: { bound: string; notBound: string } | undefined;

/**
 * Java 17's `\b` and `\B` as JavaScript source. Under (?U) a word character is (?U)'s `\w` (Bound.isWord), which
 * takes in every non-spacing mark, so the mark rule adds nothing there.
 */
export function javaWordBoundaries(unicodeClass = false): { bound: string; notBound: string } {
  if (unicodeClass) {
    const w = setSource(javaUnicodeClass('w'));
    unicodeBoundaries ??= {
      bound: `(?:(?<=${w})(?!${w})|(?<!${w})(?=${w}))`,
      notBound: `(?:(?<=${w})(?=${w})|(?<!${w})(?!${w}))`,
    };
    return unicodeBoundaries;
  }
  if (boundaries) return boundaries;
  const word = codePointSource(rangesOf(JAVA_LETTER_OR_DIGIT));
  const mark = codePointSource(rangesOf(JAVA_NON_SPACING_MARK));
  // Bound.check: left of the position a word character, or a mark whose run of marks follows a letter or digit;
  // right of it a word character, or a mark with such a base (looked for back from the mark itself).
  const based = `${word}${mark}*`;
  const leftYes = `(?<=_|${based})`;
  const leftNo = `(?<!_|${based})`;
  const right = `(?:(?=_|${word})|(?<=${based})(?=${mark}))`;
  const notRight = `(?!_|${word})(?:(?<!${based})|(?!${mark}))`;
  boundaries = {
    bound: `(?:${leftYes}${notRight}|${leftNo}${right})`,
    notBound: `(?:${leftYes}${right}|${leftNo}${notRight})`,
  };
  return boundaries;
}
