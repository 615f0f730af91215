import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  HISTORY_ROWS,
  liquibaseOk,
  ourRollback,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';

// rollback-count counts history rows, not changelog entries (found on internetofwater/nldi-db@4548818): a changeset a
// precondition's onFail/onError CONTINUE skipped is never recorded, so it is neither counted nor refused for lacking
// a rollback. Liquibase 4.28 takes the newest rows by DATEEXECUTED, ORDEREXECUTED, and `rollback --tag` also undoes
// the changeset whose only change is the tagDatabase.
const NS =
  'xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd"';
const cs = (id: string, body: string) => `  <changeSet id="${id}" author="a">${body}</changeSet>`;
const table = (id: string) => cs(id, `<sql>create table t${id} (id int)</sql><rollback>drop table t${id}</rollback>`);
const changelog = (...sets: string[]) => `<databaseChangeLog ${NS}>\n${sets.join('\n')}\n</databaseChangeLog>\n`;
const SKIPPED = [
  cs(
    '4',
    '<preConditions onFail="CONTINUE"><tableExists tableName="nope"/></preConditions><sql>create table t4 (id int)</sql>',
  ),
  cs(
    '5',
    '<preConditions onError="CONTINUE"><sqlCheck expectedResult="1">select 1/0</sqlCheck></preConditions><sql>create table t5 (id int)</sql>',
  ),
];
const M1 = changelog(table('1'), cs('2', '<tagDatabase tag="v1"/>'), table('3'), ...SKIPPED, table('6'), table('7'));
// 3b inserted between 3 and 4 after the first update: it runs last, so it is the newest row.
const M2 = changelog(
  table('1'),
  cs('2', '<tagDatabase tag="v1"/>'),
  table('3'),
  table('3b'),
  ...SKIPPED,
  table('6'),
  table('7'),
);

async function updateBoth(c: ReturnType<typeof useOracleCase>): Promise<void> {
  await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
  await applyOurPackage(c.root, 'm.xml', c.ours);
}

describe('rollback-count and rollback --tag over changesets skipped by CONTINUE, against Liquibase 4.28', () => {
  const c = useOracleCase('rb_recorded', { 'm.xml': M1 });

  it('counts recorded changesets only, and rolls a tag back with its tagDatabase changeset', async () => {
    await updateBoth(c);
    expect(psqlRows(c.ours, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).toEqual([
      '1',
      '2',
      '3',
      '6',
      '7',
    ]);
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback-count', '--count=3');
    expect(await ourRollback(c, 'm.xml', 3)).toBe('');
    expectSameSchemaAndHistory(c);
    expect(psqlRows(c.ours, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).toEqual(['1', '2']);

    await updateBoth(c);
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback', '--tag=v1');
    expect(await ourRollback(c, 'm.xml', { toTag: 'v1' })).toBe('');
    expectSameSchemaAndHistory(c);
    expect(psqlRows(c.ours, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).toEqual(['1']);
  }, 600_000);

  it('takes the newest rows by execution, not by changelog position', async () => {
    await updateBoth(c);
    await writeFile(path.join(c.root, 'm.xml'), M2);
    await updateBoth(c);
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback-count', '--count=1');
    expect(await ourRollback(c, 'm.xml', 1)).toBe('');
    expectSameSchemaAndHistory(c);
    expect(psqlRows(c.ours, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).toEqual([
      '1',
      '2',
      '3',
      '6',
      '7',
    ]);
  }, 600_000);
});

describe('rollback-count reaching a recorded changeset without rollback, against Liquibase 4.28', () => {
  const c = useOracleCase('rb_recorded_none', {
    'm.xml': changelog(cs('0', '<sql>create table t0 (id int)</sql>'), table('1'), ...SKIPPED),
  });

  it('fails the whole script naming it, where Liquibase undoes the newer ones before failing', async () => {
    await updateBoth(c);
    // Liquibase commits each changeset's rollback: it undoes 1, then fails on 0. Slipway's one transaction undoes
    // nothing, and leaves the database as it was (docs/liquibase-compatibility.md).
    const theirs = await runLiquibase(c.root, c.theirs.url, [
      `--search-path=${c.root}`,
      '--changelog-file=m.xml',
      'rollback-count',
      '--count=2',
    ]);
    expect(theirs.ok).toBe(false);
    expect(theirs.out).toContain('No inverse to liquibase.change.core.RawSQLChange created');
    const before = psqlRows(c.ours, HISTORY_ROWS);
    const err = await ourRollback(c, 'm.xml', 2);
    expect(err).toContain(
      'ERROR:  slipway: recorded changeset(s) to roll back have no rollback; nothing was rolled back: m.xml::0::a',
    );
    expect(psqlRows(c.ours, HISTORY_ROWS)).toEqual(before);
    // The newest one alone has a rollback (the skipped 4 and 5 are not counted): both end in the same state.
    expect(await ourRollback(c, 'm.xml', 1)).toBe('');
    expectSameSchemaAndHistory(c);
    expect(psqlRows(c.ours, 'SELECT id FROM databasechangelog')).toEqual(['0']);
  }, 600_000);
});
