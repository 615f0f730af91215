import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { buildDatabasePackage } from '../../src/db/package.js';
import { renderRollbackSql } from '../../src/db/rollback.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { applyOurPackage, HISTORY_ROWS, liquibaseOk, psqlRows, schemaDump } from '../helpers/liquibase-oracle.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// Preconditions the build alone decides (dbms, changeLogPropertyDefined) that fail on PostgreSQL: Liquibase 4.28
// checks them before it generates any statement, so the changeset's body — here MySQL's `"\""`, an unterminated
// quoted identifier to PostgreSQL — is never split nor sent, and the changeset is recorded MARK_RAN (or skipped with
// CONTINUE, or stops the update with HALT). Found on valtimo-platform/valtimo-backend-libraries (audit module);
// Slipway used to stop the build with "Unterminated quoted identifier". The checksum still counts the body.
const MYSQL = `UPDATE t SET s = REPLACE(s, '"', "\\"")`;
const cs = (id: string, pre: string, body = MYSQL, extra = ''): string =>
  `<changeSet id="${id}" author="a"><preConditions ${pre}</preConditions><sql>${body}</sql>${extra}</changeSet>`;

const FILES = {
  'master.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
<changeSet id="t" author="a"><sql>create table t (s varchar(20))</sql></changeSet>
${cs('mark', 'onFail="MARK_RAN"><dbms type="mysql"/>')}
${cs('continue', 'onFail="CONTINUE"><dbms type="mysql, mariadb"/>')}
${cs('or', 'onFail="MARK_RAN"><or><dbms type="mysql"/><dbms type="mariadb"/></or>')}
${cs('not', 'onFail="MARK_RAN"><not><dbms type="postgresql"/></not>')}
${cs('and-first', 'onFail="MARK_RAN" onError="HALT"><and><dbms type="mysql"/><sqlCheck expectedResult="1">select nonsense from nowhere</sqlCheck></and>')}
${cs('not-pg', 'onFail="MARK_RAN"><dbms type="!postgresql"/>')}
${cs('no-property', 'onFail="MARK_RAN"><changeLogPropertyDefined property="not.defined"/>')}
${cs('not-mysql', 'onFail="MARK_RAN"><dbms type="!mysql"/>', 'create table not_mysql (id int)')}
${cs('warn', 'onFail="WARN"><dbms type="mysql"/>', 'create table warned (id int)')}
${cs('empty-type', 'onFail="MARK_RAN"><dbms type=""/>', 'create table empty_type (id int)')}
<include file="child.yaml"/>
${cs('last', 'onFail="MARK_RAN"><dbms type="mysql"/>', MYSQL, '<rollback><sql>create table rolled_back (id int)</sql></rollback>')}
</databaseChangeLog>
`,
  'child.yaml': `databaseChangeLog:
  - changeSet:
      id: yaml-mark
      author: a
      preConditions:
        - onFail: MARK_RAN
        - dbms:
            type: mysql
      changes:
        - sql:
            sql: ${JSON.stringify(MYSQL)}
`,
  'halt.xml': `<databaseChangeLog ${LIQUIBASE_NS}>
<changeSet id="t" author="a"><sql>create table t (s varchar(20))</sql></changeSet>
${cs('halt', 'onFail="HALT"><dbms type="mysql"/>')}
<changeSet id="after" author="a"><sql>create table after_halt (id int)</sql></changeSet>
</databaseChangeLog>
`,
};

describe('preconditions that fail at build time, against Liquibase 4.28', () => {
  let root: string;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    root = await makeTree(FILES);
    dbs.push(...(await Promise.all([1, 2, 3, 4].map((n) => createTestDatabase(`static_pre_${n}`)))));
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
    if (root) await removeTree(root);
  });

  it('marks ran / skips without the body, same rows, checksums and schema; the rollback still runs', async () => {
    const [theirs, ours] = [dbs[0]!, dbs[1]!];
    await liquibaseOk(root, theirs, 'master.xml', 'update');
    const pkg = await applyOurPackage(root, 'master.xml', ours);
    expect(pkg).not.toContain('"\\""');
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    expect(schemaDump(ours)).toEqual(schemaDump(theirs));
    expect(psqlRows(theirs, 'SELECT id, exectype FROM databasechangelog ORDER BY orderexecuted')).toEqual([
      't|EXECUTED',
      'mark|MARK_RAN',
      'or|MARK_RAN',
      'not|MARK_RAN',
      'and-first|MARK_RAN',
      'not-pg|MARK_RAN',
      'no-property|MARK_RAN',
      'not-mysql|EXECUTED',
      'warn|EXECUTED',
      'empty-type|MARK_RAN',
      'yaml-mark|MARK_RAN',
      'last|MARK_RAN',
    ]);
    // Liquibase 4.28 rolls a MARK_RAN changeset back like any other (ChangeSet.rollback does not look at EXECTYPE).
    await liquibaseOk(root, theirs, 'master.xml', 'rollback-count', '--count=1');
    const parsed = await parseChangelog({ rootDir: root, changelog: 'master.xml' });
    const file = path.join(root, 'rollback.sql');
    await writeFile(file, renderRollbackSql(parsed, { count: 1 }));
    const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, ours.url], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    expect(schemaDump(ours)).toEqual(schemaDump(theirs));
    expect(schemaDump(ours)).toContain('rolled_back');
  }, 300_000);

  it('onFail HALT: the build succeeds and the run stops at the changeset, as Liquibase does', async () => {
    const [theirs, ours] = [dbs[2]!, dbs[3]!];
    const lb = await runLiquibase(root, theirs.url, [
      `--search-path=${root}`,
      '--changelog-file=halt.xml',
      '--show-banner=false',
      'update',
    ]);
    expect(lb.ok).toBe(false);
    expect(lb.out).toMatch(/DBMS Precondition failed: expected mysql, got postgresql/);
    const pkg = await buildDatabasePackage({
      rootDir: root,
      changelog: 'halt.xml',
      application: 'oracle',
      version: '1.0.0',
      sourceDateEpoch: 0,
    });
    const file = path.join(root, 'halt.sql');
    await writeFile(file, pkg.sql);
    const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, ours.url], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/precondition failed for changeset halt\.xml::halt::a/);
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    expect(schemaDump(ours)).toEqual(schemaDump(theirs));
  }, 300_000);
});
