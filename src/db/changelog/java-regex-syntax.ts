/**
 * The pieces of a Java pattern (java.util.regex) as java-regex.ts translates them: the inline flags and what each
 * changes, (?x)'s skipped whitespace and comments, literals (case-folded the way Java folds), escapes, anchors.
 */
import { javaOtherCases } from './java-case.js';
import { javaCodePointOf } from './java-char-names.js';
import { complement, type CodePointSet, javaPropertySet, javaUnicodeClass, setOf, setSource } from './java-char-set.js';
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
  if (cp > 0xffff) throw new Error(`classChar: U+${cp.toString(16)} is beyond the BMP`);
  const ch = String.fromCharCode(cp);
  return /[\\\][^-]/.test(ch) ? `\\${ch}` : cp < 0x20 || cp >= 0x7f ? `\\u${cp.toString(16).padStart(4, '0')}` : ch;
}

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

/**
 * One code point that is none of the BMP class members `body`, as Java matches it: a pair beyond U+FFFF whole, a lone
 * surrogate alone, never half of a pair (which backtracking would otherwise try, as `\W{2}` over one emoji).
 */
export const anyBut = (body: string): string =>
  String.raw`(?:[^${body}\ud800-\udbff]|[\ud800-\udbff](?:[\udc00-\udfff]|(?![\udc00-\udfff])))`;

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
type Escape =
  | { cp: number; end: number }
  | { source: string; end: number; ref?: string; wide?: boolean }
  | { set: CodePointSet; end: number; wide?: boolean };

const CONTROL: Record<string, number> = { t: 9, n: 10, r: 13, f: 12, a: 7, e: 0x1b };

/**
 * The escape at `i` (a backslash) under `flags`, in a class or not. In a class, an escape that names a set of
 * characters (`\\d`, `\\S`, `\\p{L}`) is that set; outside one it is pattern source.
 */
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
    // A backreference (`\\1`, `\\k<name>`): the caller decides whether case matters to it. None stands in a class.
    if (inClass) throw new JavaRegexError(`Illegal/unsupported escape sequence ${span[0].slice(0, 2)}`);
    return { source: span[0], end, ref: span[0].slice(1) };
  }
  if (n === 'p' || n === 'P') {
    const p = readProperty(pattern, i, flags);
    return inClass ? p : { source: setSource(p.set), end: p.end, wide: p.wide };
  }
  if (CONTROL[n] !== undefined) return { cp: CONTROL[n], end: i + 2 };
  const octal = /^\\0([0-3][0-7]{2}|[0-7]{1,2})/.exec(pattern.slice(i, i + 5));
  if (n === '0') {
    // Pattern.o: `\0n`, `\0nn` or `\0mnn` (m at most 3), as many octal digits as fit.
    if (!octal) throw new JavaRegexError('Illegal octal escape sequence');
    return { cp: parseInt(octal[1]!, 8), end: i + octal[0].length };
  }
  if (n === 'N') return readCharName(pattern, i, flags);
  if (inClass) {
    const set = classEscapeSet(n, flags);
    if (set) return { set, end: i + 2, wide: wideEscape(n, flags) };
  }
  if (!/[a-zA-Z0-9]/.test(n)) {
    const cp = pattern.codePointAt(i + 1)!;
    return { cp, end: i + (cp > 0xffff ? 3 : 2) };
  }
  return { source: escape(n, inClass, pattern.slice(i), flags), end: i + 2, wide: wideEscape(n, flags) };
}

/**
 * `\N{name}` at `i` as Pattern.N reads it, in a class or not: the code point Character.codePointOf gives the name
 * (trimmed, upper-cased), a literal like `\x{…}` (a range's end, case-folded under (?i)).
 */
function readCharName(pattern: string, i: number, flags: Flags): { cp: number; end: number } {
  // Under (?x) Java reads past whitespace and comments to the `{`, and a `#` in the name starts a comment.
  const skipped = (text: string): boolean => flags.comments && /[\s#]/.test(text);
  if (pattern[i + 2] !== '{') {
    if (skipped(pattern[i + 2] ?? ''))
      throw new JavaRegexError('this \\N{name} under (?x) has no JavaScript equivalent');
    throw new JavaRegexError('Illegal character name escape sequence');
  }
  const close = pattern.indexOf('}', i + 3);
  if (close < 0) throw new JavaRegexError('Unclosed character name escape sequence');
  const raw = pattern.slice(i + 3, close);
  if (raw.includes('#') && skipped('#'))
    throw new JavaRegexError('this \\N{name} under (?x) has no JavaScript equivalent');
  // String.trim: code units up to U+0020 at both ends. Names are ASCII; Java's toUpperCase(Locale.ROOT) also maps
  // a few other letters to ASCII ones (the long s, the dotless i, ligatures), which is not followed here.
  const name = raw.replace(/^[\0-\x20]+|[\0-\x20]+$/g, '');
  if (/[^\0-\x7f]/.test(name))
    throw new JavaRegexError('\\N{name} with a name beyond ASCII has no JavaScript equivalent');
  const cp = javaCodePointOf(name.toUpperCase());
  if (cp === undefined) throw new JavaRegexError(`Unknown character name [${raw}]`);
  return { cp, end: close + 1 };
}

/**
 * `\p{Name}`, `\pL`, `\P{Name}` at `i` as the set Java's Pattern.family matches under `flags`: Unicode general
 * categories, scripts, blocks, binary properties, java.lang.Character's `java…` classes and the POSIX classes (ASCII
 * outside (?U), Unicode under it), from Java 17's own tables (java-char-set.ts).
 */
function readProperty(pattern: string, i: number, flags: Flags): { set: CodePointSet; end: number; wide: boolean } {
  const m = /^\\([pP])(?:\{([^}]*)\}|([\s\S]))?/u.exec(pattern.slice(i, i + 120));
  if (!m || (m[2] === undefined && m[3] === undefined) || (m[3] === '{' && !pattern.includes('}', i)))
    throw new JavaRegexError('Unclosed character family');
  const name = m[2] ?? m[3]!;
  if (name === '') throw new JavaRegexError('Empty character family');
  const set = javaPropertySet(name, flags.ignoreCase, flags.unicodeClass);
  if (!set) {
    const eq = name.indexOf('=');
    throw new JavaRegexError(
      eq >= 0
        ? `Unknown Unicode property {name=<${name.slice(0, eq).toLowerCase()}>, value=<${name.slice(eq + 1)}>}`
        : `Unknown character property name {${name}}`,
    );
  }
  // Java's ASCII POSIX classes are BMP predicates; every other property, and any complement, is not.
  const wide = m[1] === 'P' || flags.unicodeClass || !ASCII_POSIX.has(name);
  return { set: m[1] === 'P' ? complement(set) : set, end: i + m[0].length, wide };
}

const ASCII_POSIX = new Set([
  'ASCII',
  'Alnum',
  'Alpha',
  'Blank',
  'Cntrl',
  'Digit',
  'Graph',
  'Lower',
  'Print',
  'Punct',
  'Space',
  'Upper',
  'XDigit',
]);

/**
 * Whether Java's predicate for the escape `\\n` is no BMP one (Pattern.newCharProperty): a complement, or a (?U)
 * class. Such a predicate (like a character beyond U+FFFF, a Unicode property, a case-insensitive range or a
 * Unicode-case letter) makes Java search with StartS, which never starts a match inside a surrogate pair.
 */
const wideEscape = (n: string, flags: Flags): boolean => /[WSDHV]/.test(n) || (flags.unicodeClass && /[wds]/.test(n));

/** Whether a literal makes Java search with StartS: beyond U+FFFF, a surrogate, or a Unicode-case letter (SingleU). */
export const wideLiteral = (cp: number, flags: Flags): boolean =>
  cp >= 0xd800 && (cp <= 0xdfff || cp > 0xffff)
    ? true
    : flags.ignoreCase && unicodeFold(flags) && javaOtherCases(cp, true).length > 0;

const DIGIT = setOf([[0x30, 0x39]]);
const WORD = setOf([
  [0x30, 0x39],
  [0x41, 0x5a],
  [0x5f, 0x5f],
  [0x61, 0x7a],
]);
const SPACE = setOf([
  [0x09, 0x0d],
  [0x20, 0x20],
]);
const HSPACE_SET = setOf([
  [0x09, 0x09],
  [0x20, 0x20],
  [0xa0, 0xa0],
  [0x1680, 0x1680],
  [0x180e, 0x180e],
  [0x2000, 0x200a],
  [0x202f, 0x202f],
  [0x205f, 0x205f],
  [0x3000, 0x3000],
]);
const VSPACE_SET = setOf([
  [0x0a, 0x0d],
  [0x85, 0x85],
  [0x2028, 0x2029],
]);

/** The set a class-escape (`\\d`, `\\W`, `\\h`…) stands for under `flags`, or null for other letters. */
function classEscapeSet(n: string, flags: Flags): CodePointSet | null {
  const lower = n.toLowerCase();
  let set: CodePointSet;
  if (lower === 'd') set = flags.unicodeClass ? javaUnicodeClass('d') : DIGIT;
  else if (lower === 'w') set = flags.unicodeClass ? javaUnicodeClass('w') : WORD;
  else if (lower === 's') set = flags.unicodeClass ? javaUnicodeClass('s') : SPACE;
  else if (lower === 'h') set = HSPACE_SET;
  else if (lower === 'v') set = VSPACE_SET;
  else return null;
  return n === lower ? set : complement(set);
}

/** Java's `$` (and `\Z`, a `$` that never reads (?m)) under `flags`. */
export function dollar(flags: Flags): string {
  if (flags.unixLines) return flags.multiLine ? `(?=\\n|${END})` : `(?=\\n?${END})`;
  // Pattern.Dollar never matches between the `\r` and the `\n` of a `\r\n`, with (?m) or without.
  const notInPair = String.raw`(?!(?<=\r)\n)`;
  // One atom: a quantifier after `$` applies to all of it.
  return flags.multiLine ? `(?:${notInPair}(?=${TERMINATOR}|${END}))` : `(?:${notInPair}(?=${TERMINATOR}?${END}))`;
}

/** One `\n` escape of a Java pattern as JavaScript source (`rest` starts with the backslash, for messages). */
function escape(n: string, inClass: boolean, rest: string, flags: Flags): string {
  // In a class only the escapes of a character or a set of them stand (Pattern.escape breaks out for the rest).
  if (inClass) throw new JavaRegexError(`Illegal/unsupported escape sequence \\${n}`);
  const space = flags.unicodeClass ? UNICODE_SPACE : JAVA_SPACE;
  if (flags.unicodeClass && /[dDwW]/.test(n)) return setSource(classEscapeSet(n, flags)!);
  switch (n) {
    case 'A':
      return START;
    case 'z':
      return END;
    case 'Z':
      return dollar({ ...flags, multiLine: false });
    case 's':
      return `[${space}]`;
    case 'S':
      return anyBut(space);
    case 'h':
      return `[${HSPACE}]`;
    case 'H':
      return anyBut(HSPACE);
    case 'v':
      return `[${VSPACE}]`;
    case 'V':
      return anyBut(VSPACE);
    case 'R':
      return String.raw`(?:\r\n|[\n\x0B\f\r\u0085\u2028\u2029])`;
    case 'D':
    case 'W':
      return anyBut(n === 'D' ? '0-9' : '0-9A-Z_a-z');
    case 'd':
    case 'w':
      return `\\${n}`;
    case 'b':
    case 'B':
      return n === 'b' ? javaWordBoundaries(flags.unicodeClass).bound : javaWordBoundaries(flags.unicodeClass).notBound;
    case 'G':
    case 'X':
      throw new JavaRegexError(`${rest.slice(0, 2)} has no JavaScript equivalent here`);
    default:
      // Java refuses a backslash before a letter that names no construct (JavaScript reads it as the letter).
      throw new JavaRegexError(`Illegal/unsupported escape sequence \\${n}`);
  }
}

/**
 * `pattern` with its `\Q…\E` quotes turned into ordinary pattern text, as Java 17's Pattern does before it compiles
 * anything (behaviour measured against real Java by java-regex-differential.test.ts): the quoted text's ASCII letters
 * and non-ASCII characters stand as they are, a digit that opens a quote is written `\x3n` (so an escape just before
 * the quote, `\1\Q2\E`, cannot read it), every other ASCII character gets a backslash (`\` becomes `\\`); the first
 * `\E` closes the quote, an unclosed one runs to the end. Outside quotes a backslash and the character after it stay
 * together (`\\Q` quotes nothing). So a quote is text anywhere a character stands: in a class (`[a-\Qz\E]`; `[\Q\E]`
 * is an unclosed class), inside `\p{…}` or a group name, as in Java.
 */
export function removeQEQuoting(pattern: string): string {
  if (!pattern.includes('\\Q')) return pattern;
  let out = '';
  let i = 0;
  while (i < pattern.length) {
    if (pattern[i] !== '\\') out += pattern[i++];
    else if (pattern[i + 1] !== 'Q') {
      out += pattern.slice(i, i + 2);
      i += 2;
    } else {
      const close = pattern.indexOf('\\E', i + 2);
      const end = close === -1 ? pattern.length : close;
      out += quotedAsPattern(pattern.slice(i + 2, end));
      i = close === -1 ? end : end + 2;
    }
  }
  return out;
}

/** The text of one `\Q…\E` quote as pattern text that matches it (removeQEQuoting). */
function quotedAsPattern(text: string): string {
  let out = '';
  for (let k = 0; k < text.length; k++) {
    const c = text[k]!;
    if (c.charCodeAt(0) > 0x7f || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) out += c;
    else if (c >= '0' && c <= '9') out += k === 0 ? `\\x3${c}` : c;
    else out += `\\${c}`;
  }
  return out;
}
