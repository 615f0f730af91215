import { describe, expect, it } from 'vitest';
import { javaReplacer, JavaRegexError } from '../../../src/db/changelog/java-regex.js';

// Every expectation is what Java 17 (the JVM the Liquibase 4.28 oracle runs on) printed for
// `input.replaceAll(pattern, replacement)`, measured with a throw-away `java J.java` on 2026-12-06.
const cases: [input: string, pattern: string, replacement: string, java: string][] = [
  ['abc\n', '$', 'X', 'abcX\nX'],
  ['a\nb\n', '(?m)$', 'X', 'aX\nbX\nX'],
  ['a\nb', '(?m)^', 'X', 'Xa\nXb'],
  ['', '(?m)^', 'X', ''],
  ['a\nb', '(?m)^+', '<$0>', '<>a\n<>b'],
  ['ab', '(?m)^*+', '<$0>', '<>a<>b<>'],
  ['a\nb', '.', 'X', 'X\nX'],
  ['a\nb', '(?s).', 'X', 'XXX'],
  ['ab', String.raw`\Ab`, 'X', 'ab'],
  ['ab\n', String.raw`b\Z`, 'X', 'aX\n'],
  ['ab\n', String.raw`b\z`, 'X', 'ab\n'],
  ['a\u00a0b c', String.raw`\s`, '_', 'a\u00a0b_c'],
  ['a\tb c', String.raw`\h`, '_', 'a_b_c'],
  ['xay', '(a)', '$10', 'xa0y'],
  ['xay', '(a)', '[$0]', 'x[a]y'],
  ['xay', '(?<n>a)', '${n}${n}', 'xaay'],
  ['xay', '(a)', String.raw`\$1\\`, String.raw`x$1\y`],
  ['a]b', '[]]', 'X', 'aXb'],
  ['a^b', '[^]a]', 'X', 'aXX'],
  ['AbC', '(?i)b', 'x', 'AxC'],
  ['a.b', String.raw`\Q.\E`, '!', 'a!b'],
  ['a\x07b\x1bc', String.raw`\a|\e`, 'X', 'aXbXc'],
  // Inline flags past the start (measured 2026-12-07, same way): they hold to the end of their group and across `|`,
  // `(?i:…)` only inside, `(?-i)` switches off; the case fold is ASCII-only unless (?u) is on.
  ['abAB', 'a(?i)b', 'X', 'XAB'],
  ['aBAb', '(a(?i)b)B|b', 'X', 'aBAX'],
  ['xaXA', 'x(?i:a)', 'Y', 'YXA'],
  ['AaBb', '(?i)a(?-i)b|B', '_', 'Aa_b'],
  ['\u00e9\u00c9', '(?i)\u00c9', '_', '\u00e9_'],
  ['\u00e9\u00c9', '(?iu)\u00c9', '_', '__'],
  ['kK_', '(?i)[^A-Z]', '-', 'kK-'],
  ['jJ', String.raw`(?i)\x6a`, '_', '__'],
  ['gO\nGo', String.raw`\n(?i)go|(?i:O)`, '.', 'g..'],
  ['a.b', String.raw`(?i)\QA.\E`, '_', '_b'],
  ['aBc', '(?i)[b]', '_', 'a_c'],
  ['ZzAa_', '(?i)[Y-a]', '.', '.....'],
  ['Aa', '(?s-i).A', '_', 'Aa'],
  // (?x) (whitespace and # comments skipped, in classes too), (?d), (?U), code points beyond U+FFFF as one atom, Java's
  // own Unicode case table under (?iu) (Kelvin sign, long s, dotless i) and class ranges whose ends are escapes
  // (measured 2026-12-07 with the same throw-away program, Java 17.0.15).
  ['a b#c\nd', '(?x) a \\  b # comment\n', 'X', 'X#c\nd'],
  ['a b', '(?x)[a ]', 'X', 'X b'],
  ['aab', '(?x)a{2 }b', 'X', 'X'],
  ['ab', '(?x)( ?i)A', 'X', 'Xb'],
  ['a b', '(?x)\\Q \\E', 'X', 'aXb'],
  ['a b', '(?x:a b)| ', 'X', 'aXb'],
  ['a\tb', '(?x)a\\tb', 'X', 'X'],
  ['ab#', '(?x)ab\\#', 'X', 'X'],
  ['ab', '(?x)a#c\rb', 'X', 'X'],
  ['a\u0085b', '(?x)a#c\u0085b', 'X', 'X'],
  ['a\u00a0b', '(?x)a\u00a0b', 'X', 'X'],
  ['a-b', '(?x)[a - b]', 'X', 'X-X'],
  ['a-b c', '(?x)[^ a]', 'X', 'aXXXX'],
  ['aa', '(?x)(a) \\1', 'X', 'X'],
  ['a\nb\r\nc\rd\u0085e', '(?d).', 'X', 'X\nXX\nXXXXX'],
  ['a\nb\rc', '(?dm)$', 'X', 'aX\nb\rcX'],
  ['a\nb\rc', '(?dm)^', 'X', 'Xa\nXb\rc'],
  ['a\r', '(?d)a$', 'X', 'a\r'],
  ['a\n', '(?d)a\\Z', 'X', 'X\n'],
  ['a\rb', '(?d:a.b)|\r', 'X', 'X'],
  ['ab\r', '(?dx)b#\rc\n$', 'X', 'ab\r'],
  ['\ud800\udc00\ud800\udc00x', '\\x{10000}+', 'X', 'Xx'],
  ['\ud800\udc00x', '\\x{10000}|x', 'X', 'XX'],
  ['\ud801\udc00\ud801\udc28', '(?iu)\\x{10400}', 'X', 'XX'],
  ['\ud801\udc00\ud801\udc28', '(?i)\\x{10400}', 'X', 'X\ud801\udc28'],
  ['\ud83d\ude00\ud83d\ude00a', '\ud83d\ude00+', 'X', 'Xa'],
  ['\ud83d\ude00a', '.', 'X', 'XX'],
  ['\ud83d\ude00a', '[^a]', 'X', 'Xa'],
  ['\ud83d\ude00a', '\\S', 'X', 'XX'],
  ['kK\u212a', '(?iu)k', 'X', 'XXX'],
  ['kK\u212a', '(?iu)\u212a', 'X', 'XXX'],
  ['kK\u212a', '(?i)\u212a', 'X', 'kKX'],
  ['sS\u017f', '(?iu)\u017f', 'X', 'XXX'],
  ['sS\u017f', '(?iu)[s]', 'X', 'XXX'],
  ['sS\u017fkK\u212a', '(?iu)[A-Z]', 'X', 'XXXXX\u212a'],
  ['iI\u0130\u0131', '(?iu)\u0131', 'X', 'XXXX'],
  ['\u00df\u1e9e', '(?iu)\u00df', 'X', 'X\u1e9e'],
  ['\u00e0\u00c0\u00e4', '(?iu)[\u00e0-\u00e3]', 'X', 'XX\u00e4'],
  ['ABab', '(?i)[\\x41-Z]', 'X', 'XXXX'],
  ['ABab', '(?i)[\\u0061-z]', 'X', 'XXXX'],
  ['ABab', '(?i)[\\Qa\\E-z]', 'X', 'XXXX'],
  ['\t\n\r', '[\\t-\\r]', 'X', 'XXX'],
  ['a\u00e9\u00c9', '(?U)(?i)\u00e9', 'X', 'aXX'],
  ['a\u00a0 \u2028\u0085\u180e', '(?U)\\s', 'X', 'aXXXX\u180e'],
  ['a\u00a0 \u2028\u0085\u180e', '(?U:[\\s])|\u180e', 'X', 'aXXXXX'],
  ['a\u000bb\nc\u0085', '\\v', 'X', 'aXbXcX'],
  ['a\u000bb\nc\u0085', '[^\\v]', 'X', 'X\u000bX\nX\u0085'],
  // Java 17's \b calls every Character.isLetterOrDigit code point a word character (and a non-spacing mark after
  // one), though its \w is ASCII-only; JavaScript's \b is ASCII-only (measured 2026-12-07, Java 17.0.15).
  ['a\u00e9 b', '\\b', '|', '|a\u00e9| |b|'],
  ['a\u00e9 b', '\\B', '|', 'a|\u00e9 b'],
  ['int \u00e9int int_x x1int \u0436int', '\\bint\\b', 'X', 'X \u00e9int int_x x1int \u0436int'],
  ['e\u0301t e\u0301', '\\b', '|', '|e\u0301t| |e\u0301|'],
  ['_\u0301a', '\\b', '|', '|_|\u0301|a|'],
  [' \u0301a', '\\b', '|', ' \u0301|a|'],
  ['\ud835\udc00b c', '\\b', '|', '|\ud835\udc00b| |c|'],
  ['\u0663x 1', '\\b', '|', '|\u0663x| |1|'],
  ['ab cd', '(?i)\\bC', 'X', 'ab Xd'],
  ['a.b', '\\B', '|', 'a.b'],
  // A backreference where case is ignored, to a group that can match no letter: the same text either way.
  ['12-12 12-13', '(?i)(\\d+)-\\1', 'X', 'X 12-13'],
  ['a1a1', '(?i)a(\\d)a\\1', 'X', 'X'],
  ['1 1', '(?i)(\\d)(\\s)\\1', 'X', 'X'],
  ['--', '(?iu)(-)\\1', 'X', 'X'],
  ['12-12', '(?i)(?<n>\\d+)-\\k<n>', 'X', 'X'],
  ['11', '(?i)(\\d)\\1', 'X', 'X'],
];

describe('javaReplacer: String.replaceAll as Java 17 runs it', () => {
  it.each(cases)('%j.replaceAll(%j, %j)', (input, pattern, replacement, java) => {
    expect(javaReplacer(pattern, replacement)(input)).toBe(java);
  });

  it('refuses the replacements Java refuses, with Java’s reason, where the pattern matches (as Java does)', () => {
    expect(() => javaReplacer('(a)', '$2')('xa')).toThrow(new JavaRegexError('No group 2'));
    expect(() => javaReplacer('(a)', '$')('xa')).toThrow('Illegal group reference: group index is missing');
    expect(() => javaReplacer('(a)', '\\')('xa')).toThrow('character to be escaped is missing');
    expect(() => javaReplacer('(a)', '$x')('xa')).toThrow('Illegal group reference');
    // Matcher.appendReplacement reads the replacement at a match: no match, no error (Java 17 printed "xb").
    expect(javaReplacer('(a)', '$2')('xb')).toBe('xb');
  });

  it('refuses a backslash before a letter that names nothing, as Java does (JavaScript reads the letter)', () => {
    for (const p of [
      String.raw`\q`,
      String.raw`\E`,
      String.raw`\y`,
      String.raw`[\q]`,
      String.raw`\i`,
      String.raw`\C`,
    ]) {
      expect(() => javaReplacer(p, 'y'), p).toThrow('Illegal/unsupported escape sequence');
    }
  });

  it('refuses a brace that starts no counted repetition, as Java does (JavaScript reads it literally)', () => {
    for (const p of ['a{x}', '(?x)a{ 2}b']) expect(() => javaReplacer(p, 'y'), p).toThrow('Illegal repetition');
    expect(() => javaReplacer(String.raw`[\b]`, 'y')).toThrow(JavaRegexError);
  });

  it('refuses what JavaScript cannot match the same way instead of matching differently', () => {
    // Java runs them all (atomic group, possessive quantifier, a backreference that ignores case…); JavaScript cannot.
    for (const p of [
      '(?i)(a)\\1',
      '(?i)(.)\\1',
      String.raw`(?i)(?<n>[a-z])\k<n>`,
      String.raw`\N{LATIN SMALL LETTER ſHARP S}`,
    ]) {
      expect(() => javaReplacer(p, 'y'), p).toThrow(JavaRegexError);
    }
  });

  it('matches Unicode properties, class set operations and (?U) classes as Java 17 does (answers from Java)', () => {
    for (const [p, input, out] of [
      ['[a[b]]', 'abc', '##c'],
      ['[a-z&&[^aeiou]]', 'hello', '#e##o'],
      ['[a-z&&b-d&&c]', 'abcd', 'ab#d'],
      [String.raw`\p{L}+`, 'ab1\u00e9\u0436 2', '#1# 2'],
      [String.raw`\p{Lu}`, 'aB\u00c9', 'a##'],
      [String.raw`(?i)\p{Lu}`, 'aB1', '##1'],
      [String.raw`\p{IsLatin}+`, 'ab\u03b1\u0436', '#\u03b1\u0436'],
      [String.raw`\p{script=Cyrl}`, 'a\u0436', 'a#'],
      [String.raw`\p{InGreek}`, 'a\u03b1', 'a#'],
      [String.raw`\p{block=Greek and Coptic}`, 'a\u03b1', 'a#'],
      [String.raw`\p{general_category=Nd}`, 'a1\u0663', 'a##'],
      [String.raw`\p{IsAlphabetic}`, 'a1', '#1'],
      [String.raw`\p{javaLowerCase}`, 'aB', '#B'],
      [String.raw`(?U)\p{Alpha}`, 'a\u00e91', '##1'],
      [String.raw`[\P{Alpha}]`, 'a1', 'a#'],
      [String.raw`[\x{10000}]`, 'a\u{10000}', 'a#'],
      [String.raw`[^a]`, '\u{1F600}', '#'],
      [String.raw`(?U)\w+`, '\u00e9a_1 \u0436', '# #'],
      [String.raw`(?U)\bx`, '\u00e9x x', '\u00e9x #'],
      [String.raw`\0101\011`, 'A\t', '#'],
    ] as const) {
      expect(javaReplacer(p, '#')(input), p).toBe(out);
    }
    expect(() => javaReplacer(String.raw`\p{IsNoSuchScript}`, 'y')).toThrow('Unknown character property name');
    expect(() => javaReplacer(String.raw`\p{InLatin 1 Supplement}`, 'y')).toThrow('Unknown character property name');
    expect(() => javaReplacer(String.raw`\p{sc=Nope}`, 'y')).toThrow('Unknown Unicode property');
    expect(() => javaReplacer('[&&]', 'y')).toThrow('Bad class syntax');
    expect(javaReplacer('[&&a]', '#')('ab')).toBe('#b');
  });
});
