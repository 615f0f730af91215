/**
 * The pieces of a Java pattern (java.util.regex) as java-regex.ts translates them: the inline flags and what each
 * changes, (?x)'s skipped whitespace and comments, literals (case-folded the way Java folds), escapes, anchors.
 */
import { javaOtherCases } from './java-case.js';
import { javaWordBoundaries } from './java-word.js';

/** Why a Java pattern or replacement cannot be used (the caller adds the changelog location). */
export class JavaRegexError extends Error {}

export const TERMINATOR = String.raw`(?:\r\n|[\n\r\u0085\u2028\u2029])`;
const JAVA_SPACE = String.raw` \t\n\x0B\f\r`;
const HSPACE = String.raw` \t\xA0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000`;
const VSPACE = String.raw`\n\x0B\f\r\x85\u2028\u2029`;
/** Java 17's `\s` under (?U): Character White_Space. */
const UNICODE_SPACE = String.raw`\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000`;
export const START = String.raw`(?<![\s\S])`;
export const END = String.raw`(?![\s\S])`;

/** The inline flags in force at a point of a Java pattern. */
export interface Flags {
  ignoreCase: boolean;
  dotAll: boolean;
  multiLine: boolean;
  unicodeCase: boolean;
  /** (?x) COMMENTS: ASCII whitespace and `#` comments are no part of the pattern (in classes too). */
  comments: boolean;
  /** (?d) UNIX_LINES: only `\n` ends a line for `.`, `^`, `$` and `\Z`. */
  unixLines: boolean;
  /** (?U) UNICODE_CHARACTER_CLASS: Unicode `\s` (and the rest), and UNICODE_CASE with it. */
  unicodeClass: boolean;
}

const FLAG_LETTERS: Record<string, keyof Flags> = {
  i: 'ignoreCase',
  s: 'dotAll',
  m: 'multiLine',
  u: 'unicodeCase',
  x: 'comments',
  d: 'unixLines',
  U: 'unicodeClass',
};

/** `flags` with a Java inline flag group's `on` and `off` letters applied; an unknown letter is Java's own error. */
export function applyFlags(flags: Flags, on: string, off: string): Flags {
  const next = { ...flags };
  for (const [letters, value] of [
    [on, true],
    [off, false],
  ] as const) {
    for (const f of letters) {
      const key = FLAG_LETTERS[f];
      if (!key) throw new JavaRegexError(`Unknown inline modifier (?${f})`);
      next[key] = value;
    }
  }
  return next;
}

/** Whether case folds the Unicode way (UNICODE_CASE, which UNICODE_CHARACTER_CLASS implies). */
export const unicodeFold = (flags: Flags): boolean => flags.unicodeCase || flags.unicodeClass;

/** The code points Java matches for the literal `cp` under `flags`: itself, and its other cases where case is ignored. */
function casesOf(cp: number, flags: Flags): number[] {
  return flags.ignoreCase ? [cp, ...javaOtherCases(cp, unicodeFold(flags))] : [cp];
}

/** `cp` as a JavaScript class member (BMP only; escaped where a class needs it). */
export function classChar(cp: number): string {
  if (cp > 0xffff) throw new JavaRegexError(ASTRAL_IN_CLASS);
  const ch = String.fromCharCode(cp);
  return /[\\\][^-]/.test(ch) ? `\\${ch}` : cp < 0x20 || cp >= 0x7f ? `\\u${cp.toString(16).padStart(4, '0')}` : ch;
}

const ASTRAL_IN_CLASS = 'a character beyond U+FFFF in a character class has no JavaScript equivalent here';

/** One literal code point under `flags`, as a JavaScript atom a quantifier applies to whole. */
export function literal(cp: number, flags: Flags): string {
  const all = casesOf(cp, flags);
  if (all.every((c) => c <= 0xffff))
    return all.length > 1 ? `[${all.map(classChar).join('')}]` : plainChar(String.fromCharCode(cp));
  // A surrogate pair is two JavaScript units: grouped, so that `\x{10000}+` repeats the whole code point as in Java.
  return `(?:${all.map((c) => (c > 0xffff ? String.fromCodePoint(c) : plainChar(String.fromCharCode(c)))).join('|')})`;
}

/** A BMP character as itself in JavaScript pattern source (escaped where it is syntax there). */
const plainChar = (ch: string): string => ch.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** Any one code point Java's `.`, negated classes and `\S` consume whole: a surrogate pair first, then one unit. */
export const ASTRAL = String.raw`[\ud800-\udbff][\udc00-\udfff]`;

/** Java's ASCII whitespace (Pattern's ASCII.isSpace), which (?x) skips. */
const isIgnorable = (ch: string | undefined): boolean => ch !== undefined && ' \t\n\v\f\r'.includes(ch);

/** Where the pattern goes on after the whitespace and `#` comments that (?x) skips from `i` (`i` itself otherwise). */
export function skipIgnored(pattern: string, i: number, flags: Flags): number {
  if (!flags.comments) return i;
  for (;;) {
    while (isIgnorable(pattern[i])) i++;
    if (pattern[i] !== '#') return i;
    // A comment runs to a line separator; one that is no ASCII space (\u0085, \u2028, \u2029) is then a literal.
    while (i < pattern.length && !lineSeparator(pattern[i]!, flags)) i++;
  }
}

const lineSeparator = (ch: string, flags: Flags): boolean =>
  flags.unixLines ? ch === '\n' : /[\n\r\u0085\u2028\u2029]/.test(ch);

/**
 * The text from `i` as Java's parser sees it under (?x) (what it skips left out, escapes kept whole), with where each
 * of its characters stands in the pattern: for reading a multi-character construct such as `( ?i)` or `a+ +`.
 */
export function ahead(pattern: string, i: number, flags: Flags, length = 48): { text: string; at: number[] } {
  if (!flags.comments) {
    const text = pattern.slice(i, i + length);
    return { text, at: Array.from({ length: text.length + 1 }, (_, k) => i + k) };
  }
  let text = '';
  const at: number[] = [];
  let j = skipIgnored(pattern, i, flags);
  while (j < pattern.length && text.length < length) {
    const n = pattern[j] === '\\' && j + 1 < pattern.length ? 2 : 1;
    for (let k = 0; k < n; k++) {
      text += pattern[j + k];
      at.push(j + k);
    }
    j = skipIgnored(pattern, j + n, flags);
  }
  at.push(j);
  return { text, at };
}

/** A `\…` escape read at `i`: a code point (a literal, also as a class range's end) or other pattern source. */
type Escape = { cp: number; end: number } | { source: string; end: number; ref?: string };

const CONTROL: Record<string, number> = { t: 9, n: 10, r: 13, f: 12, a: 7, e: 0x1b };

/** The escape at `i` (a backslash) under `flags`, in a class or not. */
export function readEscape(pattern: string, i: number, flags: Flags, inClass: boolean): Escape {
  const n = pattern[i + 1];
  if (n === undefined) throw new JavaRegexError('the pattern ends with a lone backslash');
  // An escape's whole span (hex digits, a control letter, a group name) is read at once: its letters are no
  // literals to fold. A character given by its code is a literal like any other (`(?i)\x6a` matches `J`).
  const span =
    /^\\(?:x\{([0-9a-fA-F]+)\}|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|c([\s\S])|k<[a-zA-Z][a-zA-Z0-9]*>|[1-9])/.exec(
      pattern.slice(i, i + 16),
    );
  if (span) {
    const end = i + span[0].length;
    const hex = span[1] ?? span[2] ?? span[3];
    if (hex !== undefined) {
      const cp = parseInt(hex, 16);
      if (cp > 0x10ffff) throw new JavaRegexError('Hexadecimal codepoint is too big');
      return { cp, end };
    }
    if (span[4] !== undefined) return { cp: span[4].charCodeAt(0) ^ 64, end };
    // A backreference (`\\1`, `\\k<name>`): the caller decides whether case matters to it.
    return inClass ? { source: span[0], end } : { source: span[0], end, ref: span[0].slice(1) };
  }
  if (n === 'p' || n === 'P') return readPosixClass(pattern, i, flags, inClass);
  if (CONTROL[n] !== undefined) return { cp: CONTROL[n], end: i + 2 };
  if (!/[a-zA-Z0-9]/.test(n)) {
    const cp = pattern.codePointAt(i + 1)!;
    return { cp, end: i + (cp > 0xffff ? 3 : 2) };
  }
  return { source: escape(n, inClass, pattern.slice(i), flags), end: i + 2 };
}

/** Java's POSIX character classes (`\p{Alpha}`…): ASCII-only, as class members, outside (?U). */
const POSIX: Record<string, string> = {
  Lower: 'a-z',
  Upper: 'A-Z',
  ASCII: String.raw`\x00-\x7f`,
  Alpha: 'A-Za-z',
  Digit: '0-9',
  Alnum: 'A-Za-z0-9',
  Punct: String.raw`!-\/:-@\[-\x60{-~`,
  Graph: String.raw`\x21-\x7e`,
  Print: String.raw`\x20-\x7e`,
  Blank: String.raw` \t`,
  Cntrl: String.raw`\x00-\x1f\x7f`,
  XDigit: '0-9a-fA-F',
  Space: JAVA_SPACE,
};

/**
 * `\p{Name}` or `\P{Name}` at `i` where Name is one of Java's POSIX classes, outside (?U) (which makes them Unicode
 * properties). Where case is ignored Java's `\p{Lower}` and `\p{Upper}` match both cases (CharPredicates.forProperty).
 * Other property names (Unicode categories, scripts, blocks, java.lang.Character classes) are refused.
 */
function readPosixClass(pattern: string, i: number, flags: Flags, inClass: boolean): Escape {
  const m = /^\\([pP])(?:\{([^}]*)\}|([a-zA-Z]))/.exec(pattern.slice(i, i + 80));
  if (!m) throw new JavaRegexError('Unclosed character family');
  const name = m[2] ?? m[3]!;
  let members = POSIX[name];
  if (members === undefined || flags.unicodeClass)
    throw new JavaRegexError(
      `\\${m[1]}{${name}} has no JavaScript equivalent here (only the POSIX classes outside (?U))`,
    );
  if (flags.ignoreCase && (name === 'Lower' || name === 'Upper')) {
    if (unicodeFold(flags))
      throw new JavaRegexError(`\\${m[1]}{${name}} under (?iu) has no JavaScript equivalent here`);
    members = 'A-Za-z';
  }
  const end = i + m[0].length;
  if (m[1] === 'p') return { source: inClass ? members : `[${members}]`, end };
  if (inClass) throw new JavaRegexError(`\\P{${name}} inside a character class has no exact JavaScript equivalent`);
  return { source: `(?:${ASTRAL}|[^${members}])`, end };
}

/** Java's `$` (and `\Z`, a `$` that never reads (?m)) under `flags`. */
export function dollar(flags: Flags): string {
  const terminator = flags.unixLines ? String.raw`\n` : TERMINATOR;
  return flags.multiLine ? `(?=${terminator}|${END})` : `(?=${terminator}?${END})`;
}

/** One `\n` escape of a Java pattern as JavaScript source (`rest` starts with the backslash, for messages). */
function escape(n: string, inClass: boolean, rest: string, flags: Flags): string {
  const space = flags.unicodeClass ? UNICODE_SPACE : JAVA_SPACE;
  switch (n) {
    case 'A':
      return START;
    case 'z':
      return END;
    case 'Z':
      return dollar({ ...flags, multiLine: false });
    case 's':
      return inClass ? space : `[${space}]`;
    case 'S':
      if (inClass) throw new JavaRegexError('\\S inside a character class has no exact JavaScript equivalent');
      return `(?:${ASTRAL}|[^${space}])`;
    case 'h':
      return inClass ? HSPACE : `[${HSPACE}]`;
    case 'H':
      if (inClass) throw new JavaRegexError('\\H inside a character class has no exact JavaScript equivalent');
      return `(?:${ASTRAL}|[^${HSPACE}])`;
    case 'v':
      return inClass ? VSPACE : `[${VSPACE}]`;
    case 'V':
      if (inClass) throw new JavaRegexError('\\V inside a character class has no exact JavaScript equivalent');
      return `(?:${ASTRAL}|[^${VSPACE}])`;
    case 'R':
      if (inClass) throw new JavaRegexError('\\R inside a character class is not a valid Java pattern');
      return String.raw`(?:\r\n|[\n\x0B\f\r\u0085\u2028\u2029])`;
    case 'D':
    case 'W':
      if (flags.unicodeClass) throw new JavaRegexError(`\\${n} under (?U) has no JavaScript equivalent here`);
      if (inClass) return `\\${n}`;
      return `(?:${ASTRAL}|\\${n})`;
    case 'd':
    case 'w':
      if (flags.unicodeClass) throw new JavaRegexError(`\\${n} under (?U) has no JavaScript equivalent here`);
      return `\\${n}`;
    case 'b':
    case 'B':
      if (inClass) throw new JavaRegexError(`\\${n} inside a character class is not a valid Java pattern`);
      if (flags.unicodeClass) throw new JavaRegexError(`\\${n} under (?U) has no JavaScript equivalent here`);
      return n === 'b' ? javaWordBoundaries().bound : javaWordBoundaries().notBound;
    case 'G':
    case 'X':
    case 'N':
    case '0':
      throw new JavaRegexError(`${rest.slice(0, 2)} has no JavaScript equivalent here`);
    default:
      // Java refuses a backslash before a letter that names no construct (JavaScript reads it as the letter).
      throw new JavaRegexError(`Illegal/unsupported escape sequence \\${n}`);
  }
}
