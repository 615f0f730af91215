import { describe, expect, it } from 'vitest';
import {
  expectSameSchemaAndHistory,
  liquibaseRollback,
  ourRollback,
  updateBoth,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// A <comment> inside <rollback>: Liquibase 4.28 drops it (no change type of that name, no child elements) and runs
// the rest of the rollback; a rollback of comments only rolls nothing back. Found on RedHatInsights/rhsm-subscriptions
// (a <comment> before the <createTable> that restores a dropped table); Slipway refused the changelog.
const FILES = {
  'master.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
<changeSet id="a" author="x">
  <createTable tableName="a"><column name="id" type="int"/></createTable>
  <rollback><comment>drop it again</comment><dropTable tableName="a"/><comment>and once more</comment></rollback>
</changeSet>
<changeSet id="b" author="x">
  <createTable tableName="b"><column name="id" type="int"/></createTable>
  <rollback><comment>kept on purpose</comment></rollback>
</changeSet>
</databaseChangeLog>
`,
  'master.yaml': `databaseChangeLog:
  - changeSet:
      id: c
      author: x
      changes:
        - createTable:
            tableName: c
            columns:
              - column: { name: id, type: int }
      rollback:
        - comment: drop c
        - dropTable: { tableName: c }
`,
};

describe('<comment> inside <rollback>, against Liquibase 4.28', () => {
  const c = useOracleCase('rollback_comment', FILES);

  it('is ignored: same update, and rollback-count drops a and keeps b as Liquibase does (XML and YAML)', async () => {
    await updateBoth(c, 'master.xml');
    const theirs = await liquibaseRollback(c, 'master.xml', 2);
    expect(theirs.ok, theirs.out).toBe(true);
    expect(await ourRollback(c, 'master.xml', 2)).toBe('');
    expectSameSchemaAndHistory(c);
    await updateBoth(c, 'master.yaml');
    const yaml = await liquibaseRollback(c, 'master.yaml', 1);
    expect(yaml.ok, yaml.out).toBe(true);
    expect(await ourRollback(c, 'master.yaml', 1)).toBe('');
    expectSameSchemaAndHistory(c);
  }, 300_000);
});
