import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { applyOurPackage, HISTORY_ROWS, liquibaseOk, psqlRows } from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// <expectedQuotingStrategy strategy="…"/> (ObjectQuotingStrategyPrecondition, in Liquibase 4.28's XSD and core; found
// in Liquibase's own integration-test changelogs): it compares `strategy` with the objectQuotingStrategy of the
// changelog being run — the master's, LEGACY when the master sets none — whichever file the changeSet is in
// (measured: an included file's own QUOTE_ALL_OBJECTS does not count). Slipway used to refuse it ("not supported").

const cs = (id: string, strategy: string): string =>
  `<changeSet id="${id}" author="a"><preConditions onFail="MARK_RAN"><expectedQuotingStrategy strategy="${strategy}"/></preConditions><sql>create table q_${id.replaceAll('-', '_')} (id int)</sql></changeSet>`;

const FILES = {
  'plain.xml': `<databaseChangeLog ${LIQUIBASE_NS}>\n${cs('plain-legacy', 'LEGACY')}\n${cs('plain-all', 'QUOTE_ALL_OBJECTS')}\n<include file="all.xml"/>\n</databaseChangeLog>\n`,
  'quoted.xml': `<databaseChangeLog ${LIQUIBASE_NS} objectQuotingStrategy="QUOTE_ALL_OBJECTS">\n${cs('quoted-legacy', 'LEGACY')}\n${cs('quoted-all', 'QUOTE_ALL_OBJECTS')}\n<include file="child.xml"/>\n</databaseChangeLog>\n`,
  'all.xml': `<databaseChangeLog ${LIQUIBASE_NS} objectQuotingStrategy="QUOTE_ALL_OBJECTS">\n${cs('incl-all', 'QUOTE_ALL_OBJECTS')}\n${cs('incl-legacy', 'LEGACY')}\n</databaseChangeLog>\n`,
  'child.xml': `<databaseChangeLog ${LIQUIBASE_NS}>\n${cs('child-all', 'QUOTE_ALL_OBJECTS')}\n${cs('child-legacy', 'LEGACY')}\n</databaseChangeLog>\n`,
};

describe('expectedQuotingStrategy against Liquibase 4.28', () => {
  let root: string;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    root = await makeTree(FILES);
    dbs.push(...(await Promise.all([1, 2, 3, 4].map((n) => createTestDatabase(`quoting_${n}`)))));
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
    if (root) await removeTree(root);
  });

  it.each([
    ['plain.xml', 0, ['plain-legacy|EXECUTED', 'plain-all|MARK_RAN', 'incl-all|MARK_RAN', 'incl-legacy|EXECUTED']],
    ['quoted.xml', 2, ['quoted-legacy|MARK_RAN', 'quoted-all|EXECUTED', 'child-all|EXECUTED', 'child-legacy|MARK_RAN']],
  ] as const)(
    '%s: the master decides, in every file',
    async (master, i, expected) => {
      const theirs = dbs[i]!;
      const ours = dbs[i + 1]!;
      await liquibaseOk(root, theirs, master, 'update');
      await applyOurPackage(root, master, ours);
      expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
      expect(psqlRows(theirs, 'SELECT id, exectype FROM databasechangelog ORDER BY orderexecuted')).toEqual(expected);
    },
    300_000,
  );
});
