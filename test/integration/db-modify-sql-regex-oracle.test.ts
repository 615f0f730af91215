import { describe, expect, it } from 'vitest';
import { SlipwayError } from '../../src/errors.js';
import { buildDatabasePackage } from '../../src/db/package.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { changelogXml } from '../helpers/changelog-xml.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

// <regExpReplace> is Java's String.replaceAll: a Java pattern and a Java replacement string. Slipway used JavaScript's
// RegExp and String.replace as they are, so `(?i)` crashed the build with a bare SyntaxError, `\Q(y)\E` matched
// "Q(y)E"-ish text instead of "(y)", and `\$9` wrote a backslash. Found while probing modifySql for the conformance
// hunt (a Java developer's `(?i)` is the usual way to ignore case); the expected results are real Liquibase 4.28's.
const withVisitor = (id: string, change: string, visitor: string): string =>
  `<changeSet id="${id}" author="r">${change}<modifySql>${visitor}</modifySql></changeSet>`;

describe('modifySql regExpReplace reads Java regular expressions as Liquibase 4.28 does', () => {
  const c = useOracleCase('modsqlrx', {
    'master.xml': changelogXml(
      [
        withVisitor(
          '1',
          '<createTable tableName="t1"><column name="a" type="varchar(20)"/><column name="b" type="VarChar(21)"/></createTable>',
          String.raw`<regExpReplace replace="(?i)VARCHAR\((2\d)\)" with="varchar(3$1)"/>`,
        ),
        withVisitor(
          '2',
          "<sql>INSERT INTO t1 (a, b) VALUES ('x(y)', 'k')</sql>",
          String.raw`<regExpReplace replace="\Q(y)\E" with="\$9"/>`,
        ),
        // An inline flag past the start (Java reads it anywhere; it was an error before it was translated).
        withVisitor(
          '5',
          "<sql>INSERT INTO t1 (a, b) VALUES ('mId', 'MID')</sql>",
          `<regExpReplace replace="'m(?i)id'" with="'q'"/>`,
        ),
        // Another database's visitor is never compiled: Java-only syntax there is no error on PostgreSQL.
        `<changeSet id="3" author="r"><sql>INSERT INTO t1 (a, b) VALUES ('z', 'z')</sql><modifySql dbms="mssql"><regExpReplace replace="(?>z)++" with="q"/></modifySql></changeSet>`,
      ].join('\n'),
    ),
    'bad.xml': changelogXml(withVisitor('4', "<sql>SELECT 'a'</sql>", '<regExpReplace replace="a(b" with="c"/>')),
  });

  it('translates (?i) (also mid-pattern), \\Q…\\E and a Java replacement string (same schema, rows and history)', async () => {
    await liquibaseOk(c.root, c.theirs, 'master.xml', 'update');
    await applyOurPackage(c.root, 'master.xml', c.ours);
    expectSameSchemaAndHistory(c);
    const rows = "SELECT a || '|' || b FROM t1 ORDER BY a";
    expect(psqlRows(c.theirs, rows)).toEqual(['q|MID', 'x$9|k', 'z|z']);
    expect(psqlRows(c.ours, rows)).toEqual(psqlRows(c.theirs, rows));
    const columns =
      "SELECT column_name || ':' || character_maximum_length FROM information_schema.columns WHERE table_name = 't1' ORDER BY 1";
    expect(psqlRows(c.ours, columns)).toEqual(['a:320', 'b:321']);
  }, 300_000);

  it('refuses a pattern Java rejects, at the visitor, where Liquibase fails the update', async () => {
    const theirs = await runLiquibase(c.root, c.theirs.url, [
      `--search-path=${c.root}`,
      '--changelog-file=bad.xml',
      'update',
    ]);
    expect(theirs.ok).toBe(false);
    expect(theirs.out).toMatch(/PatternSyntaxException|Unclosed group/);
    const built = buildDatabasePackage({
      rootDir: c.root,
      changelog: 'bad.xml',
      application: 'oracle',
      version: '1.0.0',
      sourceDateEpoch: 0,
    });
    await expect(built).rejects.toBeInstanceOf(SlipwayError);
    await expect(built).rejects.toMatchObject({ code: 'E_CHANGELOG', file: 'bad.xml', line: 3 });
  }, 300_000);
});
