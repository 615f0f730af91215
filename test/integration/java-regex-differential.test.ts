import { describe, expect, it } from 'vitest';
import { javaReplacer, JavaRegexError } from '../../src/db/changelog/java-regex.js';
import { javaReplaceAll, type JavaReplaceResult } from '../helpers/java-regex-oracle.js';
import { seededRandom, type SeededRandom } from '../helpers/seeded-random.js';

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
];

describe('java-regex against real Java 17 (String.replaceAll)', () => {
  it('translates the newly accepted constructs exactly', () => {
    const cases = accepted.map(([pattern, input, replacement]) => ({ pattern, input, replacement }));
    const java = javaReplaceAll(cases);
    for (const [k, c] of cases.entries()) expect(slipway(c), JSON.stringify(c)).toEqual(java[k]);
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
        cases.push({ pattern, input: randomInput(random), replacement: random.int(0, 2) ? '<$0>' : '[$1]' });
    }
    const java = javaReplaceAll(cases);
    const results = cases.map((c, k) => ({ ...c, java: java[k]!, ours: slipway(c) }));
    const wrong = results.filter((r) => !agrees(r.ours, r.java));
    const refused = results.filter((r) => 'refused' in r.ours).length;
    console.log(`java-regex differential: ${cases.length} cases, ${refused} refused, ${wrong.length} different`);
    expect(wrong.slice(0, 10)).toEqual([]);
  }, 120_000);
});

const pick = <T>(r: SeededRandom, items: readonly T[]): T => items[r.int(0, items.length)]!;

/** An input of the characters the patterns speak about: cases, a non-ASCII letter, digits, space, a newline. */
function randomInput(r: SeededRandom): string {
  let s = '';
  for (let n = r.int(0, 9); n > 0; n--) s += pick(r, ['a', 'b', 'A', 'B', 'c', '\u00e9', '1', ' ', '_', '\n', 'x']);
  return s;
}

/** A random Java pattern from a grammar of the constructs javaRegex translates. */
function randomPattern(r: SeededRandom, depth: number): string {
  const branches: string[] = [];
  for (let b = r.int(1, 3); b > 0; b--) {
    let seq = '';
    for (let n = r.int(1, 4); n > 0; n--) seq += randomAtom(r, depth) + randomQuantifier(r);
    branches.push(seq);
  }
  return (r.int(0, 6) === 0 ? pick(r, ['(?i)', '(?m)', '(?s)', '(?iu)', '(?x)']) : '') + branches.join('|');
}

function randomAtom(r: SeededRandom, depth: number): string {
  const leaves = [
    'a',
    'b',
    'A',
    'c',
    '\u00e9',
    '.',
    '[ab]',
    '[^a]',
    '[a-c]',
    '\\d',
    '\\w',
    '\\s',
    '\\b',
    '^',
    '$',
    ' ',
    '\\1',
  ];
  if (depth === 0 || r.int(0, 3) > 0) return pick(r, leaves);
  // A lookbehind of fixed-length atoms: Java refuses one it cannot bound by rules of its own (TreeInfo), which
  // Slipway does not mirror (it runs some lookbehinds Java refuses).
  if (r.int(0, 6) === 0)
    return `(?<${pick(r, ['=', '!'])}${pick(r, ['a', '[ab]', '\\d', '.'])}${pick(r, ['', 'b', '|c'])})`;
  const inner = randomPattern(r, depth - 1);
  return `${pick(r, ['(', '(?:', '(?>', '(?<n>', '(?=', '(?!'])}${inner})`;
}

function randomQuantifier(r: SeededRandom): string {
  if (r.int(0, 2) === 0) return '';
  return pick(r, ['*', '+', '?', '{1,2}', '{2}']) + pick(r, ['', '', '?', '+']);
}
