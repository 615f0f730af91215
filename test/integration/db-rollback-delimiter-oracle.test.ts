import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { renderRollbackSql } from '../../src/db/rollback.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { applyOurPackage, HISTORY_ROWS, liquibaseOk, psqlRows, schemaDump } from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// An endDelimiter that is no regular expression inside <rollback>: Liquibase 4.28 runs the update (rollback SQL is
// split only when rolling back) and fails on rollback with PatternSyntaxException. Slipway warns at file:line naming
// the field, packages the changeset, and refuses to roll it back.

describe('invalid endDelimiter inside <rollback> against Liquibase 4.28', () => {
  let root: string;
  let db: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({
      'm.xml': `<databaseChangeLog ${LIQUIBASE_NS}>\n  <changeSet id="1" author="a">\n    <sql>create table rbd (id int)</sql>\n    <rollback>\n      <sql endDelimiter="[x">drop table rbd</sql>\n    </rollback>\n  </changeSet>\n</databaseChangeLog>\n`,
    });
    db = await createTestDatabase('rb_delim');
  });
  afterAll(async () => {
    await db?.drop();
    if (root) await removeTree(root);
  });

  it('Liquibase updates and fails only on rollback; Slipway warns at file:line and refuses the rollback', async () => {
    await liquibaseOk(root, db, 'm.xml', 'update');
    const r = await runLiquibase(root, db.url, [
      `--search-path=${root}`,
      '--changelog-file=m.xml',
      'rollback-count',
      '--count=1',
    ]);
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/PatternSyntaxException|Unclosed character class/);

    const parsed = await parseChangelog({ rootDir: root, changelog: 'm.xml' });
    expect(parsed.changeSets[0]!.statements).toEqual(['create table rbd (id int)']);
    expect(parsed.changeSets[0]!.rollback).toBeNull();
    expect(parsed.warnings).toMatchObject([{ code: 'W_LIQUIBASE_REJECTS', file: 'm.xml', line: 5 }]);
    expect(parsed.warnings[0]!.message).toMatch(
      /^endDelimiter "\[x" of the rollback of changeset a:1 is not a valid regular expression/,
    );
    expect(() => renderRollbackSql(parsed, { count: 1 })).toThrow(/have no rollback/);
    await expect(parseChangelog({ rootDir: root, changelog: 'm.xml', strict: true })).rejects.toMatchObject({
      code: 'E_CHANGELOG',
    });
  }, 300_000);
});

// Formatted SQL reads `endDelimiter:` with `^.*endDelimiter:(\S*).*$` (case-insensitive, greedy), so a
// `rollbackEndDelimiter:GO` on the changeset line also cuts the main SQL at GO (update-sql text and checksums:
// db-end-delimiter-oracle F5-F7). Here: the update and the rollback it gives, both sides run.
const FORMATTED = [
  '--liquibase formatted sql',
  '--changeset a:1 rollbackEndDelimiter:GO',
  'create table d1 (id int);',
  'create table d2 (id int)',
  'GO',
  'create table d3 (id int);',
  '--rollback drop table d3;',
  '--rollback drop table d2',
  '--rollback GO',
  '--rollback drop table d1;',
  '--changeset a:2 rollbackEndDelimiter:@@',
  "create table g1 (id int)@@ create table g2 (v text default 'x;y');",
  'create table g3 (id int);',
  '--rollback drop table g3; drop table g2 @@ drop table g1',
  '',
].join('\n');

describe('formatted rollbackEndDelimiter: also the main SQL delimiter, against Liquibase 4.28', () => {
  let root: string;
  let theirs: TestDatabase;
  let ours: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({ 'f.sql': FORMATTED });
    [theirs, ours] = await Promise.all([createTestDatabase('rbd_hdr_theirs'), createTestDatabase('rbd_hdr_ours')]);
  });
  afterAll(async () => {
    await Promise.all([theirs?.drop(), ours?.drop()]);
    if (root) await removeTree(root);
  });

  it('the same statements, schema, history rows and rollback', async () => {
    const parsed = await parseChangelog({ rootDir: root, changelog: 'f.sql' });
    expect(parsed.warnings).toEqual([]);
    expect(parsed.changeSets.map((c) => c.statements)).toEqual([
      ['create table d1 (id int);\ncreate table d2 (id int)', 'create table d3 (id int);'],
      ['create table g1 (id int)', "create table g2 (v text default 'x;y');\ncreate table g3 (id int);"],
    ]);
    await liquibaseOk(root, theirs, 'f.sql', 'update');
    await applyOurPackage(root, 'f.sql', ours);
    expect(schemaDump(ours)).toBe(schemaDump(theirs));
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    expect(schemaDump(theirs)).toMatch(/CREATE TABLE public\.g2[\s\S]*'x;y'/);

    await liquibaseOk(root, theirs, 'f.sql', 'rollback-count', '--count=2');
    const file = path.join(root, 'rollback.sql');
    await writeFile(file, renderRollbackSql(parsed, { count: 2 }));
    const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, ours.url], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(schemaDump(ours)).toBe(schemaDump(theirs));
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    expect(schemaDump(theirs)).not.toContain('CREATE TABLE public.d1');
  }, 300_000);
});
