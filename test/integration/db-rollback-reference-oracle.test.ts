import { describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  liquibaseRollback,
  ourRollback,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';

// <rollback changeSetId="…" changeSetAuthor="…" changeSetPath="…"/>: the changes of a changeset read before this one
// are its rollback (Liquibase 4.28 ChangeSet.handleRollbackNode), compared with real Liquibase's update and
// rollback-count.
const NS =
  'xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd"';

describe('<rollback changeSetId> against Liquibase 4.28', () => {
  const c = useOracleCase('rbref', {
    'm.xml': `<databaseChangeLog ${NS}>
  <include file="db/a.xml"/>
  <include file="db/b.xml"/>
  <include file="db/c.sql"/>
</databaseChangeLog>
`,
    'db/a.xml': `<databaseChangeLog ${NS}>
  <changeSet id="make-t" author="ann">
    <createTable tableName="t"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="Add-C" author="Ann">
    <addColumn tableName="t"><column name="c" type="varchar(20)" defaultValue="x"/></addColumn>
    <sql>insert into t (id) values (1); insert into t (id, c) values (2, 'two')</sql>
  </changeSet>
</databaseChangeLog>
`,
    'db/b.xml': `<databaseChangeLog ${NS}>
  <changeSet id="make-u" author="bob">
    <createTable tableName="u"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="drop-u" author="bob">
    <dropTable tableName="u"/>
    <rollback changeSetId="make-u" changeSetAuthor="bob"/>
  </changeSet>
  <changeSet id="drop-c" author="bob">
    <delete tableName="t"/>
    <dropColumn tableName="t" columnName="c"/>
    <rollback changeSetId="ADD-C" changeSetAuthor="ann" changeSetPath="classpath:db/a.xml"/>
  </changeSet>
</databaseChangeLog>
`,
    // Formatted SQL finds a changeset of an earlier included file too (AbstractFormattedChangeLogParser looks in the
    // including changelogs), the id compared ignoring case.
    'db/c.sql':
      '--liquibase formatted sql\n\n--changeset carl:drop-t\ndrop table t;\n--rollback changesetId:MAKE-T changesetAuthor:ann changesetPath:db/a.xml\n',
    'bad.xml': `<databaseChangeLog ${NS}>
  <changeSet id="1" author="a">
    <createTable tableName="v"><column name="id" type="int"/></createTable>
    <rollback changeSetId="2" changeSetAuthor="a"/>
  </changeSet>
  <changeSet id="2" author="a">
    <dropTable tableName="v"/>
  </changeSet>
</databaseChangeLog>
`,
  });

  it("runs the referenced changesets' changes on rollback, found in this file or an earlier one", async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    expectSameSchemaAndHistory(c);
    expect((await liquibaseRollback(c, 'm.xml', 2)).ok).toBe(true);
    expect(await ourRollback(c, 'm.xml', 2)).toBe('');
    const DATA = "SELECT concat_ws('|', id, c) FROM t ORDER BY id";
    expect(psqlRows(c.theirs, DATA)).toEqual(['1|x', '2|two']);
    expect(psqlRows(c.ours, DATA)).toEqual(psqlRows(c.theirs, DATA));
    expectSameSchemaAndHistory(c);
  }, 300_000);

  it('is an error when no changeset read before it has that id, author and path, as in Liquibase', async () => {
    const r = await runLiquibase(c.root, c.theirs.url, [
      `--search-path=${c.root}`,
      '--changelog-file=bad.xml',
      'validate',
    ]);
    expect(r.ok).toBe(false);
    expect(r.out).toContain('does not exist');
    await expect(parseChangelog({ rootDir: c.root, changelog: 'bad.xml' })).rejects.toThrow(/does not exist before it/);
  }, 300_000);
});
