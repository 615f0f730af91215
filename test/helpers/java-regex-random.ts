import type { SeededRandom } from './seeded-random.js';

// The grammar of random Java patterns and inputs for the seeded differential of src/db/changelog/java-regex.ts against
// real Java 17 (test/integration/java-regex-differential.test.ts).

const pick = <T>(r: SeededRandom, items: readonly T[]): T => items[r.int(0, items.length)]!;

/** An input of the characters the patterns speak about: cases, a non-ASCII letter, digits, space, line ends. */
export function randomInput(r: SeededRandom): string {
  let s = '';
  const chars = ['a', 'b', 'A', 'B', 'c', '\u00e9', '1', ' ', '_', '\n', 'x', 'k', 's', '\r', '-', '&', '#'];
  // Beyond ASCII: Cyrillic, Greek, a combining mark, the Kelvin sign, an Arabic digit, a no-break space, an emoji,
  // the long s, dotted I and sharp s (Java's Unicode case folds), other line terminators, a lone high surrogate.
  const wide = ['\u0436', '\u0416', '\u03b1', '\u0301', '\u212a', '\u0663', '\u00a0', '\u{1F600}', '!'];
  const rare = ['\u017f', '\u0130', '\u00df', '\u1e9e', '\u2028', '\u0085', '\r\n', '\ud83d', ']', '\t'];
  for (let n = r.int(0, 9); n > 0; n--) s += pick(r, r.int(0, 3) ? chars : r.int(0, 3) ? wide : rare);
  return s;
}

/** A Java replacement: mostly the whole match or group 1, sometimes another reference, an escape or a wrong one. */
export function randomReplacement(r: SeededRandom): string {
  if (r.int(0, 4) > 0) return r.int(0, 2) ? '<$0>' : '[$1]';
  return pick(r, ['${n}', '<$2>', '\\$$1', '$1$0', '\\\\', '$9', '$', '${x}', '<$10>', '$n']);
}

/** A random Java pattern from a grammar of the constructs javaRegex translates. */
export function randomPattern(r: SeededRandom, depth: number): string {
  const branches: string[] = [];
  for (let b = r.int(1, 3); b > 0; b--) {
    let seq = '';
    for (let n = r.int(1, 4); n > 0; n--) {
      // An inline flag group between atoms: holds to the end of its group.
      if (r.int(0, 12) === 0) seq += pick(r, ['(?i)', '(?-i)', '(?s)', '(?x)', '(?iu)', '(?m)', '(?d)']);
      seq += randomAtom(r, depth) + randomQuantifier(r);
    }
    branches.push(seq);
  }
  return (r.int(0, 6) === 0 ? pick(r, FLAGS) : '') + branches.join('|');
}

const FLAGS = [
  '(?i)',
  '(?m)',
  '(?s)',
  '(?iu)',
  '(?x)',
  '(?U)',
  '(?iU)',
  '(?d)',
  '(?im)',
  '(?xi)',
  '(?u)',
  '(?ms)',
  '(?sd)',
];

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
  // Escapes and literals met less often: codes, controls, quotes, anchors, line breaks, (?x) comments, backreferences.
  const rare = [
    '\\x{41}',
    '\\u0062',
    '\\x61',
    '\\t',
    '\\n',
    '\\r',
    '\\cJ',
    '\\Qa.\\E',
    '\\Q\\E',
    '\\A',
    '\\z',
    '\\Z',
    '\\R',
    '\\h',
    '\\H',
    '\\v',
    '\\2',
    '\\k<n>',
    '&',
    '-',
    '#x\n',
    '\\.',
    ']',
    'k',
    's',
    '\\x{212A}',
    '\u017f',
  ];
  if (depth === 0 || r.int(0, 3) > 0) {
    if (r.int(0, 3) === 0) return r.int(0, 2) ? randomClass(r, 2) : pick(r, PROPERTIES);
    return r.int(0, 4) ? pick(r, leaves) : pick(r, rare);
  }
  // A lookbehind of fixed-length atoms: Java refuses one it cannot bound by rules of its own (TreeInfo), which
  // Slipway does not mirror (it runs some lookbehinds Java refuses).
  if (r.int(0, 6) === 0)
    return `(?<${pick(r, ['=', '!'])}${pick(r, ['a', '[ab]', '\\d', '.'])}${pick(r, ['', 'b', '|c'])})`;
  const inner = randomPattern(r, depth - 1);
  const open = r.int(0, 5)
    ? pick(r, ['(', '(?:', '(?>', '(?<n>', '(?=', '(?!'])
    : pick(r, ['(?i:', '(?-i:', '(?s:', '(?m:', '(?x:', '(?iu:', '(?U:', '(?d:']);
  return `${open}${inner})`;
}

/** Unicode properties and escapes that stand for sets, in the forms Java accepts. */
const PROPERTIES = [
  '\\p{L}',
  '\\PL',
  '\\p{Lu}',
  '\\P{Ll}',
  '\\p{IsL}',
  '\\p{IsLatin}',
  '\\p{IsCyrillic}',
  '\\p{sc=Grek}',
  '\\p{InGreek}',
  '\\p{block=Cyrillic}',
  '\\p{gc=Nd}',
  '\\p{IsAlphabetic}',
  '\\p{IsPunctuation}',
  '\\p{javaLowerCase}',
  '\\p{javaUpperCase}',
  '\\p{Alpha}',
  '\\p{Punct}',
  '\\p{Lower}',
  '\\p{Space}',
  '\\p{Mn}',
  '\\p{So}',
  '\\d',
  '\\D',
  '\\w',
  '\\W',
  '\\s',
  '\\S',
  '\\h',
  '\\V',
  '\\x{1F600}',
  '\\0101',
];

/** A random Java class: members, ranges, sets, nested classes and `&&` intersections. */
function randomClass(r: SeededRandom, depth: number): string {
  let body = r.int(0, 4) === 0 ? '^' : '';
  for (let n = r.int(1, 4); n > 0; n--) {
    const k = r.int(0, 10);
    if (k < 3)
      body += pick(r, [
        'a',
        'b',
        'A',
        '\u00e9',
        '\u0436',
        '1',
        '_',
        ' ',
        '\\x{1F600}',
        '&',
        '-',
        'k',
        's',
        '#',
        '\\]',
        '\\Q]\\E',
        '\\-',
        '\\t',
      ]);
    else if (k < 5)
      body += pick(r, [
        'a-c',
        'A-Z',
        '\u00e0-\u00ff',
        '\\x{1F600}-\\x{1F64F}',
        '0-9',
        '\u0400-\u04ff',
        '\\x41-\\x5A',
        'j-l',
        'r-t',
      ]);
    else if (k < 8) body += pick(r, PROPERTIES);
    else if (depth > 0 && k < 9) body += randomClass(r, depth - 1);
    else if (depth > 0) body += `&&${r.int(0, 2) ? randomClass(r, depth - 1) : pick(r, ['a-z', '\\w', '\\p{L}', 'b'])}`;
    else body += 'x';
  }
  return `[${body}]`;
}

function randomQuantifier(r: SeededRandom): string {
  if (r.int(0, 2) === 0) return '';
  const counted = ['{0}', '{2,}', '{0,1}', '{1,}', '{3}', '{0,2}'];
  return (r.int(0, 4) ? pick(r, ['*', '+', '?', '{1,2}', '{2}']) : pick(r, counted)) + pick(r, ['', '', '?', '+']);
}
