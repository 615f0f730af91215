import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { javaReplacer, JavaRegexError } from '../../src/db/changelog/java-regex.js';
import { javaReplaceAll, type JavaReplaceResult } from '../helpers/java-regex-oracle.js';
import { randomInput, randomPattern, randomReplacement } from '../helpers/java-regex-random.js';
import { seededRandom } from '../helpers/seeded-random.js';

// Slipway's translation of Java regular expressions (src/db/changelog/java-regex.ts) against real Java 17
// (String.replaceAll, as Liquibase's <regExpReplace> runs it): the same result, or an error where Java throws one.
// Slipway may refuse a pattern Java runs ("has no JavaScript equivalent") but never match it differently.

interface Case {
  pattern: string;
  input: string;
  replacement: string;
}

/** Slipway's answer in the oracle's shape; a refusal of what Java runs is told apart from Java's own errors. */
function slipway(c: Case): JavaReplaceResult | { refused: string } {
  try {
    return { ok: javaReplacer(c.pattern, c.replacement)(c.input) };
  } catch (e) {
    if (!(e instanceof JavaRegexError)) throw e;
    return / has no (?:exact )?JavaScript equivalent/.test(e.message) ? { refused: e.message } : { error: e.message };
  }
}

/** Whether Slipway's answer agrees with Java's: the same text, or both an error (the messages may differ). */
const agrees = (ours: JavaReplaceResult | { refused: string }, java: JavaReplaceResult): boolean =>
  'ok' in ours ? 'ok' in java && ours.ok === java.ok : 'error' in ours ? 'error' in java : true;

// Constructs Slipway translates since session 22, each with inputs where the JavaScript reading would differ.
const accepted: [pattern: string, input: string, replacement: string][] = [
  // Atomic groups and possessive quantifiers: no backtracking into them.
  ['(?>a|ab)c', 'abc ac', 'X'],
  ['(?>a+)a', 'aaa', 'X'],
  ['a*+a', 'aaa', 'X'],
  ['a++b', 'aab ab b', 'X'],
  ['(ab)?+b', 'abb ab', '<$0>'],
  ['[a-z]{1,3}+c', 'abcc abc', '#'],
  ['"(?:[^"\\\\]++|\\\\.)*+"', 'x "a\\"b" y', 'S'],
  ['(a)(?>(b)|c)(d)', 'abd acd', '$3$1'],
  ['(?<q>x)(?>y+)\\k<q>', 'xyyx xyx', '[${q}]'],
  ['(x)++y', 'xxy xy', '[$1]'],
  ['\\d++(?i:px)', '12PX 3px', 'N'],
  ['(?x) a ++ b', 'aab', 'X'],
  ['(a)\\10', 'aa0 a10', 'X'],
  ['(?:(a)|b)\\2', 'ab', 'X'],
  // Session 23: classes as sets (nested, intersected, beyond U+FFFF), Unicode properties, (?U) classes, octal.
  ['[a[b-c]]+', 'abcd', 'X'],
  ['[^a[b]]', 'abc\u{1F600}', 'X'],
  ['[a-z&&[^aeiou]]+', 'hello world', 'X'],
  ['[a-z&&b-d&&c]', 'abcd', 'X'],
  ['[a&&[b]&c]', 'abc&', 'X'],
  ['[\\w&&\\D]+', 'ab12_c', 'X'],
  ['[&&a]', 'ab', 'X'],
  ['[^\\P{L}\\d]+', 'a1-\u00e9', 'X'],
  ['[\\S&&[^a]]', 'a b\u{1F600}', 'X'],
  ['[\\x{1F600}-\\x{1F64F}]', 'a\u{1F600}\u{1F650}', 'X'],
  ['[\\x{10000}a]+', 'a\u{10000}\u{10001}', 'X'],
  ['\\p{L}+', 'ab1\u00e9\u0436 \u4e2d', 'X'],
  ['\\pL\\PL', 'a1b', 'X'],
  ['\\p{Lu}|\\p{IsLt}', 'aB\u01c5\u00c9', 'X'],
  ['(?i)\\p{Lu}', 'aB1', 'X'],
  ['\\p{IsLatin}+', 'ab\u03b1\u0436', 'X'],
  ['\\p{script=Cyrl}|\\p{sc=greek}', 'a\u0436\u03b1', 'X'],
  ['\\p{InGreek}|\\p{block=Cyrillic}|\\p{blk=BasicLatin}', 'a\u03b1\u0436\u00e9', 'X'],
  ['\\p{InGreek_and_Coptic}|\\p{InLatin-1 Supplement}', 'a\u03b1\u00e9', 'X'],
  ['\\p{general_category=Nd}|\\p{gc=Zs}', 'a1\u0663 \u00a0', 'X'],
  ['\\p{IsAlphabetic}|\\p{IsWhite_Space}|\\p{IsPunctuation}', 'a1 !\u00e9', 'X'],
  ['(?i)\\p{IsLowercase}', 'aB1', 'X'],
  ['\\p{javaLowerCase}\\p{javaUpperCase}', 'aBab', 'X'],
  ['(?i)\\p{javaLowerCase}', 'aB1', 'X'],
  ['(?U)\\p{Alpha}+', 'a\u00e91', 'X'],
  ['(?U)\\p{alpha}|(?U)\\p{Punct}', 'a!\u00a1', 'X'],
  ['(?iU)\\p{Lower}', 'aB\u00c9', 'X'],
  ['[\\P{Alpha}]', 'a1\u{1F600}', 'X'],
  ['(?U)\\w+', '\u00e9a_1 \u0436\u0301', 'X'],
  ['(?U)[\\W\\d]+', '\u00e9a_1 \u0663', 'X'],
  ['(?U)\\s+|(?U)\\S', 'a \u00a0\u2003b', 'X'],
  ['(?U)\\bx|(?U)\\Bx', '\u00e9x x \u0301x', 'X'],
  ['\\0101\\011|\\0377|\\0400', 'A\t\u00ff \u00200', 'X'],
];

describe('java-regex against real Java 17 (String.replaceAll)', () => {
  it('translates the newly accepted constructs exactly', () => {
    const cases = accepted.map(([pattern, input, replacement]) => ({ pattern, input, replacement }));
    const java = javaReplaceAll(cases);
    for (const [k, c] of cases.entries()) expect(slipway(c), JSON.stringify(c)).toEqual(java[k]);
  }, 60_000);

  it('reads \\Q…\\E as Java does, rewriting it before anything else (a class range end, inside \\p{…}, a name)', () => {
    // Pattern.RemoveQEQuoting: `[a-\Qz\E]` is `[a-z]`, `[\Q\E]` an unclosed class, `\Q1\E` `\x31`, `\c\Q1\E` `\c\x31`.
    const patterns = [
      '[a-\\Qz\\E]',
      '[a-\\Qzb\\E]',
      '[a-\\Q\\E]',
      '[a-\\Q\\\\E]',
      '[\\Qa\\E-z]',
      '[\\Q-\\E]',
      '[\\Q\\E]',
      '[^\\Q\\E^a]',
      '[\\Q]\\E]',
      '\\p{\\QL\\E}',
      '(?<\\Qn\\E>a)\\k<\\Qn\\E>',
      '\\c\\Q1\\E',
      '\\0\\Q12\\E',
      'a{2\\Q\\E}',
      '\\Qa\\b\\E',
      '(?x)\\Q a b\\E',
      '\\Q(\\E',
      '\\Qa',
    ];
    const cases = patterns.map((pattern) => ({
      pattern,
      input: 'az-b1cz]^a (2\\ab\u0001\n\\E aa',
      replacement: '<$0>',
    }));
    const java = javaReplaceAll(cases);
    for (const [k, c] of cases.entries()) {
      const ours = slipway(c);
      if ('ok' in java[k]!) expect(ours, c.pattern).toEqual(java[k]);
      else expect(agrees(ours, java[k]!), c.pattern).toBe(true);
    }
  }, 60_000);

  it('refuses \\X where Java runs it, never reading it as another pattern', () => {
    const cases = [{ pattern: '\\X', input: 'ab', replacement: '#' }];
    const java = javaReplaceAll(cases);
    expect(java[0]).toHaveProperty('ok');
    expect(slipway(cases[0]!)).toHaveProperty('refused');
  }, 60_000);

  it('reads \\N{name} as Java 17 does: every name of its table, the names it makes up, wrong names (its errors)', () => {
    // Every code point Java names: `\N{<its name>}` replaced where it stands between two other characters (the name
    // in lower case every third time, in a class every fifth: Java upper-cases it and reads it in a class too).
    const names = readJavaNames();
    const cases: Case[] = names.map(({ cp, name }, k) => {
      const spelled = k % 3 === 0 ? ` ${name.toLowerCase()}\t` : name;
      const atom = k % 5 === 0 ? `[x\\N{${spelled}}]` : `\\N{${spelled}}`;
      return { pattern: atom, input: `x${String.fromCodePoint(cp)}y`, replacement: '#' };
    });
    // Names Java makes up (`<block> <HEX>`) at the ends of their runs and one past them, then wrong names and syntax.
    for (const [block, cp] of [
      ['CJK UNIFIED IDEOGRAPHS', 0x4e00],
      ['CJK UNIFIED IDEOGRAPHS', 0x9ffc],
      ['CJK UNIFIED IDEOGRAPHS', 0x9ffd],
      ['HANGUL SYLLABLES', 0xd7a3],
      ['PRIVATE USE AREA', 0xe000],
      ['SUPPLEMENTARY PRIVATE USE AREA B', 0x10fffd],
      ['LATIN 1 SUPPLEMENT', 0x84],
      ['LATIN 1 SUPPLEMENT', 0x85],
      ['TANGUT', 0x17000],
    ] as const)
      cases.push({
        pattern: `\\N{${block} ${cp.toString(16).toUpperCase()}}`,
        input: `x${String.fromCodePoint(cp)}`,
        replacement: '#',
      });
    for (const pattern of [
      '\\N{CJK UNIFIED IDEOGRAPHS 04E00}',
      '\\N{CJK UNIFIED IDEOGRAPH-4E00}',
      '\\N{LATIN SMALL LETTER}',
      '\\N{LATIN SMALL LETTER A B}',
      '\\N{}',
      '\\N{LATIN SMALL LETTER A',
      '\\NA',
      '[\\N{LATIN SMALL LETTER A}-\\N{LATIN SMALL LETTER C}]+',
      '(?i)\\N{LATIN CAPITAL LETTER K}',
      '(?iu)\\N{LATIN CAPITAL LETTER K}',
    ])
      cases.push({ pattern, input: 'abcK\u212akx', replacement: '#' });
    const java = javaReplaceAll(cases);
    const wrong = cases.filter((c, k) => {
      const ours = slipway(c);
      return 'refused' in ours || !agrees(ours, java[k]!);
    });
    expect(wrong.slice(0, 5)).toEqual([]);
    // Every name of the table names its character: Java replaced it.
    expect(java.slice(0, names.length).filter((r) => !('ok' in r && r.ok.includes('#')))).toEqual([]);
    expect(names.length).toBe(33_762);
  }, 600_000);

  it('refuses to read a group that Java may have overwritten in a later repetition that failed (atomic, possessive, lookahead)', () => {
    // Java does not restore what an atomic group, a possessive quantifier or a lookahead caught once it has matched:
    // a later repetition that fails after it leaves its value (`[e]e;`, not JavaScript's `[d]e;`). Found by a seeded run.
    const cases: Case[] = [
      { pattern: '(?:([a-z]){2}+,)+', input: 'ab,cd,e;', replacement: '[$1]' },
      { pattern: '(?:(?=([a-z]))[a-z]1)+', input: 'a1b2', replacement: '[$1]' },
      { pattern: '(?:(?>([a-z]))1){1,3}?;', input: 'a1b2a1;', replacement: '[$1]' },
      {
        pattern:
          '\\p{sc=Grek}??(?:([\\p{Punct}\\p{IsAlphabetic}\\p{Mn}]?[[^\\p{IsCyrillic}\\x{1F600}\\p{InGreek}]&&[^&&[\u0436\u0436\\p{javaUpperCase}]]\u0436]+A?){2}+){1,2}$?',
        input: '1cA\nc \u0416_',
        replacement: '[$1]',
      },
    ];
    const java = javaReplaceAll(cases);
    for (const [k, c] of cases.entries()) {
      expect(java[k], c.pattern).toHaveProperty('ok');
      expect(slipway(c), c.pattern).toHaveProperty('refused');
      // Reading only the whole match stays exact.
      const whole = { ...c, replacement: '<$0>' };
      expect(slipway(whole), c.pattern).toEqual(javaReplaceAll([whole])[0]);
    }
  }, 60_000);

  it('matches as Java where seeded runs found a difference, or refuses (repetitions taken whole, `&` under (?x), `$`)', () => {
    // Each pattern was found by a seed of the differential below, or is the smallest case of one; each differed from
    // Java before its fix. Java takes each repetition as the first way it matches (Curly, GroupCurly) under a
    // possessive quantifier of a group and under any quantifier of `\R` or of a group holding one with no choice in it.
    const exact: Case[] = [
      { pattern: '(?:a|ab){2}+c', input: 'abac', replacement: '<$0>' },
      { pattern: '(a|ab){2}+c', input: 'abac', replacement: '<$0>' },
      {
        pattern: '(?iu)(?:[-\\p{Space}\\x{1F600}]*+\\p{javaLowerCase}+){2}+|$++^',
        input: '\u0436xx\u03b1c',
        replacement: '<$0>',
      },
      {
        pattern: 'b{1,2}\\b[^a]+|(?<n>[A\u00e0-\u00ff]?^[a-c]*|(?>b|[ab]{2}\\s[ab]*){2}?){2}+',
        input: 'ax\u04161\u0436',
        replacement: '<$0>',
      },
      { pattern: '\\R{2,}+[\\p{InGreek}\u00e9\\p{javaUpperCase}]', input: '\u1e9e-\r\nBcB', replacement: '<$0>' },
      { pattern: '\\R{2}', input: '\r\n', replacement: '<$0>' },
      { pattern: '\\R?\\n', input: '\r\n', replacement: '<$0>' },
      { pattern: '(?:\\R){2}|(\\R)+\\n', input: '\r\n', replacement: '<$0>' },
      { pattern: '(?:\\R|x){2}', input: '\r\n', replacement: '<$0>' },
      // Under (?x) a lone `&` followed by skipped text is lost, and the next character is a member, even `]`.
      { pattern: '(?x)[a& ]]+', input: 'a&]] x', replacement: '<$0>' },
      { pattern: '(?x)[a& -c]+', input: 'ab-c&', replacement: '<$0>' },
      { pattern: '\\d((?x)\\x{1F600}{1,2}[& ][^\\p{IsL}]{1,2}|\u00e9a){1,2}+', input: 'bA', replacement: '<$0>' },
      // `$` and `\Z` never match between the `\r` and the `\n` of a `\r\n`.
      { pattern: '$', input: 'a\r\nb\r\n', replacement: '<$0>' },
      { pattern: '(?m)$', input: 'a\r\nb\r\n\r', replacement: '<$0>' },
      { pattern: '\\Z', input: '\r\n', replacement: '<$0>' },
      { pattern: '(?-i)$*+|$*?', input: 'k\r\n-', replacement: '<$0>' },
    ];
    // Java's Loop ends at a repetition that matched empty, also before its minimum count; JavaScript goes on.
    const refused: Case[] = [
      { pattern: '(?<n>  ?[^a]*?|.*?){2}?\\b', input: 'x1\u00e9K\u03b1', replacement: '[$1]' },
      { pattern: '(|a){2}b', input: 'ab', replacement: '[$1]' },
    ];
    const java = javaReplaceAll([...exact, ...refused]);
    for (const [k, c] of exact.entries()) expect(slipway(c), c.pattern).toEqual(java[k]);
    for (const [k, c] of refused.entries()) {
      expect(java[exact.length + k], c.pattern).toHaveProperty('ok');
      expect(slipway(c), c.pattern).toHaveProperty('refused');
    }
  }, 60_000);

  it('translates the POSIX classes (\\p{Alpha}…) exactly over Latin-1 and beyond, in and out of classes, under (?i)', () => {
    const names = ['Lower', 'Upper', 'ASCII', 'Alpha', 'Digit', 'Alnum', 'Punct', 'Graph', 'Print', 'Blank', 'Cntrl'];
    let input = '\u212a\u017f\u{1F600}';
    for (let c = 0; c < 0x100; c++) input += String.fromCharCode(c);
    const cases: Case[] = [];
    for (const name of [...names, 'XDigit', 'Space'])
      for (const flags of ['', '(?i)'])
        for (const form of [`\\p{${name}}`, `\\P{${name}}`, `[\\p{${name}}]`, `[^\\p{${name}}x]`, `[_\\p{${name}}\\d]`])
          cases.push({ pattern: flags + form, input, replacement: '#' });
    cases.push(
      { pattern: '\\pL|\\p{Alpha', input, replacement: '#' },
      { pattern: '\\p{alpha}', input, replacement: '#' },
    );
    const java = javaReplaceAll(cases);
    for (const [k, c] of cases.entries()) {
      const ours = slipway(c);
      if (k < cases.length - 2) expect(ours, c.pattern).toEqual(java[k]);
      else expect(agrees(ours, java[k]!), c.pattern).toBe(true);
    }
  }, 60_000);

  it('agrees with Java on seeded random patterns (or refuses them)', () => {
    const random = seededRandom('java-regex differential');
    const cases: Case[] = [];
    for (let k = 0; k < 3000; k++) {
      const pattern = randomPattern(random, 3);
      for (let n = 0; n < 2; n++)
        cases.push({ pattern, input: randomInput(random), replacement: randomReplacement(random) });
    }
    const java = javaReplaceAll(cases);
    const results = cases.map((c, k) => ({ ...c, java: java[k]!, ours: slipway(c) }));
    const wrong = results.filter((r) => !agrees(r.ours, r.java));
    const refused = results.filter((r) => 'refused' in r.ours).length;
    console.log(`java-regex differential: ${cases.length} cases, ${refused} refused, ${wrong.length} different`);
    expect(wrong.slice(0, 10)).toEqual([]);
  }, 600_000);
});

/** Every code point Java 17 gives a name of its own (Character.getName, not one made from its block), by real Java. */
function readJavaNames(): { cp: number; name: string }[] {
  const source = fileURLToPath(new URL('../../tools/java-char-names.java', import.meta.url));
  const text = execFileSync('java', [source], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const names: { cp: number; name: string }[] = [];
  let cp = -1;
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#') || line.startsWith('~')) continue;
    const space = line.indexOf(' ');
    cp += parseInt(line.slice(0, space), 36) + 1;
    names.push({ cp, name: line.slice(space + 1) });
  }
  return names;
}
