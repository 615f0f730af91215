import { describe, expect, it } from 'vitest';
import { changelogXml } from '../helpers/changelog-xml.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

// <regExpReplace> patterns Java runs and Slipway refused (E_CHANGELOG) or matched differently: (?x) comments mode,
// (?d) unix lines, (?U) Unicode classes, \x{…} beyond U+FFFF, Java's own (?iu) case table (the Kelvin sign matches
// `k`), a class range whose ends are escapes under (?i), Java 17's Unicode `\b`, atomic groups and possessive
// quantifiers (session 22). The expected rows are what real Liquibase 4.28 wrote.
const insert = (id: string, value: string, replace: string, by: string): string =>
  `<changeSet id="${id}" author="r"><sql>INSERT INTO t1 (n, a) VALUES (${id}, '${value}')</sql>` +
  `<modifySql><regExpReplace replace="${replace}" with="${by}"/></modifySql></changeSet>`;

describe('modifySql regExpReplace: Java inline flags and code points as Liquibase 4.28 reads them', () => {
  const c = useOracleCase('jrxflags', {
    'master.xml': changelogXml(
      [
        '<changeSet id="0" author="r"><createTable tableName="t1"><column name="n" type="int"/><column name="a" type="varchar(40)"/></createTable></changeSet>',
        insert('1', 'x-1', "(?x) ' x - 1 ' # the value, spaces and this comment are no part of it&#10;", "'comments'"),
        insert('2', 'one\u2028two', '(?d)one.two', 'unix'),
        insert('3', 'a\u00a0b', String.raw`(?U)a\sb`, 'unicode-space'),
        insert('4', 'smile\u{1F600}\u{1F600}', String.raw`\x{1F600}+`, '!'),
        insert('5', '\u212a-sign', '(?iu)k-', 'kelvin-'),
        insert('6', 'ABC', String.raw`(?i)'[\x61-z]+'`, "'range'"),
        // Java 17's \b: `é` is a word character (Character.isLetterOrDigit), so only the second `int` stands alone.
        insert('7', '\u00e9int int', String.raw`\bint\b`, 'word'),
        // A backreference where case is ignored, to a group of digits (no letter: the same text either way).
        insert('8', 'x2024-2024', String.raw`(?i)(\d+)-\1`, 'same'),
        // An atomic group and a possessive quantifier (no backtracking into them): `(?>a|ab)c` fails at `a`.
        insert('9', 'abc', '(?>a|ab)c|b', '_'),
        insert('10', 'xxxy', 'x*+y', 'possessive'),
      ].join('\n'),
    ),
  });

  it('translates them all (same schema, rows and history)', async () => {
    await liquibaseOk(c.root, c.theirs, 'master.xml', 'update');
    await applyOurPackage(c.root, 'master.xml', c.ours);
    expectSameSchemaAndHistory(c);
    const rows = "SELECT n || '|' || a FROM t1 ORDER BY n";
    expect(psqlRows(c.theirs, rows)).toEqual([
      '1|comments',
      '2|unix',
      '3|unicode-space',
      '4|smile!',
      '5|kelvin-sign',
      '6|range',
      '7|\u00e9int word',
      '8|xsame',
      '9|a_c',
      '10|possessive',
    ]);
    expect(psqlRows(c.ours, rows)).toEqual(psqlRows(c.theirs, rows));
  }, 300_000);
});
