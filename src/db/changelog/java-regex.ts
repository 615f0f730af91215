/**
 * Java regular expressions (java.util.regex, as Liquibase's `<regExpReplace>` uses them through
 * String.replaceAll) run by JavaScript: the pattern translated to an equivalent RegExp and the replacement read the
 * way Matcher.appendReplacement reads it. Java's syntax is close to JavaScript's but not the same: inline flags
 * anywhere (`(?i)`, `a(?i)b`, `(?i:…)`, `(?-i)`, and (?x), (?d), (?U)) with Java's own case fold (ASCII-only unless
 * (?u)), `\Q…\E`, `\A`, `\z`, `\Z`, `\h`, `\v`, `\R`, an ASCII-only `\s`, a `.` and a `$` that know every line
 * terminator, a code point beyond U+FFFF as one character, and a replacement where `\` escapes and `$` must name a
 * group. A construct JavaScript cannot express (atomic groups, possessive quantifiers, class intersections, `\p{…}`,
 * a backreference where case is ignored to a group that can match a letter, `\w`/`\d`/`\b` under (?U)) is refused
 * with a message naming it rather than matched differently.
 */
import { javaOtherCases, javaRangeOtherCases } from './java-case.js';
import {
  ahead,
  applyFlags,
  ASTRAL,
  classChar,
  dollar,
  type Flags,
  JavaRegexError,
  literal,
  readEscape,
  skipIgnored,
  START,
  unicodeFold,
} from './java-regex-syntax.js';

export { JavaRegexError };

/**
 * The RegExp (flag g) that matches what `pattern` matches in Java; JavaRegexError for what cannot be translated.
 * Inline flags may stand anywhere, as in Java: `(?i)` holds to the end of its group, `(?i:…)` inside its own, `(?-i)`
 * switches off. Node 20's RegExp has no inline modifiers (and Node 22/24's differ from Java's in scope), so each
 * part is translated under the flags in force there: case-folded letters as `[aA]` classes, `.`, `^` and `$` as
 * the (?s), (?m) and (?d) they stand under, (?x)'s whitespace and comments left out. A code point beyond U+FFFF is
 * one atom, as in Java. The result never depends on the Node version.
 */
export function javaRegex(pattern: string): RegExp {
  let i = 0;
  let flags: Flags = {
    ignoreCase: false,
    dotAll: false,
    multiLine: false,
    unicodeCase: false,
    comments: false,
    unixLines: false,
    unicodeClass: false,
  };
  const saved: Flags[] = [];
  // Capturing groups: the open ones (null for the other groups, in step with `saved`) and the Java text of each
  // closed one, for a backreference where case is ignored.
  const open: ({ group: number; start: number } | null)[] = [];
  const bodies = new Map<number, string>();
  const names = new Map<string, number>();
  let groups = 0;
  let out = '';
  for (;;) {
    i = skipIgnored(pattern, i, flags);
    if (i >= pattern.length) break;
    const c = pattern[i]!;
    if (c === '\\') {
      if (pattern[i + 1] === 'Q') {
        const end = pattern.indexOf('\\E', i + 2);
        for (const ch of pattern.slice(i + 2, end < 0 ? pattern.length : end))
          out += literal(ch.codePointAt(0)!, flags);
        i = end < 0 ? pattern.length : end + 2;
        continue;
      }
      const e = readEscape(pattern, i, flags, false);
      const ref = 'ref' in e && e.ref !== undefined ? (names.get(e.ref.slice(2, -1)) ?? Number(e.ref)) : undefined;
      if (ref !== undefined && flags.ignoreCase && !caseless(bodies.get(ref)))
        throw new JavaRegexError(
          'a backreference where case is ignored, to a group that can match a letter, has no JavaScript equivalent',
        );
      out += 'cp' in e ? literal(e.cp, flags) : e.source;
      i = e.end;
      continue;
    }
    if (c === '[') {
      const cls = translateClass(pattern, i, flags);
      out += cls.source;
      i = cls.end;
      continue;
    }
    if (c === '(') {
      const a = ahead(pattern, i, flags);
      const inline = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([):])/.exec(a.text);
      if (inline) {
        if (inline[3] === ':') {
          saved.push(flags);
          open.push(null);
        }
        flags = applyFlags(flags, inline[1]!, inline[2] ?? '');
        if (inline[3] === ':') out += '(?:';
        i = a.at[inline[0].length]!;
        continue;
      }
      if (a.text.startsWith('(?>')) throw new JavaRegexError('atomic groups (?>…) have no JavaScript equivalent');
      const head = /^\((?:\?(?:[=!]|<[=!]|<[a-zA-Z][a-zA-Z0-9]*>))?/.exec(a.text)![0];
      saved.push(flags);
      i = a.at[head.length]!;
      open.push(head === '(' || /^\(\?<[a-zA-Z]/.test(head) ? { group: ++groups, start: i } : null);
      if (head.startsWith('(?<') && /[a-zA-Z]/.test(head[3]!)) names.set(head.slice(3, -1), groups);
      out += head;
      continue;
    }
    if (c === ')') {
      flags = saved.pop() ?? flags;
      const group = open.pop();
      if (group) bodies.set(group.group, pattern.slice(group.start, i));
      out += c;
      i++;
      continue;
    }
    if ((c === '+' || c === '}' || c === '*' || c === '?') && ahead(pattern, i, flags, 2).text[1] === '+') {
      throw new JavaRegexError('possessive quantifiers (*+, ++, ?+) have no JavaScript equivalent');
    }
    // Java reads `{` only as a counted repetition, a digit right after it (JavaScript would take `{x` literally).
    if (c === '{' && !/[0-9]/.test(pattern[i + 1] ?? '')) throw new JavaRegexError('Illegal repetition');
    const terminators = flags.unixLines ? String.raw`\n` : String.raw`\n\r\u0085\u2028\u2029`;
    if (c === '.') out += flags.dotAll ? String.raw`(?:${ASTRAL}|[\s\S])` : `(?:${ASTRAL}|[^${terminators}])`;
    else if (c === '^') {
      const after = flags.unixLines ? '(?<=\\n)' : String.raw`(?<=[\n\u0085\u2028\u2029]|\r(?!\n))`;
      out += flags.multiLine ? String.raw`(?:${START}|${after}(?=[\s\S]))` : START;
    } else if (c === '$') out += dollar(flags);
    else if ('|*+?{},'.includes(c) || /[0-9]/.test(c)) out += c;
    else {
      const cp = pattern.codePointAt(i)!;
      out += literal(cp, flags);
      i += String.fromCodePoint(cp).length;
      continue;
    }
    i++;
  }
  try {
    return new RegExp(out, 'g');
  } catch (e) {
    throw new JavaRegexError((e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, ''));
  }
}

/**
 * The Java character class at `i` (its `[`) as JavaScript source, and where it ends. A member given by its code
 * (`\x41`, `\u0061`, `\Qa\E`) is a literal like a typed one: a range's end, and case-folded where case is ignored.
 */
function translateClass(pattern: string, start: number, flags: Flags): { source: string; end: number } {
  let i = skipIgnored(pattern, start + 1, flags);
  let negated = false;
  if (pattern[i] === '^') {
    negated = true;
    i = skipIgnored(pattern, i + 1, flags);
  }
  let members = '';
  let first = true;
  /** One member code point read at `i` (a literal or an escape naming one), or null for a set such as \s. */
  const readMember = (): { cp: number } | { source: string } => {
    if (pattern[i] === '\\') {
      const e = readEscape(pattern, i, flags, true);
      i = e.end;
      return 'cp' in e ? { cp: e.cp } : { source: e.source };
    }
    const cp = pattern.codePointAt(i)!;
    i += String.fromCodePoint(cp).length;
    return { cp };
  };
  const add = (lo: number, hi: number): void => {
    members += lo === hi ? classChar(lo) : `${classChar(lo)}-${classChar(hi)}`;
    if (!flags.ignoreCase) return;
    const others = lo === hi ? javaOtherCases(lo, unicodeFold(flags)) : javaRangeOtherCases(lo, hi, unicodeFold(flags));
    members += others.map(classChar).join('');
  };
  for (;;) {
    if (i >= pattern.length) throw new JavaRegexError('Unclosed character class');
    const c = pattern[i]!;
    // A `]` right after the opening bracket (or `^`) is a literal in Java, as it is not in JavaScript.
    if (c === ']' && !first) break;
    first = false;
    if (c === '[') throw new JavaRegexError('nested character classes ([a[b]]) have no JavaScript equivalent');
    if (c === '&' && pattern[i + 1] === '&')
      throw new JavaRegexError('class intersection (&&) has no JavaScript equivalent');
    let member: { cp: number } | { source: string };
    if (c === '\\' && pattern[i + 1] === 'Q') {
      // \Q…\E in a class: each quoted character a member; the last one may start a range (`[\Qa\E-z]`).
      const end = pattern.indexOf('\\E', i + 2);
      const quoted = [...pattern.slice(i + 2, end < 0 ? pattern.length : end)];
      i = end < 0 ? pattern.length : end + 2;
      if (quoted.length === 0) {
        i = skipIgnored(pattern, i, flags);
        continue;
      }
      for (const ch of quoted.slice(0, -1)) add(ch.codePointAt(0)!, ch.codePointAt(0)!);
      member = { cp: quoted.at(-1)!.codePointAt(0)! };
    } else member = readMember();
    i = skipIgnored(pattern, i, flags);
    if ('source' in member) {
      members += member.source;
      continue;
    }
    const dash = i;
    const hiAt = skipIgnored(pattern, i + 1, flags);
    if (pattern[dash] === '-' && hiAt < pattern.length && pattern[hiAt] !== ']' && pattern[hiAt] !== '[') {
      i = hiAt;
      const hi = readMember();
      if ('source' in hi || hi.cp < member.cp) throw new JavaRegexError('Illegal character range');
      add(member.cp, hi.cp);
      i = skipIgnored(pattern, i, flags);
      continue;
    }
    add(member.cp, member.cp);
  }
  const source = `[${negated ? '^' : ''}${members}]`;
  return { source: negated ? `(?:${ASTRAL}|${source})` : source, end: i + 1 };
}

/**
 * Whether a capturing group's Java text can only match characters that have no case (digits, `\\d`, `\\s`,
 * punctuation): a backreference to it then matches the same text whether case is ignored or not (Java's CIBackRef
 * compares case-folded characters). Deliberately narrow: anything that could match a letter is refused.
 */
function caseless(body: string | undefined): boolean {
  return body !== undefined && /^(?:\\[dshv]|[0-9 _\-+*?{},:;!=<>@%&~'"/|()^$])*$/.test(body);
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
