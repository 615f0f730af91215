/**
 * Java regular expressions (java.util.regex, as Liquibase's `<regExpReplace>` uses them through
 * String.replaceAll) run by JavaScript: the pattern translated to an equivalent RegExp and the replacement read the
 * way Matcher.appendReplacement reads it. Java's syntax is close to JavaScript's but not the same: `(?i)` and the
 * other leading flags, `\Q…\E`, `\A`, `\z`, `\Z`, `\h`, `\R`, an ASCII-only `\s`, a `.` and a `$` that know every
 * line terminator, and a replacement where `\` escapes and `$` must name a group. A construct JavaScript cannot
 * express (flags inside the pattern, atomic groups, possessive quantifiers, class intersections, `\p{…}`) is
 * refused with a message naming it rather than matched differently.
 */

/** Why a Java pattern or replacement cannot be used (the caller adds the changelog location). */
export class JavaRegexError extends Error {}

const TERMINATOR = String.raw`(?:\r\n|[\n\r\u0085\u2028\u2029])`;
const JAVA_SPACE = String.raw` \t\n\x0B\f\r`;
const HSPACE = String.raw` \t\xA0\u1680\u180e\u2000-\u200a\u202f\u205f\u3000`;
const START = String.raw`(?<![\s\S])`;
const END = String.raw`(?![\s\S])`;

/** The RegExp (flag g) that matches what `pattern` matches in Java; JavaRegexError for what cannot be translated. */
export function javaRegex(pattern: string): RegExp {
  let i = 0;
  let dotAll = false;
  let multiLine = false;
  let ignoreCase = false;
  // Java reads inline flags anywhere; JavaScript (Node 20) has none, so only a leading (?flags) group is taken.
  const lead = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?\)/.exec(pattern);
  if (lead) {
    for (const f of lead[1]!) {
      if (f === 'i') ignoreCase = true;
      else if (f === 's') dotAll = true;
      else if (f === 'm') multiLine = true;
      else if (f !== 'u') throw new JavaRegexError(`the inline flag (?${f}) has no JavaScript equivalent`);
    }
    i = lead[0].length;
  }
  let out = '';
  let inClass = 0;
  while (i < pattern.length) {
    const c = pattern[i]!;
    if (c === '\\') {
      const n = pattern[i + 1];
      if (n === undefined) throw new JavaRegexError('the pattern ends with a lone backslash');
      if (n === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        const literal = pattern.slice(i + 2, end < 0 ? pattern.length : end);
        out += literal.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? pattern.length : end + 2;
        continue;
      }
      out += escape(n, inClass > 0, pattern.slice(i));
      i += 2;
      continue;
    }
    if (inClass > 0) {
      if (c === '[') throw new JavaRegexError('nested character classes ([a[b]]) have no JavaScript equivalent');
      if (c === '&' && pattern[i + 1] === '&')
        throw new JavaRegexError('class intersection (&&) has no JavaScript equivalent');
      if (c === ']') inClass = 0;
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
    if (c === '(' && pattern[i + 1] === '?') {
      const kind = pattern[i + 2];
      if (kind === '>') throw new JavaRegexError('atomic groups (?>…) have no JavaScript equivalent');
      if (kind !== undefined && /[a-zA-Z-]/.test(kind) && kind !== '<')
        throw new JavaRegexError('inline flags inside the pattern have no JavaScript equivalent; put (?i) etc. first');
    }
    if ((c === '+' || c === '}' || c === '*' || c === '?') && pattern[i + 1] === '+') {
      throw new JavaRegexError('possessive quantifiers (*+, ++, ?+) have no JavaScript equivalent');
    }
    if (c === '.') out += dotAll ? String.raw`[\s\S]` : String.raw`[^\n\r\u0085\u2028\u2029]`;
    else if (c === '^')
      out += multiLine ? String.raw`(?:${START}|(?<=[\n\u0085\u2028\u2029]|\r(?!\n))(?=[\s\S]))` : START;
    else if (c === '$') out += multiLine ? `(?=${TERMINATOR}|${END})` : `(?=${TERMINATOR}?${END})`;
    else out += c;
    i++;
  }
  try {
    return new RegExp(out, ignoreCase ? 'gi' : 'g');
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
  const whole = new RegExp(`^(?:${re.source})$`, re.flags.replace('g', ''));
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
