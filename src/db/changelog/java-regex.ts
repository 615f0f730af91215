/**
 * Java regular expressions (java.util.regex, as Liquibase's `<regExpReplace>` uses them through String.replaceAll) run
 * by JavaScript: the pattern translated to an equivalent RegExp and the replacement read the way
 * Matcher.appendReplacement reads it. Java's syntax is close to JavaScript's but not the same: inline flags anywhere
 * (`(?i)`, `a(?i)b`, `(?i:…)`, `(?-i)`, and (?x), (?d), (?U)) with Java's own case fold (ASCII-only unless (?u)),
 * `\Q…\E`, `\A`, `\z`, `\Z`, `\h`, `\v`, `\R`, an ASCII-only `\s`, a `.` and a `$` that know every line terminator, a
 * code point beyond U+FFFF as one character, character classes as the sets of code points Java matches (nested
 * classes, `&&` intersections, Unicode categories, scripts, blocks and binary properties, `java…` classes, (?U)'s
 * `\w`/`\d`/`\s`/`\b`: java-char-set.ts, over Java 17's own Unicode tables), octal `\0nn`, atomic groups
 * and possessive quantifiers (as a lookahead that captures and a backreference to it), and a replacement where `\`
 * escapes and `$` must name a group (checked where the pattern matches, as Java does). Every group is a named
 * JavaScript group, so those added never renumber the user's. A construct JavaScript cannot express (`\X`, a
 * backreference where case is ignored to a group that can match a letter: Java compares by its own fold) is refused
 * with a message naming it rather than matched differently; so are the places where the two engines keep different group values (a group
 * that may be unset, read after an atomic group, a lookaround or a repetition that can skip it; a backreference to a
 * group that may be unset, which Java fails and JavaScript matches empty) and an optional or repeated group that can
 * match empty (Java takes the empty iteration, JavaScript backtracks; Java's loop also ends there below its minimum).
 * Where Java takes each repetition as the first way it matches (a possessive quantifier of a group, any quantifier of
 * `\R`), each is an atomic group. Where Java searches with StartS (a predicate
 * beyond the BMP) no match starts inside a surrogate pair but right after an empty match.
 * test/integration/java-regex-differential.test.ts compares it with real Java on tables and on seeded random
 * patterns.
 */
import { javaOtherCases, javaRangeOtherCases } from './java-case.js';
import { type CodePointSet, complement, intersect, setOf, setSource, union } from './java-char-set.js';
import {
  ahead,
  anyBut,
  applyFlags,
  dollar,
  type Flags,
  JavaRegexError,
  literal,
  readEscape,
  removeQEQuoting,
  wideLiteral,
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
  return translate(pattern).re;
}

/** A translated pattern: the RegExp, Java's group count, its named groups, and the groups a replacement cannot use. */
interface Translation {
  re: RegExp;
  groups: number;
  names: Map<string, number>;
  /** Groups whose value after a match can differ between Java and JavaScript, with the reason. */
  unreliable: Map<number, string>;
  /**
   * Where Java searches with StartS: `re` never starts a match inside a surrogate pair, and `sticky` (the pattern
   * without that guard) is for a search that starts there (after an empty match), which StartS does try.
   */
  sticky?: RegExp;
}

/**
 * The JavaScript name of Java's capturing group `n`. Every group is named (`$` can start no Java group name), so
 * that the groups javaRegex adds for atomic groups and possessive quantifiers never shift the user's numbers.
 */
const groupName = (n: number): string => `$${n}`;

/** A group of the pattern as a tree node: what decides whether a capturing group inside it is always set. */
interface GroupNode {
  parent: GroupNode | null;
  /** A `|` stands directly in it: each of its branches may not run. */
  alternation: boolean;
  /** It may match zero times (`?`, `*`, `{0,n}`) or is a negative lookaround. */
  optional: boolean;
  /** It may match more than once. */
  repeated: boolean;
  /** Java keeps what a group inside it caught in an attempt that failed later (atomic, possessive, lookaround). */
  keepsFailed: boolean;
  /**
   * Whether Java's study of it finds a choice (a `|`, a quantifier whose counts differ, also inside an atomic group)
   * and whether it holds a `\R`: a repeated group without a choice is Java's GroupCurly, which takes each repetition
   * as the first way it matches, as it does a `\R` alone.
   */
  choice: boolean;
  lineBreak: boolean;
  /** Whether its current branch, as far as read, can match the empty string; whether an earlier branch can. */
  branchEmpty: boolean;
  anyEmpty: boolean;
}

/** One open group of the pattern: the flags to restore, the Java group it captures, what closes it in JavaScript. */
interface OpenGroup {
  flags: Flags;
  group: { n: number; start: number } | null;
  close: string;
  outStart: number;
  node: GroupNode;
  lookbehind: boolean;
  lookaround: boolean;
}

/** Whether the group at `node` may be unset where `upTo` (an ancestor, or null for the whole pattern) has matched. */
function mayBeUnset(node: GroupNode, upTo: GroupNode | null): boolean {
  for (let n: GroupNode | null = node; n && n !== upTo; n = n.parent) {
    if (n.optional || n.parent?.alternation) return true;
  }
  return false;
}

function newNode(parent: GroupNode | null): GroupNode {
  return {
    parent,
    alternation: false,
    optional: false,
    repeated: false,
    keepsFailed: false,
    choice: false,
    lineBreak: false,
    branchEmpty: true,
    anyEmpty: false,
  };
}

function ancestors(node: GroupNode | null): GroupNode[] {
  const all: GroupNode[] = [];
  for (let n = node; n; n = n.parent) all.push(n);
  return all;
}

function translate(javaPattern: string): Translation {
  const pattern = removeQEQuoting(javaPattern);
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
  const root: GroupNode = newNode(null);
  const open: OpenGroup[] = [];
  const current = (): GroupNode => open.at(-1)?.node ?? root;
  // The Java text of each closed capturing group, for a backreference where case is ignored.
  const bodies = new Map<number, string>();
  const nodes = new Map<number, GroupNode>();
  const names = new Map<string, number>();
  const backreferences: { group: number; at: GroupNode }[] = [];
  const forward: number[] = [];
  let groups = 0;
  // Atomic groups and possessive quantifiers: `(?=(X))\k` matches X once, as the first way it matches, and keeps it.
  let atomics = 0;
  const atomic = (body: string): string => {
    const name = `_${++atomics}`;
    return `(?:(?=(?<${name}>${body}))\\k<${name}>)`;
  };
  let out = '';
  // Whether Java searches with StartS (Pattern.hasSupplementary): set by the predicates that are no BMP ones.
  let wide = false;
  // Where the last atom (what a quantifier applies to) starts in `out`, and its group if it is one.
  let atomStart = 0;
  let lastGroup: GroupNode | null = null;
  let quantified = false;
  // Whether the last atom is `\R`, the one escape that matches in two ways (`\r\n`, or `\r` alone).
  let lineBreak = false;
  // Whether an atom stands before a quantifier here, whether it can match empty, whether its branch could before it.
  let ready = false;
  let lastEmpty = false;
  let emptyBefore = true;
  const atomRead = (canBeEmpty: boolean): void => {
    const branch = current();
    emptyBefore = branch.branchEmpty;
    branch.branchEmpty &&= canBeEmpty;
    lastEmpty = canBeEmpty;
    ready = true;
  };
  // JavaScript matches a lookbehind backwards: the lookahead that stands for an atomic group would come too late.
  const inLookbehind = (): boolean => open.some((g) => g.lookbehind);
  const atomicBehind = (): JavaRegexError =>
    new JavaRegexError(
      'an atomic group, a possessive quantifier or a repeated \\R inside a lookbehind has no JavaScript equivalent',
    );
  for (;;) {
    i = skipIgnored(pattern, i, flags);
    if (i >= pattern.length) break;
    const c = pattern[i]!;
    const here = out.length;
    const closed = lastGroup;
    lastGroup = null;
    const afterQuantifier = quantified;
    quantified = false;
    const repeatsLineBreak = lineBreak;
    lineBreak = false;
    if (c === '\\') {
      atomStart = here;
      const ref = readBackreference(pattern, i, groups, names);
      if (ref) {
        // A group not opened yet: Java fails the backreference where the group is unset, and uses a value that a
        // failed attempt left in it where it is not (measured); only a group the pattern never has is plain.
        if (ref.group > groups) {
          forward.push(ref.group);
          out += '(?:(?!))';
          atomRead(true);
          i = ref.end;
          continue;
        }
        if (flags.ignoreCase && !caseless(bodies.get(ref.group)))
          throw new JavaRegexError(
            'a backreference where case is ignored, to a group that can match a letter, has no JavaScript equivalent',
          );
        if (!bodies.has(ref.group))
          throw new JavaRegexError(
            `a backreference to group ${ref.group} before the group closes has no JavaScript equivalent`,
          );
        backreferences.push({ group: ref.group, at: current() });
        out += `\\k<${groupName(ref.group)}>`;
        atomRead(true);
        i = ref.end;
        continue;
      }
      const e = readEscape(pattern, i, flags, false);
      out += 'cp' in e ? literal(e.cp, flags) : 'set' in e ? setSource(e.set) : e.source;
      wide ||= 'cp' in e ? wideLiteral(e.cp, flags) : e.wide === true;
      atomRead(!('cp' in e) && /^\\[bBAzZG]/.test(pattern.slice(i, i + 2)));
      lineBreak = pattern[i + 1] === 'R';
      current().lineBreak ||= lineBreak;
      i = e.end;
      continue;
    }
    if (c === '[') {
      atomStart = here;
      const cls = translateClass(pattern, i, flags);
      out += cls.source;
      wide ||= cls.wide;
      atomRead(false);
      i = cls.end;
      continue;
    }
    if (c === '(') {
      const a = ahead(pattern, i, flags);
      const node = newNode(current());
      ready = false;
      const inline = /^\(\?([a-zA-Z]*)(?:-([a-zA-Z]*))?([):])/.exec(a.text);
      if (inline) {
        if (inline[3] === ':')
          open.push({ flags, group: null, close: ')', outStart: here, node, lookbehind: false, lookaround: false });
        flags = applyFlags(flags, inline[1]!, inline[2] ?? '');
        if (inline[3] === ':') out += '(?:';
        i = a.at[inline[0].length]!;
        continue;
      }
      const head = /^\((?:\?(?:[=!>]|<[=!]|<[a-zA-Z][a-zA-Z0-9]*>))?/.exec(a.text)![0];
      i = a.at[head.length]!;
      node.keepsFailed = /^\(\?(?:[=!>]|<[=!])/.test(head);
      node.optional = head === '(?!' || head === '(?<!';
      if (head === '(' || /^\(\?<[a-zA-Z]/.test(head)) {
        const n = ++groups;
        if (head !== '(') {
          const name = head.slice(3, -1);
          if (names.has(name)) throw new JavaRegexError(`Named capturing group <${name}> is already defined`);
          names.set(name, n);
        }
        nodes.set(n, node);
        open.push({
          flags,
          group: { n, start: i },
          close: ')',
          outStart: here,
          node,
          lookbehind: false,
          lookaround: false,
        });
        out += `(?<${groupName(n)}>`;
      } else if (head === '(?>') {
        if (inLookbehind()) throw atomicBehind();
        open.push({ flags, group: null, close: '', outStart: here, node, lookbehind: false, lookaround: false });
      } else {
        open.push({
          flags,
          group: null,
          close: ')',
          outStart: here,
          node,
          lookbehind: head.startsWith('(?<'),
          lookaround: true,
        });
        out += head;
      }
      continue;
    }
    if (c === ')') {
      const group = open.pop();
      if (!group) throw new JavaRegexError("Unmatched closing ')'");
      flags = group.flags;
      if (group.group) bodies.set(group.group.n, pattern.slice(group.group.start, i));
      out += group.close;
      if (group.close === '') out = out.slice(0, group.outStart) + atomic(out.slice(group.outStart));
      atomStart = group.outStart;
      lastGroup = group.node;
      // A lookaround's body is no part of Java's study of the group around it (an atomic group's is).
      if (!group.lookaround) {
        current().choice ||= group.node.choice;
        current().lineBreak ||= group.node.lineBreak;
      }
      atomRead(group.lookaround || group.node.anyEmpty || group.node.branchEmpty);
      i++;
      continue;
    }
    const quantifier = readQuantifier(pattern, i, flags);
    if (quantifier) {
      if (afterQuantifier && quantifier.source.startsWith('{'))
        throw new JavaRegexError('a counted repetition right after another quantifier has no JavaScript equivalent');
      if (afterQuantifier) throw new JavaRegexError(`Dangling meta character '${c}'`);
      if (!ready)
        throw new JavaRegexError('a quantifier with nothing before it to repeat has no JavaScript equivalent');
      // Java takes an optional iteration that matched empty (and ends a loop there); JavaScript refuses that
      // iteration and backtracks into the group for a longer match.
      if (closed && quantifier.max > quantifier.min && lastEmpty)
        throw new JavaRegexError(
          'an optional or repeated group that can match the empty string has no JavaScript equivalent',
        );
      // Java's Loop (a group repeated greedily or lazily) ends at an iteration that matched empty even before its
      // minimum count; JavaScript goes on to the next one (`(?<n>.*?){2}\b` keeps a different group). An atomic group
      // or a lookaround (keepsFailed here) repeats as one atom, and a possessive quantifier as Curly: no such stop.
      if (closed && !closed.keepsFailed && lastEmpty && quantifier.min >= 2 && !quantifier.possessive)
        throw new JavaRegexError(
          'a group repeated at least twice that can match the empty string has no JavaScript equivalent',
        );
      current().branchEmpty = emptyBefore && (quantifier.min === 0 || lastEmpty);
      if (quantifier.possessive && inLookbehind()) throw atomicBehind();
      quantified = true;
      if (closed) {
        closed.optional ||= quantifier.min === 0;
        closed.repeated ||= quantifier.max > 1;
        closed.keepsFailed ||= quantifier.possessive;
      }
      let atom = out.slice(atomStart);
      // Java repeats any atom; JavaScript refuses a quantifier straight after a lookbehind (`^` is one here).
      if (/^\(\?<[=!]/.test(atom)) atom = `(?:${atom})`;
      // Java takes each repetition as the first way it matches, never backtracking into it for a later one, under a
      // possessive quantifier of a group (Curly POSSESSIVE: `(?:a|ab){2}+c` fails on `abac`, `(?>(?:a|ab){2})c`
      // matches), any quantifier of `\R` (Curly, Ques: `\R{2}` never reads one `\r\n` as two breaks) and of a group
      // holding a `\R` with no choice in it (GroupCurly).
      const groupCurly = closed !== null && closed.lineBreak && !closed.choice;
      if ((quantifier.possessive && closed) || repeatsLineBreak || groupCurly) {
        if (inLookbehind()) throw atomicBehind();
        atom = atomic(atom);
      }
      if (quantifier.min !== quantifier.max) current().choice = true;
      out =
        out.slice(0, atomStart) + (quantifier.possessive ? atomic(atom + quantifier.source) : atom + quantifier.source);
      i = quantifier.end;
      continue;
    }
    atomStart = here;
    if (c === '|') ready = false;
    else atomRead(c === '^' || c === '$');
    const terminators = flags.unixLines ? String.raw`\n` : String.raw`\n\r\u0085\u2028\u2029`;
    if (c === '.') out += anyBut(flags.dotAll ? '' : terminators);
    else if (c === '^') {
      const after = flags.unixLines ? '(?<=\\n)' : String.raw`(?<=[\n\u0085\u2028\u2029]|\r(?!\n))`;
      // Pattern.Caret: under (?m) `^` never matches at the end of the input, not even of an empty one.
      out += flags.multiLine ? String.raw`(?:(?:${START}|${after})(?=[\s\S]))` : START;
    } else if (c === '$') out += dollar(flags);
    else if (c === '|') {
      const branch = current();
      branch.alternation = true;
      branch.choice = true;
      branch.anyEmpty ||= branch.branchEmpty;
      branch.branchEmpty = true;
      out += c;
    } else if (c === ',' || c === '}' || /[0-9]/.test(c)) out += c;
    else {
      const cp = pattern.codePointAt(i)!;
      out += literal(cp, flags);
      wide ||= wideLiteral(cp, flags);
      i += String.fromCodePoint(cp).length;
      continue;
    }
    i++;
  }
  if (open.length > 0) throw new JavaRegexError('Unclosed group');
  const early = forward.find((n) => n <= groups);
  if (early !== undefined)
    throw new JavaRegexError(`a backreference to group ${early} before the group opens has no JavaScript equivalent`);
  // Where Java and JavaScript keep different values in a group: Java keeps a value caught inside an atomic group, a
  // possessive quantifier or a lookaround in an attempt that failed later, and keeps a group's value from an earlier
  // repetition where a later one skips it (JavaScript forgets both). It shows where the group may be unset, and where
  // such a construct repeats: a later repetition that fails after it caught leaves its value (Java's group 1 of
  // `(?:(?>([a-z]))1)*` on `a1b2` is `b`, JavaScript's `a`).
  const unreliable = new Map<number, string>();
  for (const [n, node] of nodes) {
    const chain = ancestors(node);
    const keeping = chain.findIndex((g) => g.keepsFailed);
    if (keeping >= 0 && mayBeUnset(node, null))
      unreliable.set(n, `group ${n} may be unset inside an atomic group, possessive quantifier or lookaround`);
    else if (keeping >= 0 && chain.slice(keeping + 1).some((g) => g.repeated))
      unreliable.set(
        n,
        `group ${n} may keep what an atomic group, possessive quantifier or lookaround caught in a later repetition that failed`,
      );
    else if (chain.slice(1).some((g) => g.repeated && mayBeUnset(node, g)))
      unreliable.set(n, `group ${n} may be skipped by a later repetition of the group around it`);
  }
  for (const ref of backreferences) {
    const node = nodes.get(ref.group)!;
    const shared = new Set(ancestors(ref.at));
    const common = ancestors(node).find((g) => shared.has(g)) ?? root;
    const why = unreliable.get(ref.group);
    if (why !== undefined || mayBeUnset(node, common))
      throw new JavaRegexError(
        `a backreference to group ${ref.group}, which may be unset there (${why ?? 'Java then fails it, JavaScript matches it empty'}), ` +
          'has no JavaScript equivalent',
      );
  }
  try {
    // Java searches with StartS where the pattern has a predicate beyond the BMP: it steps over the low half of a
    // pair (a search may still start there, after an empty match: javaReplacer runs `sticky` then).
    if (!wide) return { re: new RegExp(out, 'g'), groups, names, unreliable };
    const guarded = String.raw`(?<![\ud800-\udbff](?=[\udc00-\udfff]))(?:${out})`;
    return { re: new RegExp(guarded, 'g'), groups, names, unreliable, sticky: new RegExp(out, 'y') };
  } catch (e) {
    throw new JavaRegexError((e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, ''));
  }
}

/**
 * The backreference at `i` (a backslash), if one stands there: `\\k<name>`, or `\\n` with as many digits as still
 * name a group the pattern has opened so far (Pattern.ref).
 */
function readBackreference(
  pattern: string,
  i: number,
  groups: number,
  names: Map<string, number>,
): { group: number; end: number } | null {
  const named = /^\\k<([a-zA-Z][a-zA-Z0-9]*)>/.exec(pattern.slice(i, i + 40));
  if (named) {
    const n = names.get(named[1]!);
    if (n === undefined) throw new JavaRegexError(`named capturing group <${named[1]}> does not exist`);
    return { group: n, end: i + named[0].length };
  }
  if (!/[1-9]/.test(pattern[i + 1] ?? '')) return null;
  let n = Number(pattern[i + 1]);
  let end = i + 2;
  while (/[0-9]/.test(pattern[end] ?? '') && n * 10 + Number(pattern[end]) <= groups)
    n = n * 10 + Number(pattern[end++]);
  return { group: n, end };
}

/** The quantifier at `i` if one stands there (`*` `+` `?` `{n}` `{n,}` `{n,m}`, then `?` lazy or `+` possessive). */
function readQuantifier(
  pattern: string,
  i: number,
  flags: Flags,
): { source: string; min: number; max: number; possessive: boolean; end: number } | null {
  const a = ahead(pattern, i, flags);
  // Java reads `{` only as a counted repetition, a digit right after it (JavaScript would take `{x` literally).
  if (pattern[i] === '{' && !/[0-9]/.test(pattern[i + 1] ?? '')) throw new JavaRegexError('Illegal repetition');
  let q = /^(?:[*+?]|\{[0-9]+(?:,[0-9]*)?\})/.exec(a.text)?.[0];
  if (q === undefined) return null;
  const counts = /^\{([0-9]+)(,([0-9]*))?\}$/.exec(q);
  const min = counts ? Number(counts[1]) : q === '+' ? 1 : 0;
  const max = counts
    ? counts[2] === undefined
      ? min
      : counts[3]
        ? Number(counts[3])
        : Infinity
    : q === '?'
      ? 1
      : Infinity;
  const mode = a.text[q.length];
  const possessive = mode === '+';
  if (mode === '?') q += '?';
  return { source: q, min, max, possessive, end: a.at[q.length + (possessive ? 1 : 0)]! };
}

/**
 * A Java class as Pattern.clazz builds it, before it is a set: single characters below U+0100 go into one shared
 * BitClass that later characters of the same class still add to (also where an `&&` has already used it), the rest
 * are sets; unions, intersections and the negation of the whole are applied once the class is read.
 */
type ClassPart =
  | { set: CodePointSet }
  | { bits: Set<number> }
  | { union: [ClassPart, ClassPart] }
  | { and: [ClassPart, ClassPart] }
  | { not: ClassPart };

function classSet(part: ClassPart): CodePointSet {
  if ('set' in part) return part.set;
  if ('bits' in part) return setOf([...part.bits].map((c) => [c, c] as const));
  if ('union' in part) return union(classSet(part.union[0]), classSet(part.union[1]));
  if ('and' in part) return intersect(classSet(part.and[0]), classSet(part.and[1]));
  return complement(classSet(part.not));
}

/**
 * The Java character class at `i` (its `[`) as JavaScript source, and where it ends: its set of code points computed
 * the way Pattern.clazz reads it (nested classes are unions, `&&` intersects, a leading `^` negates the whole), then
 * written by setSource. A member given by its code (`\x41`, `\u0061`, `\Qa\E`) is a literal like a typed one: a
 * range's end, and case-folded where case is ignored.
 */
function translateClass(pattern: string, start: number, flags: Flags): { source: string; end: number; wide: boolean } {
  let i = start + 1;
  // Whether Java's predicate for the class is no BMP one (a negation, a property, a case-insensitive range…).
  let wide = false;
  const skip = (at: number): number => skipIgnored(pattern, at, flags);
  const unicode = unicodeFold(flags);
  /** A character as Pattern.bitsOrSingle adds it: into the BitClass below U+0100 (bar a few that fold beyond). */
  const single = (cp: number, bits: Set<number>): ClassPart | null => {
    const all = flags.ignoreCase ? [cp, ...javaOtherCases(cp, unicode)] : [cp];
    const foldsOut =
      flags.ignoreCase && unicode && [0xff, 0xb5, 0x49, 0x69, 0x53, 0x73, 0x4b, 0x6b, 0xc5, 0xe5].includes(cp);
    if (cp < 0x100 && !foldsOut) {
      for (const c of all) bits.add(c);
      return null;
    }
    wide ||= wideLiteral(cp, flags);
    return { set: setOf(all.map((c) => [c, c] as const)) };
  };
  /** One member read at `i` (Pattern.range): a character, a range, or a set such as `\d` or `\p{L}`. */
  const readMember = (): { cp: number } | { set: CodePointSet } => {
    if (pattern[i] === '\\') {
      const e = readEscape(pattern, i, flags, true);
      i = e.end;
      if ('cp' in e) return { cp: e.cp };
      if ('set' in e) {
        wide ||= e.wide === true;
        return { set: e.set };
      }
      throw new JavaRegexError(`Illegal/unsupported escape sequence ${pattern.slice(i - 2, i)}`);
    }
    const cp = pattern.codePointAt(i)!;
    i += String.fromCodePoint(cp).length;
    return { cp };
  };
  const range = (bits: Set<number>): ClassPart | null => {
    const member = readMember();
    if ('set' in member) return { set: member.set };
    i = skip(i);
    // A `-` makes a range unless `]` or `[` follows it (Java looks at the very next character).
    if (pattern[i] === '-' && pattern[i + 1] !== ']' && pattern[i + 1] !== '[' && i + 1 < pattern.length) {
      i = skip(i + 1);
      const hi = readMember();
      if ('set' in hi || hi.cp < member.cp) throw new JavaRegexError('Illegal character range');
      const lo = member.cp;
      const others = flags.ignoreCase ? javaRangeOtherCases(lo, hi.cp, unicode) : [];
      wide ||= flags.ignoreCase || hi.cp > 0xffff || (hi.cp >= 0xd800 && lo <= 0xdfff);
      return { set: setOf([[lo, hi.cp], ...others.map((c) => [c, c] as const)]) };
    }
    return single(member.cp, bits);
  };
  const clazz = (consume: boolean): ClassPart => {
    let prev: ClassPart | null = null;
    let curr: ClassPart | null = null;
    const bits = new Set<number>();
    const bitsPart: ClassPart = { bits };
    let hasBits = false;
    let negated = false;
    i = skip(i);
    if (pattern[i] === '^' && pattern[i - 1] === '[') {
      negated = true;
      wide = true;
      i = skip(i + 1);
    }
    const takeBits = (): void => {
      // Pattern.clazz: characters read so far join the left side before `&&` (union binds tighter).
      if (!hasBits) return;
      if (prev === null) prev = curr = bitsPart;
      else prev = { union: [prev, bitsPart] };
      hasBits = false;
    };
    for (;;) {
      if (i >= pattern.length) throw new JavaRegexError('Unclosed character class');
      const c = pattern[i]!;
      if (c === '[') {
        i++;
        curr = clazz(true);
        prev = prev === null ? curr : { union: [prev, curr] };
        i = skip(i);
        continue;
      }
      if (c === '&' && pattern[skip(i + 1)] === '&') {
        i = skip(skip(i + 1) + 1);
        let right: ClassPart | null = null;
        while (pattern[i] !== ']' && pattern[i] !== '&') {
          if (pattern[i] === '[') {
            i++;
            const nested = clazz(true);
            right = right === null ? nested : { union: [right, nested] };
          } else {
            // Characters after `&&` (`[a-z&&b-d]`): a class of their own up to the `]`, joined to what precedes it.
            takeBits();
            const rest = clazz(false);
            right = right === null ? rest : { union: [right, rest] };
          }
          i = skip(i);
        }
        takeBits();
        if (right !== null) curr = right;
        if (prev === null) {
          if (right === null) throw new JavaRegexError('Bad class syntax');
          prev = right;
        } else {
          // Java intersects with the last member read; where that was a character of the BitClass it has none.
          if (curr === null) throw new JavaRegexError('this class intersection has no JavaScript equivalent');
          prev = { and: [prev, curr] };
        }
        continue;
      }
      // Under (?x) a lone `&` followed by what (?x) skips is lost: Java's parser steps back one character only after
      // looking past the skipped text, and reads the next character as a member, even a `]` or `[` (Pattern.clazz).
      const past = c === '&' ? skip(i + 1) : i + 1;
      if (past > i + 1) {
        if (past >= pattern.length) throw new JavaRegexError('Unclosed character class');
        i = past;
      } else if (c === ']' && (prev !== null || hasBits)) {
        if (consume) i++;
        const whole: ClassPart = prev === null ? bitsPart : hasBits ? { union: [prev, bitsPart] } : prev;
        return negated ? { not: whole } : whole;
      }
      curr = range(bits);
      if (curr === null) hasBits = true;
      else prev = prev === null ? curr : { union: [prev, curr] };
      i = skip(i);
    }
  };
  const part = clazz(true);
  return { source: setSource(classSet(part)), end: i, wide };
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

/** A Java replacement string read once: literal text and group references (by Java number), in order. */
type ReplacementPart = string | { group: number };

/** The parts of a Java replacement for a pattern with `groups` groups and `names`; JavaRegexError where Java throws. */
function parseReplacement(replacement: string, groups: number, names: Map<string, number>): ReplacementPart[] {
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
      parts.push({ group: names.get(name)! });
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

/**
 * Java's `input.replaceAll(pattern, replacement)`, with the pattern from javaRegex; compiled once, applied often.
 * JavaRegexError for a pattern Java rejects or Slipway cannot translate; for a replacement Java rejects, the
 * replacer throws it where the pattern first matches, as Java does (a visitor that never matches never fails).
 */
export function javaReplacer(pattern: string, replacement: string): (input: string) => string {
  const { re, groups, names, unreliable, sticky } = translate(pattern);
  let parts: ReplacementPart[] | JavaRegexError;
  try {
    parts = parseReplacement(replacement, groups, names);
  } catch (e) {
    if (!(e instanceof JavaRegexError)) throw e;
    parts = e;
  }
  for (const part of parts instanceof JavaRegexError ? [] : parts) {
    const why = typeof part === 'string' ? undefined : unreliable.get(part.group);
    if (why !== undefined)
      throw new JavaRegexError(`the replacement's reference to ${why} has no JavaScript equivalent`);
  }
  const apply = (match: string, group: (n: number) => string | undefined): string => {
    // Matcher.appendReplacement reads the replacement at a match: Java fails only where the pattern matches.
    if (parts instanceof JavaRegexError) throw parts;
    return parts.map((p) => (typeof p === 'string' ? p : ((p.group === 0 ? match : group(p.group)) ?? ''))).join('');
  };
  if (sticky) return (input) => replaceStartS(input, re, sticky, (m) => apply(m[0], (n) => m.groups?.[groupName(n)]));
  return (input) =>
    input.replace(re, (...args: unknown[]) => {
      const last = args.at(-1);
      const named = typeof last === 'object' && last !== null ? (last as Record<string, string | undefined>) : {};
      return apply(args[0] as string, (n) => named[groupName(n)]);
    });
}

/**
 * Matcher.replaceAll where Java searches with StartS: each search (Matcher.find) starts where the last match ended,
 * one further after an empty one; one that starts on the low half of a pair tries that position too (`sticky`),
 * while `re` steps over such positions as StartS does.
 */
function replaceStartS(input: string, re: RegExp, sticky: RegExp, replace: (m: RegExpExecArray) => string): string {
  let out = '';
  let copied = 0;
  for (let from = 0; from <= input.length;) {
    let m: RegExpExecArray | null = null;
    const midPair = /[\ud800-\udbff]/.test(input[from - 1] ?? '') && /[\udc00-\udfff]/.test(input[from] ?? '');
    if (midPair) {
      sticky.lastIndex = from;
      m = sticky.exec(input);
    }
    if (!m) {
      re.lastIndex = from;
      m = re.exec(input);
    }
    if (!m) break;
    out += input.slice(copied, m.index) + replace(m);
    copied = m.index + m[0].length;
    from = m[0].length === 0 ? copied + 1 : copied;
  }
  return out + input.slice(copied);
}
