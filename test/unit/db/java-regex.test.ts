import { describe, expect, it } from 'vitest';
import { javaReplacer, JavaRegexError } from '../../../src/db/changelog/java-regex.js';

// Every expectation is what Java 17 (the JVM the Liquibase 4.28 oracle runs on) printed for
// `input.replaceAll(pattern, replacement)`, measured with a throw-away `java J.java` on 2026-12-06.
const cases: [input: string, pattern: string, replacement: string, java: string][] = [
  ['abc\n', '$', 'X', 'abcX\nX'],
  ['a\nb\n', '(?m)$', 'X', 'aX\nbX\nX'],
  ['a\nb', '(?m)^', 'X', 'Xa\nXb'],
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
];

describe('javaReplacer: String.replaceAll as Java 17 runs it', () => {
  it.each(cases)('%j.replaceAll(%j, %j)', (input, pattern, replacement, java) => {
    expect(javaReplacer(pattern, replacement)(input)).toBe(java);
  });

  it('refuses the replacements Java refuses, with Java’s reason', () => {
    expect(() => javaReplacer('(a)', '$2')).toThrow(new JavaRegexError('No group 2'));
    expect(() => javaReplacer('(a)', '$')).toThrow('Illegal group reference: group index is missing');
    expect(() => javaReplacer('(a)', '\\')).toThrow('character to be escaped is missing');
    expect(() => javaReplacer('(a)', '$x')).toThrow('Illegal group reference');
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

  it('refuses what JavaScript cannot match the same way instead of matching differently', () => {
    // Java runs them all (atomic group, possessive quantifier, a backreference that ignores case…); JavaScript cannot.
    for (const p of ['(?>x)', 'x++', '(?i)(a)\\1', '[a[b]]', '[a&&b]', String.raw`\p{Alpha}`]) {
      expect(() => javaReplacer(p, 'y'), p).toThrow(JavaRegexError);
    }
  });
});
