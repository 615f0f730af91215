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
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// <rollback changeSetId="…" changeSetAuthor="…" changeSetPath="…"/>: the changes of a changeset read before this one
// are its rollback (Liquibase 4.28 ChangeSet.handleRollbackNode), compared with real Liquibase's update and
// rollback-count.

describe('<rollback changeSetId> against Liquibase 4.28', () => {
  const c = useOracleCase('rbref', {
    'm.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
  <include file="db/a.xml"/>
  <include file="db/b.xml"/>
  <include file="db/c.sql"/>
</databaseChangeLog>
`,
    'db/a.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
  <changeSet id="make-t" author="ann">
    <createTable tableName="t"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="Add-C" author="Ann">
    <addColumn tableName="t"><column name="c" type="varchar(20)" defaultValue="x"/></addColumn>
    <sql>insert into t (id) values (1); insert into t (id, c) values (2, 'two')</sql>
  </changeSet>
</databaseChangeLog>
`,
    'db/b.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
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
    'bad.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
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

// The reused changeset is one the update skips: measured with Liquibase 4.28 (update --contexts=main, then
// rollback-count 3). Preconditions that fail on PostgreSQL whatever the database holds (<dbms type="mysql"/>
// onFail MARK_RAN) leave its body out of Slipway's package, but Liquibase's rollback reuses its changes and runs them
// (table u comes back; Slipway's rollback used to run nothing there). A changeSet of another context is reused too; a
// change for another dbms inside it is not run; a changeSet for another dbms is not even loaded, so reusing it is the
// "does not exist" error. A reused body of MySQL SQL that does not split: Liquibase updates, then fails on rollback
// (PSQLException "Unterminated identifier"); Slipway packages the update, warns and refuses that rollback.
describe('<rollback changeSetId> of a changeset the update skips, against Liquibase 4.28', () => {
  const c = useOracleCase('rbref_skipped', {
    'm.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
  <changeSet id="make-u" author="a">
    <preConditions onFail="MARK_RAN"><dbms type="mysql"/></preConditions>
    <sql>create table u (id int)</sql>
  </changeSet>
  <changeSet id="make-w" author="a" context="other"><sql>create table w (id int)</sql></changeSet>
  <changeSet id="make-x" author="a">
    <sql dbms="mysql">create table x_mysql (id int)</sql>
    <sql>create table x (id int)</sql>
  </changeSet>
  <changeSet id="real" author="a" context="main"><sql>create table u (id int); create table w (id int)</sql></changeSet>
  <changeSet id="drop-u" author="a" context="main">
    <sql>drop table u</sql>
    <rollback changeSetId="make-u" changeSetAuthor="a"/>
  </changeSet>
  <changeSet id="drop-w" author="a" context="main">
    <sql>drop table w</sql>
    <rollback changeSetId="make-w" changeSetAuthor="a"/>
  </changeSet>
  <changeSet id="drop-x" author="a" context="main">
    <sql>drop table x</sql>
    <rollback changeSetId="make-x" changeSetAuthor="a"/>
  </changeSet>
</databaseChangeLog>
`,
    'other-dbms.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
  <changeSet id="make-m" author="a" dbms="mysql"><sql>create table m (id int)</sql></changeSet>
  <changeSet id="drop-m" author="a">
    <sql>select 1</sql>
    <rollback changeSetId="make-m" changeSetAuthor="a"/>
  </changeSet>
</databaseChangeLog>
`,
    'unsplittable.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
  <changeSet id="t" author="a"><sql>create table t (s varchar(20))</sql></changeSet>
  <changeSet id="mysql" author="a">
    <preConditions onFail="MARK_RAN"><dbms type="mysql"/></preConditions>
    <sql>UPDATE t SET s = REPLACE(s, '"', "\\"")</sql>
  </changeSet>
  <changeSet id="reuse" author="a">
    <sql>create table r (id int)</sql>
    <rollback changeSetId="mysql" changeSetAuthor="a"/>
  </changeSet>
</databaseChangeLog>
`,
  });

  it('runs the skipped changeset’s changes on rollback, as Liquibase reuses them', async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update', '--contexts=main');
    await applyOurPackage(c.root, 'm.xml', c.ours, { contexts: ['main'] });
    expectSameSchemaAndHistory(c);
    expect((await liquibaseRollback(c, 'm.xml', 3)).ok).toBe(true);
    expect(await ourRollback(c, 'm.xml', 3)).toBe('');
    expectSameSchemaAndHistory(c);
  }, 300_000);

  it('a changeset for another dbms is not there to reuse, as in Liquibase', async () => {
    const r = await runLiquibase(c.root, c.theirs.url, [
      `--search-path=${c.root}`,
      '--changelog-file=other-dbms.xml',
      'validate',
    ]);
    expect(r.ok).toBe(false);
    expect(r.out).toContain('does not exist');
    await expect(parseChangelog({ rootDir: c.root, changelog: 'other-dbms.xml' })).rejects.toThrow(
      /does not exist before it/,
    );
  }, 300_000);

  it('a reused body that cannot run on PostgreSQL: the update runs, its rollback is refused', async () => {
    await liquibaseOk(c.root, c.theirs, 'unsplittable.xml', 'update');
    await applyOurPackage(c.root, 'unsplittable.xml', c.ours);
    expectSameSchemaAndHistory(c);
    const theirs = await liquibaseRollback(c, 'unsplittable.xml', 1);
    expect(theirs.ok).toBe(false);
    expect(theirs.out).toContain('Unterminated identifier');
    const parsed = await parseChangelog({ rootDir: c.root, changelog: 'unsplittable.xml' });
    expect(parsed.warnings).toEqual([
      expect.objectContaining({ code: 'W_LIQUIBASE_REJECTS', file: 'unsplittable.xml', line: 9 }),
    ]);
    await expect(ourRollback(c, 'unsplittable.xml', 1)).rejects.toThrow(/have no rollback/);
    expectSameSchemaAndHistory(c);
  }, 300_000);
});
