import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  HISTORY_ROWS,
  liquibaseOk,
  liquibaseRollback,
  ourRollback,
  psqlRows,
  schemaDump,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// Departures found running public projects' XML changelogs (session 11's hunt), each reproduced here by a hand-made
// changelog and compared with `liquibase update` 4.28 on PostgreSQL: schema, data and history rows.

const NS_1_9 =
  'xmlns="http://www.liquibase.org/xml/ns/dbchangelog/1.9" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog/1.9 http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-1.9.xsd"';

const MASTER = `<databaseChangeLog ${LIQUIBASE_NS}>
  <!-- <insert> naming a column twice: one column, first position, last value (InsertStatement's LinkedHashMap). -->
  <changeSet id="dup-insert" author="a">
    <createTable tableName="dup_t"><column name="a" type="int"/><column name="b" type="int"/><column name="c" type="int"/></createTable>
    <insert tableName="dup_t"><column name="b" valueNumeric="1"/><column name="a" valueNumeric="2"/><column name="b" valueNumeric="3"/><column name="c" valueNumeric="4"/></insert>
  </changeSet>
  <!-- <runningAs>: the connection's user, compared ignoring case (the oracle connects as postgres). -->
  <changeSet id="as-postgres" author="a">
    <preConditions onFail="MARK_RAN"><runningAs username="POSTGRES"/></preConditions>
    <createTable tableName="ran_as_postgres"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="as-nobody" author="a">
    <preConditions onFail="MARK_RAN"><runningAs username="nobody"/></preConditions>
    <createTable tableName="ran_as_nobody"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="not-as-nobody" author="a">
    <preConditions onFail="MARK_RAN"><not><runningAs username="nobody"/></not></preConditions>
    <createTable tableName="ran_not_as_nobody"><column name="id" type="int"/></createTable>
  </changeSet>
  <include file="db/columns-map.yaml"/>
  <!-- A changeSet for other databases only is never loaded by Liquibase: its missing Java class cannot fail
       (cromwell's dbms="mysql,hsqldb" customChange), nor can a YAML change type Liquibase does not know. -->
  <changeSet id="mysql-custom" author="a" dbms="mysql,hsqldb">
    <customChange class="com.example.NotOnTheClasspath"/>
  </changeSet>
  <include file="db/mysql-only.yaml"/>
  <!-- loadData separator="\t" (two characters) is a tab, as LoadDataChange.setSeparator reads it. -->
  <changeSet id="tsv" author="a">
    <createTable tableName="tsv_t"><column name="name" type="varchar(20)"/><column name="username" type="varchar(20)"/></createTable>
    <loadData tableName="tsv_t" file="db/rows.tsv" separator="\\t"/>
  </changeSet>
  <!-- Built-ins whose value only the server knows are defined on every server (Liquibase's integration tests ask). -->
  <changeSet id="server-builtin-defined" author="a">
    <preConditions onFail="MARK_RAN"><changeLogPropertyDefined property="database.databaseMajorVersion"/></preConditions>
    <sql>create table server_builtin_defined (id int)</sql>
  </changeSet>
  <!-- A sqlCheck whose SQL does not parse errors, so onError applies (liquibase/liquibase's integration tests):
       CONTINUE skips the changeSet unrecorded, MARK_RAN records it. -->
  <changeSet id="syntax-continue" author="a">
    <preConditions onError="CONTINUE"><sqlCheck expectedResult="3">Invalid SQL</sqlCheck></preConditions>
    <sql>create table syntax_continue (id int)</sql>
  </changeSet>
  <changeSet id="syntax-mark-ran" author="a">
    <preConditions onError="MARK_RAN"><sqlCheck expectedResult="3">select from where</sqlCheck></preConditions>
    <sql>create table syntax_mark_ran (id int)</sql>
  </changeSet>
</databaseChangeLog>
`;

const MYSQL_ONLY_YAML = `databaseChangeLog:
  - changeSet:
      id: mysql-unknown
      author: a
      dbms: mysql
      changes:
        - noSuchChange: {tableName: t}
  - changeSet:
      id: after-mysql
      author: a
      changes:
        - sql: create table after_mysql (id int)
`;

// `columns:` written as one mapping where Liquibase's YAML shape has a list: Liquibase loads the mapping as one column.
const COLUMNS_MAP_YAML = `databaseChangeLog:
  - changeSet:
      id: columns-map
      author: a
      changes:
        - createTable:
            tableName: cm_t
            columns:
              - column: {name: id, type: int}
        - addColumn:
            tableName: cm_t
            columns:
              name: flag
              type: boolean
              defaultValueBoolean: false
              constraints:
                nullable: false
`;

describe('XML departures found on public projects, against Liquibase 4.28', () => {
  let root: string;
  let theirs: TestDatabase;
  let ours: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({
      'db/master.xml': MASTER,
      'db/columns-map.yaml': COLUMNS_MAP_YAML,
      'db/mysql-only.yaml': MYSQL_ONLY_YAML,
      'db/rows.tsv': 'name\tusername\nBob Johnson\tbjohnson\n',
    });
    [theirs, ours] = await Promise.all([createTestDatabase('xmlfound_theirs'), createTestDatabase('xmlfound_ours')]);
  });
  afterAll(async () => {
    await Promise.all([theirs?.drop(), ours?.drop()]);
    if (root) await removeTree(root);
  });

  it('leaves the schema, data and history rows Liquibase does', async () => {
    await liquibaseOk(root, theirs, 'db/master.xml', 'update');
    await applyOurPackage(root, 'db/master.xml', ours);
    expect(schemaDump(ours)).toBe(schemaDump(theirs));
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    const rows = 'SELECT a, b, c FROM dup_t';
    expect(psqlRows(ours, rows)).toEqual(psqlRows(theirs, rows));
    // The facts the comparison rests on, so that agreeing on nothing cannot pass.
    expect(psqlRows(theirs, rows)).toEqual(['2|3|4']);
    expect(schemaDump(theirs)).toMatch(/flag boolean DEFAULT false NOT NULL/);
    expect(
      psqlRows(theirs, "SELECT id || ':' || exectype FROM databasechangelog WHERE id LIKE '%as-%' ORDER BY 1"),
    ).toEqual(['as-nobody:MARK_RAN', 'as-postgres:EXECUTED', 'not-as-nobody:EXECUTED']);
    expect(psqlRows(theirs, "SELECT id FROM databasechangelog WHERE id LIKE '%mysql%' ORDER BY 1")).toEqual([
      'after-mysql',
    ]);
    expect(
      psqlRows(theirs, "SELECT id, exectype FROM databasechangelog WHERE id LIKE 'syntax-%' OR id LIKE 'server-%'"),
    ).toEqual(['server-builtin-defined|EXECUTED', 'syntax-mark-ran|MARK_RAN']);
    expect(psqlRows(ours, 'SELECT name, username FROM tsv_t')).toEqual(
      psqlRows(theirs, 'SELECT name, username FROM tsv_t'),
    );
    expect(psqlRows(theirs, 'SELECT name, username FROM tsv_t')).toEqual(['Bob Johnson|bjohnson']);
  }, 300_000);

  it('an unknown change type (<modifyColumn>, gone since Liquibase 2) stops Liquibase, and Slipway names it', async () => {
    await writeFile(
      path.join(root, 'db/unknown.xml'),
      // The 1.9 XSD (bundled with Liquibase 4.28) still lists modifyColumn, so XSD validation lets it past.
      `<databaseChangeLog ${NS_1_9}>\n<changeSet id="1" author="a">\n<modifyColumn tableName="t"><column name="c" type="int"/></modifyColumn>\n</changeSet>\n</databaseChangeLog>\n`,
    );
    const r = await runLiquibase(root, theirs.url, [
      `--search-path=${root}`,
      '--changelog-file=db/unknown.xml',
      'validate',
    ]);
    expect(r.ok).toBe(false);
    expect(r.out).toContain("Unknown change type 'modifyColumn'");
    await expect(parseChangelog({ rootDir: root, changelog: 'db/unknown.xml' })).rejects.toMatchObject({
      code: 'E_CHANGELOG',
      file: 'db/unknown.xml',
      line: 3,
      message: 'Unknown change type <modifyColumn>',
    });
  }, 300_000);
});

// addForeignKeyConstraint with the deprecated deleteCascade beside onDelete (found on a public changelog): Liquibase
// 4.28 sets onDelete, then deleteCascade, whose setter clears onDelete unless deleteCascade is true and onDelete unset.
const FK_CASCADE = `<databaseChangeLog ${LIQUIBASE_NS}>
  <changeSet id="tables" author="t">
    <createTable tableName="p"><column name="id" type="int"><constraints primaryKey="true"/></column></createTable>
    <createTable tableName="c1"><column name="pid" type="int"/></createTable>
    <createTable tableName="c2"><column name="pid" type="int"/></createTable>
    <createTable tableName="c3"><column name="pid" type="int"/></createTable>
    <createTable tableName="c4"><column name="pid" type="int"/></createTable>
  </changeSet>
  <changeSet id="cascade-both" author="t">
    <addForeignKeyConstraint baseTableName="c1" baseColumnNames="pid" referencedTableName="p"
      referencedColumnNames="id" constraintName="fk_c1" deleteCascade="true" onDelete="CASCADE"/>
  </changeSet>
  <changeSet id="cascade-both-reversed" author="t">
    <addForeignKeyConstraint baseTableName="c2" baseColumnNames="pid" referencedTableName="p"
      referencedColumnNames="id" constraintName="fk_c2" onDelete="SET NULL" deleteCascade="true"/>
  </changeSet>
  <changeSet id="cascade-only" author="t">
    <addForeignKeyConstraint baseTableName="c3" baseColumnNames="pid" referencedTableName="p"
      referencedColumnNames="id" constraintName="fk_c3" deleteCascade="true"/>
  </changeSet>
  <changeSet id="cascade-false" author="t">
    <addForeignKeyConstraint baseTableName="c4" baseColumnNames="pid" referencedTableName="p"
      referencedColumnNames="id" constraintName="fk_c4" deleteCascade="false" onDelete="CASCADE"/>
  </changeSet>
</databaseChangeLog>
`;

describe('addForeignKeyConstraint deleteCascade beside onDelete, against Liquibase 4.28', () => {
  let root: string;
  let theirs: TestDatabase;
  let ours: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({ 'fk.xml': FK_CASCADE });
    [theirs, ours] = await Promise.all([createTestDatabase('fkcascade_theirs'), createTestDatabase('fkcascade_ours')]);
  });
  afterAll(async () => {
    await Promise.all([theirs?.drop(), ours?.drop()]);
    if (root) await removeTree(root);
  });

  it('leaves the foreign keys and checksums Liquibase does', async () => {
    await liquibaseOk(root, theirs, 'fk.xml', 'update');
    await applyOurPackage(root, 'fk.xml', ours);
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    expect(schemaDump(ours)).toEqual(schemaDump(theirs));
    // The facts the comparison rests on: only deleteCascade="true" alone cascades.
    const rules = "SELECT conname, confdeltype FROM pg_constraint WHERE contype = 'f' ORDER BY conname";
    expect(psqlRows(theirs, rules)).toEqual(['fk_c1|a', 'fk_c2|a', 'fk_c3|c', 'fk_c4|a']);
  }, 300_000);
});

// tableIsEmpty / rowCount name their table as Liquibase 4.28's TableIsEmptyGenerator / TableRowCountGenerator do,
// through database.escapeTableName under the changeSet's objectQuotingStrategy (found on blackduck-alert's
// `<tableIsEmpty schemaName="ALERT" tableName="PERMISSION_MATRIX"/>`): upper case is not quoted under LEGACY, so it
// reads the lower-case table; QUOTE_ALL_OBJECTS quotes it. onFail and onError differ, so each outcome shows.
const COUNT_NAMES = `<databaseChangeLog ${LIQUIBASE_NS}>
  <changeSet id="tables" author="t">
    <sql>create schema up_s; create table up_s.up_t (id int); create table "Mixed_T" (id int); insert into "Mixed_T" values (1)</sql>
  </changeSet>
  <changeSet id="empty-upper" author="t">
    <preConditions onFail="CONTINUE" onError="MARK_RAN"><tableIsEmpty schemaName="UP_S" tableName="UP_T"/></preConditions>
    <sql>create table ran_empty_upper (id int)</sql>
  </changeSet>
  <changeSet id="count-upper" author="t">
    <preConditions onFail="CONTINUE" onError="MARK_RAN"><rowCount schemaName="UP_S" tableName="UP_T" expectedRows="0"/></preConditions>
    <sql>create table ran_count_upper (id int)</sql>
  </changeSet>
  <changeSet id="count-mixed" author="t">
    <preConditions onFail="CONTINUE" onError="MARK_RAN"><rowCount tableName="Mixed_T" expectedRows="1"/></preConditions>
    <sql>create table ran_count_mixed (id int)</sql>
  </changeSet>
  <changeSet id="empty-upper-quote-all" author="t" objectQuotingStrategy="QUOTE_ALL_OBJECTS">
    <preConditions onFail="CONTINUE" onError="MARK_RAN"><tableIsEmpty schemaName="up_s" tableName="UP_T"/></preConditions>
    <sql>create table ran_empty_quote_all (id int)</sql>
  </changeSet>
</databaseChangeLog>
`;

describe('tableIsEmpty and rowCount table names, against Liquibase 4.28', () => {
  let root: string;
  let theirs: TestDatabase;
  let ours: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({ 'count.xml': COUNT_NAMES });
    [theirs, ours] = await Promise.all([createTestDatabase('cntname_theirs'), createTestDatabase('cntname_ours')]);
  });
  afterAll(async () => {
    await Promise.all([theirs?.drop(), ours?.drop()]);
    if (root) await removeTree(root);
  });

  it('runs, skips or marks ran the changesets Liquibase does', async () => {
    await liquibaseOk(root, theirs, 'count.xml', 'update');
    await applyOurPackage(root, 'count.xml', ours);
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    expect(schemaDump(ours)).toEqual(schemaDump(theirs));
    // The facts the comparison rests on: upper case reads the lower-case table, QUOTE_ALL_OBJECTS does not find it.
    expect(psqlRows(theirs, "SELECT id, exectype FROM databasechangelog WHERE id <> 'tables' ORDER BY id")).toEqual([
      'count-mixed|EXECUTED',
      'count-upper|EXECUTED',
      'empty-upper|EXECUTED',
      'empty-upper-quote-all|MARK_RAN',
    ]);
  }, 300_000);
});

// defaultValue="NULL" (found on blackduck-alert: `type="timestamp with timezone" defaultValue="NULL"`): every data
// type's objectToSql but BlobType's returns Java null for "null" in any case, printed `DEFAULT null`; UnknownType
// (jsonb, bytea) quotes it, `'null'`. AddColumn and AddDefaultValue send defaultValueComputed="NULL" the same way.
const NULL_DEFAULTS = `<databaseChangeLog ${LIQUIBASE_NS}>
  <changeSet id="create" author="t">
    <createTable tableName="nd"><column name="id" type="int"/>
      <column name="ts" type="timestamp with timezone" defaultValue="NULL"/><column name="v" type="varchar(10)" defaultValue="NULL"/>
      <column name="i" type="int" defaultValue="NULL"/><column name="t" type="text" defaultValue="Null"/>
      <column name="b" type="boolean" defaultValue="null"/><column name="j" type="jsonb" defaultValue="NULL"/>
      <column name="by" type="bytea" defaultValue="NULL"/><column name="fc" type="varchar(5)" defaultValueComputed="NULL"/>
    </createTable>
  </changeSet>
  <changeSet id="add" author="t">
    <addColumn tableName="nd">
      <column name="a_ts" type="datetime" defaultValue="NULL"/><column name="a_v" type="varchar(10)" defaultValue="NULL"/>
      <column name="a_j" type="jsonb" defaultValue="NULL"/><column name="a_fc" type="int" defaultValueComputed="NULL"/>
    </addColumn>
    <addDefaultValue tableName="nd" columnName="id" defaultValue="NULL"/>
    <addDefaultValue tableName="nd" columnName="fc" defaultValueComputed="NULL"/>
  </changeSet>
</databaseChangeLog>
`;

describe('defaultValue="NULL", against Liquibase 4.28', () => {
  let root: string;
  let theirs: TestDatabase;
  let ours: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({ 'nd.xml': NULL_DEFAULTS });
    [theirs, ours] = await Promise.all([createTestDatabase('nulldef_theirs'), createTestDatabase('nulldef_ours')]);
  });
  afterAll(async () => {
    await Promise.all([theirs?.drop(), ours?.drop()]);
    if (root) await removeTree(root);
  });

  it('renders the SQL update-sql prints and leaves the schema update leaves', async () => {
    const ddl = (sql: string) => sql.split('\n').filter((l) => /^(CREATE TABLE|ALTER TABLE) public\.nd\b/.test(l));
    const theirSql = ddl(await liquibaseOk(root, theirs, 'nd.xml', 'update-sql')).map((l) => l.replace(/;$/, ''));
    await liquibaseOk(root, theirs, 'nd.xml', 'update');
    const ourSql = ddl(await applyOurPackage(root, 'nd.xml', ours));
    expect(ourSql).toEqual(theirSql);
    expect(schemaDump(ours)).toEqual(schemaDump(theirs));
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    // The facts the comparison rests on: no column defaults to the text 'NULL'; jsonb defaults to JSON null.
    expect(theirSql[0]).toContain('ts TIMESTAMP WITH TIME ZONE DEFAULT null, v VARCHAR(10) DEFAULT null');
    expect(schemaDump(theirs)).toContain("j jsonb DEFAULT 'null'::jsonb");
    expect(schemaDump(theirs)).not.toContain("'NULL'");
  }, 300_000);
});

// Several <comment> elements in one changeSet (found on adorsys/ledgers, one before each change): ChangeSet.load joins
// them all with "\n" and trims the whole, where an empty one adds nothing; the history row keeps 255 characters of it.
const COMMENTS = `<databaseChangeLog ${LIQUIBASE_NS}>
  <property name="who" value="the team"/>
  <changeSet id="three" author="t">
    <comment>First, before the table.</comment>
    <createTable tableName="cm1"><column name="id" type="int"/></createTable>
    <comment>  Second, by \${who}.  </comment>
    <comment/>
    <comment>   </comment>
    <comment>Third, after an empty one.</comment>
  </changeSet>
  <changeSet id="long" author="t">
    <comment>${'a'.repeat(200)}</comment>
    <comment>${'b'.repeat(100)}</comment>
    <createTable tableName="cm2"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="empty" author="t">
    <comment>   </comment>
    <createTable tableName="cm3"><column name="id" type="int"/></createTable>
  </changeSet>
</databaseChangeLog>
`;

describe('several <comment> elements in a changeSet, against Liquibase 4.28', () => {
  let root: string;
  let theirs: TestDatabase;
  let ours: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({ 'comments.xml': COMMENTS });
    [theirs, ours] = await Promise.all([createTestDatabase('comments_theirs'), createTestDatabase('comments_ours')]);
  });
  afterAll(async () => {
    await Promise.all([theirs?.drop(), ours?.drop()]);
    if (root) await removeTree(root);
  });

  it('records the comments Liquibase records', async () => {
    await liquibaseOk(root, theirs, 'comments.xml', 'update');
    await applyOurPackage(root, 'comments.xml', ours);
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    // The facts the comparison rests on: all comments joined, the empty ones left out.
    const comments =
      "SELECT id || ':' || coalesce(comments, '<null>') FROM databasechangelog WHERE id <> 'long' ORDER BY id";
    expect(psqlRows(theirs, comments).join('\n')).toBe(
      'empty:\nthree:First, before the table.\nSecond, by the team.\nThird, after an empty one.',
    );
  }, 300_000);
});

// loadData CSV as opencsv's RFC4180Parser reads it (found on onap/cps: YANG text in a quoted, multi-line field with
// `\"` inside): quotes open and close quoted stretches in turn, a field ends at a closing quote followed by the
// separator or the line's end, backslashes are data, and a record goes on over the next line while a field is open.
const CSV_QUOTES = `<databaseChangeLog ${LIQUIBASE_NS}>
  <changeSet id="csv" author="t">
    <createTable tableName="cq"><column name="id" type="int"/><column name="body" type="text"/><column name="tail" type="varchar(20)"/></createTable>
    <loadData tableName="cq" file="cq.csv" separator="|"><column name="body" type="STRING"/></loadData>
  </changeSet>
</databaseChangeLog>
`;
const CQ_CSV = [
  'id|body|tail',
  '1|"module m {\\n  namespace \\"urn:x\\";\\n}"|after',
  '2|"a""b|c"|x',
  '4|plain "quoted" word|v',
  '',
].join('\n');

describe('loadData CSV quotes as opencsv reads them, against Liquibase 4.28', () => {
  let root: string;
  let theirs: TestDatabase;
  let ours: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({ 'cq.xml': CSV_QUOTES, 'cq.csv': CQ_CSV.replaceAll('\\n', '\n') });
    [theirs, ours] = await Promise.all([createTestDatabase('csvq_theirs'), createTestDatabase('csvq_ours')]);
  });
  afterAll(async () => {
    await Promise.all([theirs?.drop(), ours?.drop()]);
    if (root) await removeTree(root);
  });

  it('loads the rows Liquibase loads', async () => {
    await liquibaseOk(root, theirs, 'cq.xml', 'update');
    await applyOurPackage(root, 'cq.xml', ours);
    const rows = "SELECT id || ':' || replace(body, E'\\n', '/') || ':' || tail FROM cq ORDER BY id";
    expect(psqlRows(ours, rows)).toEqual(psqlRows(theirs, rows));
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    // The facts the comparison rests on: the backslashes stay, `""` is a quote, a quote inside a plain field is data.
    expect(psqlRows(theirs, rows)).toEqual([
      '1:module m {/  namespace \\"urn:x\\";/}:after',
      '2:a"b|c:x',
      '4:plain "quoted" word:v',
    ]);
  }, 300_000);
});

// sqlFile in a rollback (found on onap/cps, YAML): Liquibase runs the file's statements, split as in an update.
const ROLLBACK_SQLFILE = `databaseChangeLog:
  - changeSet:
      id: forward
      author: t
      changes:
        - sqlFile:
            path: sql/forward.sql
      rollback:
        - sqlFile:
            path: sql/back.sql
`;

describe('sqlFile inside a rollback, against Liquibase 4.28', () => {
  const c = useOracleCase('rbsqlfile', {
    'rb.yaml': ROLLBACK_SQLFILE,
    'sql/forward.sql': 'create table rb_a (id int);\ncreate table rb_b (id int);\n',
    'sql/back.sql': 'drop table rb_b;\ndrop table rb_a;\ncreate table rb_done (id int);\n',
  });

  it('rolls back with the statements of the file, as Liquibase does', async () => {
    await liquibaseOk(c.root, c.theirs, 'rb.yaml', 'update');
    await applyOurPackage(c.root, 'rb.yaml', c.ours);
    expectSameSchemaAndHistory(c);
    const theirs = await liquibaseRollback(c, 'rb.yaml', 1);
    expect(theirs.ok, theirs.out).toBe(true);
    await ourRollback(c, 'rb.yaml', 1);
    expectSameSchemaAndHistory(c);
    // The fact the comparison rests on: the rollback file ran.
    expect(schemaDump(c.theirs)).toContain('CREATE TABLE public.rb_done');
  }, 300_000);
});

// Formatted SQL whose body holds "/*" inside a string (found on DiPA-Projekt/dipa-hub: a URL 'https://***host'):
// PostgreSQL reads no comment there, and Liquibase starts the next changeset as usual. Slipway refuses a
// --changeset only inside a block comment that is really open (which breaks both changesets).
const QUOTED_OPEN_COMMENT = [
  '--liquibase formatted sql',
  '--changeset ann:links',
  'create table qc_link (id int, url text, note text);',
  "insert into qc_link values (1, 'https://***REMOVED***:52801/irj/portal', 'a');",
  "insert into qc_link values (2, 'x', 'b /* no comment')",
  '--changeset ann:after',
  "insert into qc_link values (3, 'after', 'c');",
  '',
].join('\n');

describe('formatted SQL with "/*" inside a string before the next changeset, against Liquibase 4.28', () => {
  const c = useOracleCase('qcomment', { 'qc.sql': QUOTED_OPEN_COMMENT });

  it('runs both changesets, as Liquibase does', async () => {
    await liquibaseOk(c.root, c.theirs, 'qc.sql', 'update');
    await applyOurPackage(c.root, 'qc.sql', c.ours);
    expectSameSchemaAndHistory(c);
    const rows = "SELECT id || ':' || url || ':' || note FROM qc_link ORDER BY id";
    expect(psqlRows(c.ours, rows)).toEqual(psqlRows(c.theirs, rows));
    // The fact the comparison rests on: the second changeset ran on its own.
    expect(psqlRows(c.theirs, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).toEqual(['links', 'after']);
  }, 300_000);
});

// An unknown attribute on <sql> under dbchangelog-3.6 … 3.10 (found on DIGI-UW/OpenELIS-Global-2: `<sql
// schemaName="clinlims">` under dbchangelog-3.8.xsd): those XSDs let change elements carry any attribute, so
// Liquibase's validating parser accepts it and the change ignores it; under 3.5 and 4.x it is an error.
const xsdNs = (v: string) => LIQUIBASE_NS.replace('dbchangelog-4.28.xsd', `dbchangelog-${v}.xsd`);
const OPEN_ATTRS = `<databaseChangeLog ${LIQUIBASE_NS}>
  <include file="open38.xml" relativeToChangelogFile="true"/>
  <include file="open36.xml" relativeToChangelogFile="true"/>
</databaseChangeLog>
`;
const OPEN_38 = `<databaseChangeLog ${xsdNs('3.8')}>
  <changeSet id="sql-schema" author="t">
    <sql schemaName="public" foo="x">create table xo_a (id int)</sql>
  </changeSet>
</databaseChangeLog>
`;
const OPEN_36 = `<databaseChangeLog ${xsdNs('3.6')}>
  <changeSet id="tag" author="t">
    <tagDatabase tag="v1" foo="x"/>
  </changeSet>
</databaseChangeLog>
`;

describe('unknown attributes the changelog XSD leaves open, against Liquibase 4.28', () => {
  const c = useOracleCase('xsdopen', {
    'open.xml': OPEN_ATTRS,
    'open38.xml': OPEN_38,
    'open36.xml': OPEN_36,
    'closed35.xml': `<databaseChangeLog ${xsdNs('3.5')}>\n<changeSet id="1" author="t">\n<sql foo="x">select 1</sql>\n</changeSet>\n</databaseChangeLog>\n`,
    'closed38.xml': `<databaseChangeLog ${xsdNs('3.8')}>\n<changeSet id="1" author="t">\n<tagDatabase tag="v2" foo="x"/>\n</changeSet>\n</databaseChangeLog>\n`,
  });

  it('runs them as Liquibase does, ignoring the attribute, and still refuses it where the XSD does', async () => {
    await liquibaseOk(c.root, c.theirs, 'open.xml', 'update');
    await applyOurPackage(c.root, 'open.xml', c.ours);
    expectSameSchemaAndHistory(c);
    expect(schemaDump(c.theirs)).toContain('CREATE TABLE public.xo_a');
    const parsed = await parseChangelog({ rootDir: c.root, changelog: 'open.xml' });
    expect(parsed.warnings.filter((w) => w.code === 'W_IGNORED_ATTRIBUTE').map((w) => w.message)).toEqual([
      expect.stringContaining('Unknown attribute "schemaName" on sql'),
      expect.stringContaining('Unknown attribute "foo" on sql'),
      expect.stringContaining('Unknown attribute "foo" on tagDatabase'),
    ]);
    for (const [file, element] of [
      ['closed35.xml', 'sql'],
      ['closed38.xml', 'tagDatabase'],
    ] as const) {
      const r = await runLiquibase(c.root, c.theirs.url, [
        `--search-path=${c.root}`,
        `--changelog-file=${file}`,
        'validate',
      ]);
      expect(r.ok).toBe(false);
      expect(r.out).toContain(`Attribute 'foo' is not allowed to appear in element '${element}'`);
      await expect(parseChangelog({ rootDir: c.root, changelog: file })).rejects.toMatchObject({
        code: 'E_CHANGELOG',
        file,
        line: 3,
        message: `Unknown attribute "foo" on <${element}>`,
      });
    }
  }, 300_000);
});

// Preconditions checked in order and no further than needed (found on DIGI-UW/OpenELIS-Global-2: tableExists, then a
// sqlCheck reading that table): Liquibase's and/or/not stop at the first check that decides, so a later check that
// would error (its table is missing) is never run.
const SHORT_CIRCUIT = `<databaseChangeLog ${LIQUIBASE_NS}>
  <changeSet id="base" author="t">
    <createTable tableName="sc_have"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="and-stops" author="t">
    <preConditions onFail="MARK_RAN">
      <tableExists tableName="sc_missing"/>
      <sqlCheck expectedResult="0">SELECT count(*) FROM sc_missing</sqlCheck>
    </preConditions>
    <createTable tableName="sc_a"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="or-stops" author="t">
    <preConditions onFail="MARK_RAN">
      <or><tableExists tableName="sc_have"/><rowCount tableName="sc_missing" expectedRows="0"/></or>
    </preConditions>
    <createTable tableName="sc_b"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="not-stops" author="t">
    <preConditions onFail="MARK_RAN">
      <not><tableExists tableName="sc_have"/><tableIsEmpty tableName="sc_missing"/></not>
    </preConditions>
    <createTable tableName="sc_c"><column name="id" type="int"/></createTable>
  </changeSet>
  <changeSet id="reached-errors" author="t">
    <preConditions onFail="MARK_RAN" onError="CONTINUE">
      <tableExists tableName="sc_have"/>
      <sqlCheck expectedResult="0">SELECT count(*) FROM sc_missing</sqlCheck>
    </preConditions>
    <createTable tableName="sc_d"><column name="id" type="int"/></createTable>
  </changeSet>
</databaseChangeLog>
`;

describe('preconditions checked in order, no further than needed, against Liquibase 4.28', () => {
  const c = useOracleCase('precsc', { 'sc.xml': SHORT_CIRCUIT });

  it('runs, marks ran or skips the changesets Liquibase does', async () => {
    await liquibaseOk(c.root, c.theirs, 'sc.xml', 'update');
    await applyOurPackage(c.root, 'sc.xml', c.ours);
    expectSameSchemaAndHistory(c);
    // The facts the comparison rests on: the unreached checks did not error; the reached one did (onError CONTINUE).
    expect(psqlRows(c.theirs, "SELECT id || ':' || exectype FROM databasechangelog ORDER BY orderexecuted")).toEqual([
      'base:EXECUTED',
      'and-stops:MARK_RAN',
      'or-stops:EXECUTED',
      'not-stops:MARK_RAN',
    ]);
  }, 300_000);
});

// An empty author (found on alphagov/pay-connector: every changeSet of migrations.xml has author=""): Liquibase 4.28
// checks only that the id is not empty, so the changeset runs and its history row's author is ''.
const EMPTY_AUTHOR = `<databaseChangeLog ${LIQUIBASE_NS}>
  <changeSet id="build gateway table" author="">
    <createTable tableName="ea_gateway"><column name="id" type="bigserial" autoIncrement="true"><constraints primaryKey="true"/></column></createTable>
  </changeSet>
  <include file="ea.yaml" relativeToChangelogFile="true"/>
</databaseChangeLog>
`;
const EMPTY_AUTHOR_YAML = `databaseChangeLog:
  - changeSet:
      id: yaml-empty-author
      author: ""
      changes:
        - createTable: {tableName: ea_yaml, columns: [{column: {name: id, type: int}}]}
`;

describe('a changeSet with an empty author, against Liquibase 4.28', () => {
  const c = useOracleCase('eauthor', { 'ea.xml': EMPTY_AUTHOR, 'ea.yaml': EMPTY_AUTHOR_YAML });

  it("runs it and records author '', as Liquibase does", async () => {
    await liquibaseOk(c.root, c.theirs, 'ea.xml', 'update');
    await applyOurPackage(c.root, 'ea.xml', c.ours);
    expectSameSchemaAndHistory(c);
    expect(
      psqlRows(c.theirs, "SELECT id || '|' || author || '|' FROM databasechangelog ORDER BY orderexecuted"),
    ).toEqual(['build gateway table||', 'yaml-empty-author||']);
  }, 300_000);
});

// runOrder="first" / "last" (found on nordic-institute/X-Road: centerui-changelog.xml's separate-admin-user changeSet
// has runOrder="last"): Liquibase runs the firsts, then the rest, then the lasts, each in file order, across includes.
const ro = (id: string, attrs = '') =>
  `  <changeSet id="${id}" author="t" ${attrs}><sql>create table ro_${id.toLowerCase()} (id int)</sql></changeSet>`;
const RUN_ORDER = `<databaseChangeLog ${LIQUIBASE_NS}>
  <property name="late" value="last"/>
${ro('a')}
${ro('L1', 'runOrder="last"')}
${ro('b')}
  <include file="ro-inc.xml" relativeToChangelogFile="true"/>
  <include file="ro.yaml" relativeToChangelogFile="true"/>
${ro('d')}
${ro('F2', 'runOrder="first"')}
${ro('P', 'runOrder="${late}"')}
${ro('M', 'dbms="mysql" runOrder="bogus"')}
</databaseChangeLog>
`;
const RUN_ORDER_INC = `<databaseChangeLog ${LIQUIBASE_NS}>
${ro('F1', 'runOrder="first"')}
${ro('c')}
${ro('L2', 'runOrder="last"')}
</databaseChangeLog>
`;
const RUN_ORDER_YAML = `databaseChangeLog:
  - changeSet: {id: YL, author: t, runOrder: last, changes: [{sql: {sql: create table ro_yl (id int)}}]}
  - changeSet: {id: Y, author: t, changes: [{sql: {sql: create table ro_y (id int)}}]}
`;

describe('changeSet runOrder, against Liquibase 4.28', () => {
  const c = useOracleCase('runorder', {
    'ro.xml': RUN_ORDER,
    'ro-inc.xml': RUN_ORDER_INC,
    'ro.yaml': RUN_ORDER_YAML,
    'ro-upper.xml': `<databaseChangeLog ${LIQUIBASE_NS}>\n${ro('U', 'runOrder="LAST"')}\n</databaseChangeLog>\n`,
  });

  it('runs the firsts, the rest and the lasts, each in file order, as Liquibase does', async () => {
    await liquibaseOk(c.root, c.theirs, 'ro.xml', 'update');
    await applyOurPackage(c.root, 'ro.xml', c.ours);
    expectSameSchemaAndHistory(c);
    expect(psqlRows(c.theirs, 'SELECT id FROM databasechangelog ORDER BY orderexecuted').join(' ')).toBe(
      'F1 F2 a b c Y d L1 L2 YL P',
    );
  }, 300_000);

  it('refuses a runOrder other than first or last, as Liquibase does', async () => {
    const r = await runLiquibase(c.root, c.theirs.url, [
      `--search-path=${c.root}`,
      '--changelog-file=ro-upper.xml',
      'update',
    ]);
    expect(r.ok).toBe(false);
    expect(r.out).toContain('Unknown runOrder: LAST');
    await expect(parseChangelog({ rootDir: c.root, changelog: 'ro-upper.xml' })).rejects.toThrow(
      'Unknown runOrder: "LAST"',
    );
  }, 300_000);
});
