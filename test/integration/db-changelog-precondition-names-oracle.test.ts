// Table names of changelog-level (<databaseChangeLog>-level) rowCount / tableIsEmpty, compared with real Liquibase
// 4.28 `update`. Measured: they are named as the changeset-level ones are (escapeTableName: under LEGACY upper case
// stays unquoted and folds, mixed case, `with-dash` and the reserved `user` are quoted), under the MASTER changelog's
// objectQuotingStrategy (DatabaseChangeLog.validate sets it), also for the preconditions of an included file with its
// own strategy (whose changeSets still use the file's). A YAML/JSON changelog sets objectQuotingStrategy and
// logicalFilePath (and changeLogId, context) as a list entry, `- objectQuotingStrategy: QUOTE_ALL_OBJECTS`, which
// Liquibase reads like XML's root attributes; Slipway used to refuse it ('"objectQuotingStrategy" needs a mapping').
// Each table pair below holds a different row count under each reading, so a wrong name fails the update (HALT).
import { describe, it } from 'vitest';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';
import { changelogXml } from '../helpers/changelog-xml.js';

const xml = (attrs: string, body: string): string => changelogXml(body, attrs);

const SETUP = `
create schema alert; create table alert.permission_matrix (x int);
create schema "ALERT"; create table "ALERT"."PERMISSION_MATRIX" (x int); insert into "ALERT"."PERMISSION_MATRIX" values (1);
create table "MixedCase" (x int); create table mixedcase (x int); insert into mixedcase values (1);
create table "with-dash" (x int);
create table "user" (x int); insert into "user" values (1);
create table "UPPER" (x int); insert into "UPPER" values (1); create table upper (x int);
`;

const FILES = {
  'legacy.xml': xml(
    '',
    `<preConditions>
  <rowCount schemaName="ALERT" tableName="PERMISSION_MATRIX" expectedRows="0"/>
  <tableIsEmpty tableName="MixedCase"/>
  <tableIsEmpty tableName="with-dash"/>
  <rowCount tableName="user" expectedRows="1"/>
  <tableIsEmpty tableName="UPPER"/>
</preConditions>
<include file="child-quote-all.xml"/>`,
  ),
  // The master's LEGACY names this file's own preconditions; its changeSet quotes (its file's strategy).
  'child-quote-all.xml': xml(
    ' objectQuotingStrategy="QUOTE_ALL_OBJECTS"',
    `<preConditions><rowCount schemaName="ALERT" tableName="PERMISSION_MATRIX" expectedRows="0"/></preConditions>
<changeSet id="quoted" author="a"><createTable tableName="ChildTable"><column name="Id" type="int"/></createTable></changeSet>`,
  ),
  'quote-all.yaml': `databaseChangeLog:
  - objectQuotingStrategy: QUOTE_ALL_OBJECTS
  - logicalFilePath: logical/quote-all.yaml
  - preConditions:
      - rowCount:
          schemaName: ALERT
          tableName: PERMISSION_MATRIX
          expectedRows: 1
      - rowCount:
          tableName: UPPER
          expectedRows: 1
  - include:
      file: child-legacy.xml
  - changeSet:
      id: yaml-quoted
      author: a
      changes:
        - createTable:
            tableName: YamlTable
            columns:
              - column: {name: Id, type: int}
`,
  // Under a QUOTE_ALL_OBJECTS master, this LEGACY file's preconditions quote.
  'child-legacy.xml': xml(
    '',
    `<preConditions><rowCount schemaName="ALERT" tableName="PERMISSION_MATRIX" expectedRows="1"/></preConditions>`,
  ),
  'reserved.xml': xml(
    ' objectQuotingStrategy="QUOTE_ONLY_RESERVED_WORDS"',
    `<preConditions><rowCount tableName="MixedCase" expectedRows="1"/><rowCount tableName="user" expectedRows="1"/></preConditions>
<changeSet id="reserved" author="a"><sql>create table ran_reserved (x int)</sql></changeSet>`,
  ),
};

describe('changelog-level rowCount / tableIsEmpty table names against Liquibase 4.28', () => {
  const c = useOracleCase('changelog_pre_names', FILES);

  it('names the table under the master changelog’s objectQuotingStrategy, XML and YAML', async () => {
    psqlRows(c.theirs, SETUP);
    psqlRows(c.ours, SETUP);
    for (const changelog of ['legacy.xml', 'quote-all.yaml', 'reserved.xml']) {
      await liquibaseOk(c.root, c.theirs, changelog, 'update');
      await applyOurPackage(c.root, changelog, c.ours);
      expectSameSchemaAndHistory(c);
    }
  }, 300_000);
});
