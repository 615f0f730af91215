/**
 * Java regular expressions (java.util.regex, as Liquibase's `<regExpReplace>` uses them through
 * String.replaceAll) run by JavaScript: the pattern translated to an equivalent RegExp and the replacement read the
 * way Matcher.appendReplacement reads it. Java's syntax is close to JavaScript's but not the same: inline flags
 * anywhere (`(?i)`, `a(?i)b`, `(?i:…)`, `(?-i)`) with an ASCII-only case fold, `\Q…\E`, `\A`, `\z`, `\Z`, `\h`,
 * `\R`, an ASCII-only `\s`, a `.` and a `$` that know every line terminator, and a replacement where `\` escapes and
 * `$` must name a group. A construct JavaScript cannot express (atomic groups, possessive quantifiers, class
 * intersections, `\p{…}`, a backreference where case is ignored) is refused with a message naming it rather than
 * matched differently.
 */

/** Why a Java pattern or replacement cannot be used (the caller adds the changelog location). */
export class JavaRegexError extends Error {}

const TERMINATOR = String.raw`(?:\r\n|[\n\r\u0085\u2028\u2029])`;
const JAVA_SPACE = String.raw` \t\n\x0B\f\r`;
const HSPACE = String.raw` \t\xA0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000`;
const START = String.raw`(?<![\s\S])`;
const END = String.raw`(?![\s\S])`;

/** The inline flags in force at a point of a Java pattern (the ones JavaScript can be made to honour). */
interface Flags {
  ignoreCase: boolean;
  dotAll: boolean;
  multiLine: boolean;
  unicodeCase: boolean;
}

/**
 * `flags` with a Java inline flag group's `on` and `off` letters applied. Java's (?d), (?x) and (?U) change how the
 * whole pattern reads and have no translation here; any other letter is Java's own PatternSyntaxException.
 */
function applyFlags(flags: Flags, on: string, off: string): Flags {
  const next = { ...flags };
  for (const [letters, value] of [
    [on, true],
    [off, false],
  ] as const) {
    for (const f of letters) {
      if (f === 'i') next.ignoreCase = value;
      else if (f === 's') next.dotAll = value;
      else if (f === 'm') next.multiLine = value;
      else if (f === 'u') next.unicodeCase = value;
      else if (f === 'd' || f === 'x' || f === 'U')
        throw new JavaRegexError(`the inline flag (?${f}) has no JavaScript equivalent`);
      else throw new JavaRegexError(`Unknown inline modifier (?${f})`);
    }
  }
  return next;
}

/**
 * The other cases of `ch` that Java's CASE_INSENSITIVE matches: ASCII letters only, every letter with UNICODE_CASE
 * (Pattern.CASE_INSENSITIVE is US-ASCII unless (?u) is on; measured: `é`.matches("(?i)É") is false in Java 17).
 */
function otherCases(ch: string, flags: Flags): string[] {
  if (!flags.ignoreCase || (!flags.unicodeCase && !/^[a-zA-Z]$/.test(ch))) return [];
  return [...new Set([ch.toLowerCase(), ch.toUpperCase()])].filter((c) => c !== ch && [...c].length === 1);
}

/** `ch` as a JavaScript class member (escaped where a class needs it). */
const classChar = (ch: string): string => (/[\\\][^-]/.test(ch) ? `\\${ch}` : ch);

/** One literal character under `flags`: itself, or a class of its cases where the case is ignored there. */
function literal(ch: string, source: string, flags: Flags): string {
  const others = otherCases(ch, flags);
  return others.length === 0 ? source : `[${[ch, ...others].map(classChar).join('')}]`;
}

/** The ASCII letters of the range lo..hi in their other case, as class members (Java's CIRange). */
function foldedRange(lo: number, hi: number, flags: Flags): string {
  if (!flags.ignoreCase) return '';
  let out = '';
  for (const [from, to, shift] of [
    [0x41, 0x5a, 0x20],
    [0x61, 0x7a, -0x20],
  ] as const) {
    const a = Math.max(lo, from);
    const b = Math.min(hi, to);
    if (a <= b) out += `${classChar(String.fromCharCode(a + shift))}-${classChar(String.fromCharCode(b + shift))}`;
  }
  return out;
}

/**
 * The RegExp (flag g) that matches what `pattern` matches in Java; JavaRegexError for what cannot be translated.
 * Inline flags may stand anywhere, as in Java: `(?i)` holds to the end of its group, `(?i:…)` inside its own, `(?-i)`
 * switches off. Node 20's RegExp has no inline modifiers (and Node 22/24's differ from Java's in scope), so each
 * part is translated under the flags in force there: case-folded letters as `[aA]` classes, `.`, `^` and `$` as
 * the (?s) and (?m) they stand under. The result never depends on the Node version.
 */
export function javaRegex(pattern: string): RegExp {
  let i = 0;
  let flags: Flags = { ignoreCase: false, dotAll: false, multiLine: false, unicodeCase: false };
  const saved: Flags[] = [];
  let out = '';
  let inClass = 0;
  let classExtra = '';
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) throw new JavaRegexError('the pattern ends with a lone backslash');
      if (n === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const quoted = pattern.slice(i + 2, end < 0 ? pattern.length : end);
        for (const ch of quoted) {
          out += inClass > 0 ? classChar(ch) : literal(ch, ch.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&'), flags);
          if (inClass > 0) classExtra += otherCases(ch, flags).map(classChar).join('');
        }
        i = end < 0 ? pattern.length : end + 2;
        continue;
      }
      // An escape's whole span (hex digits, a control letter, a group name) is read at once: its letters are no
      // literals to fold. A character given by its code is a literal like any other (`(?i)\x6a` matches `J`).
      const span =
        /^\\(?:x\{([0-9a-fA-F]+)\}|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|c[\s\S]|k<[a-zA-Z][a-zA-Z0-9]*>|[1-9])/.exec(
          pattern.slice(i),
        );
      if (!span) {
        out += escape(n, inClass > 0, pattern.slice(i));
        i += 2;
        continue;
      }
      i += span[0].length;
      const hex = span[1] ?? span[2] ?? span[3];
      if (hex === undefined) {
        if (flags.ignoreCase && inClass === 0 && /^\\(?:k|\d)/.test(span[0]))
          throw new JavaRegexError('a backreference where case is ignored has no JavaScript equivalent');
        out += span[0];
        continue;
      }
      const ch = String.fromCodePoint(parseInt(hex, 16));
      if (ch.length > 1) throw new JavaRegexError(`${span[0]} (beyond U+FFFF) has no JavaScript equivalent here`);
      const source = `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`;
      if (inClass > 0) classExtra += otherCases(ch, flags).map(classChar).join('');
      out += inClass > 0 ? source : literal(ch, source, flags);
      continue;
    }
    if (inClass > 0) {
      if (c === '[') throw new JavaRegexError('nested character classes ([a[b]]) have no JavaScript equivalent');
      if (c === '&' && pattern[i + 1] === '&')
        throw new JavaRegexError('class intersection (&&) has no JavaScript equivalent');
      if (c === ']') {
        out += classExtra + c;
        inClass = 0;
        classExtra = '';
        i++;
        continue;
      }
      const hi = pattern[i + 2];
      if (pattern[i + 1] === '-' && hi !== undefined && hi !== ']' && hi !== '\\' && hi !== '[') {
        classExtra += foldedRange(c.charCodeAt(0), hi.charCodeAt(0), flags);
        out += pattern.slice(i, i + 3);
        i += 3;
        continue;
      }
      classExtra += otherCases(c, flags).map(classChar).join('');
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = 1;
      out += c;
      i++;
      // A `]` or `^]` right after the opening bracket is a literal in Java, as it is not in JavaScript.
      if (pattern[i] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(') {
      const inline = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([):])/.exec(pattern.slice(i));
      if (inline) {
        if (inline[3] === ':') saved.push(flags);
        flags = applyFlags(flags, inline[1]!, inline[2] ?? '');
        if (inline[3] === ':') out += '(?:';
        i += inline[0].length;
        continue;
      }
      if (pattern[i + 1] === '?' && pattern[i + 2] === '>')
        throw new JavaRegexError('atomic groups (?>…) have no JavaScript equivalent');
      const head = /^\((?:\?(?:[=!]|<[=!]|<[a-zA-Z][a-zA-Z0-9]*>))?/.exec(pattern.slice(i))![0];
      saved.push(flags);
      out += head;
      i += head.length;
      continue;
    }
    if (c === ')') {
      flags = saved.pop() ?? flags;
      out += c;
      i++;
      continue;
    }
    if ((c === '+' || c === '}' || c === '*' || c === '?') && pattern[i + 1] === '+') {
      throw new JavaRegexError('possessive quantifiers (*+, ++, ?+) have no JavaScript equivalent');
    }
    if (c === '.') out += flags.dotAll ? String.raw`[\s\S]` : String.raw`[^\n\r\u0085\u2028\u2029]`;
    else if (c === '^')
      out += flags.multiLine ? String.raw`(?:${START}|(?<=[\n\u0085\u2028\u2029]|\r(?!\n))(?=[\s\S]))` : START;
    else if (c === '$') out += flags.multiLine ? `(?=${TERMINATOR}|${END})` : `(?=${TERMINATOR}?${END})`;
    else out += literal(c, c, flags);
    i++;
  }
  try {
    return new RegExp(out, 'g');
  } catch (e) {
    throw new JavaRegexError((e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, ''));
  }
}

/** One `\n` escape of a Java pattern as JavaScript source (`rest` starts with the backslash, for messages). */
function escape(n: string, inClass: boolean, rest: string): string {
  switch (n) {
    case 'A':
      return START;
    case 'z':
      return END;
    case 'Z':
      return `(?=${TERMINATOR}?${END})`;
    case 's':
      return inClass ? JAVA_SPACE : `[${JAVA_SPACE}]`;
    case 'S':
      if (inClass) throw new JavaRegexError('\\S inside a character class has no exact JavaScript equivalent');
      return `[^${JAVA_SPACE}]`;
    case 'h':
      return inClass ? HSPACE : `[${HSPACE}]`;
    case 'H':
      if (inClass) throw new JavaRegexError('\\H inside a character class has no exact JavaScript equivalent');
      return `[^${HSPACE}]`;
    case 'R':
      if (inClass) throw new JavaRegexError('\\R inside a character class is not a valid Java pattern');
      return String.raw`(?:\r\n|[\n\x0B\f\r\u0085\u2028\u2029])`;
    case 'a':
      return String.raw`\x07`;
    case 'e':
      return String.raw`\x1B`;
    case 'p':
    case 'P':
    case 'G':
    case 'X':
    case '0':
      throw new JavaRegexError(`${rest.slice(0, 2)} has no JavaScript equivalent here`);
    default:
      // Java refuses a backslash before a letter that names no construct (JavaScript reads it as the letter).
      if (/[CEFIJKLMOTUYgijlmoqy]/.test(n)) throw new JavaRegexError(`Illegal/unsupported escape sequence \\${n}`);
      return `\\${n}`;
  }
}

/** Java's `input.matches(pattern)`: whether the whole input matches; JavaRegexError as for javaRegex. */
export function javaMatcher(pattern: string): (input: string) => boolean {
  const re = javaRegex(pattern);
  const whole = new RegExp(`^(?:${re.source})$`);
  return (input) => whole.test(input);
}

/** The number of capturing groups of `re`. */
function groupCount(re: RegExp): number {
  return new RegExp(`${re.source}|`).exec('')!.length - 1;
}

/** A Java replacement string read once: literal text and group references, in order. */
type ReplacementPart = string | { group: number | string };

/** The parts of a Java replacement for a pattern with `groups` groups and `names`; JavaRegexError where Java throws. */
function parseReplacement(replacement: string, groups: number, names: Set<string>): ReplacementPart[] {
  const parts: ReplacementPart[] = [];
  let text = '';
  for (let i = 0; i < replacement.length; i++) {
    const c = replacement[i]!;
    if (c === '\\') {
      i++;
      if (i >= replacement.length) throw new JavaRegexError('character to be escaped is missing');
      text += replacement[i];
      continue;
    }
    if (c !== '$') {
      text += c;
      continue;
    }
    i++;
    if (i >= replacement.length) throw new JavaRegexError('Illegal group reference: group index is missing');
    if (text) parts.push(text);
    text = '';
    if (replacement[i] === '{') {
      const end = replacement.indexOf('}', i);
      const name = end < 0 ? '' : replacement.slice(i + 1, end);
      if (!/^[a-zA-Z][a-zA-Z0-9]*$/.test(name)) throw new JavaRegexError('named capturing group is missing trailing }');
      if (!names.has(name)) throw new JavaRegexError(`No group with name {${name}}`);
      parts.push({ group: name });
      i = end;
      continue;
    }
    // Matcher.appendReplacement: the first digit is the group; each next digit joins while the group exists.
    if (!/[0-9]/.test(replacement[i]!)) throw new JavaRegexError('Illegal group reference');
    let ref = Number(replacement[i]);
    while (i + 1 < replacement.length && /[0-9]/.test(replacement[i + 1]!)) {
      const next = ref * 10 + Number(replacement[i + 1]);
      if (next > groups) break;
      ref = next;
      i++;
    }
    if (ref > groups) throw new JavaRegexError(`No group ${ref}`);
    parts.push({ group: ref });
  }
  if (text) parts.push(text);
  return parts;
}

/** Java's `input.replaceAll(pattern, replacement)`, with the pattern from javaRegex; compiled once, applied often. */
export function javaReplacer(pattern: string, replacement: string): (input: string) => string {
  const re = javaRegex(pattern);
  const names = new Set([...pattern.matchAll(/\(\?<([a-zA-Z][a-zA-Z0-9]*)>/g)].map((m) => m[1]!));
  const parts = parseReplacement(replacement, groupCount(re), names);
  return (input) =>
    input.replace(re, (...args: unknown[]) => {
      const last = args.at(-1);
      const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : {};
      const groups = args.slice(0, typeof last === 'object' && last !== null ? -3 : -2) as (string | undefined)[];
      return parts
        .map((p) =>
          typeof p === 'string' ? p : ((typeof p.group === 'number' ? groups[p.group] : named[p.group]) ?? ''),
        )
        .join('');
    });
}
