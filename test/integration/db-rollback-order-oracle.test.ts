import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readHistory } from '../../src/db/delta.js';
import { readChangelog } from '../../src/db/read-changelog.js';
import { renderRollbackSql, type RenderRollbackOptions } from '../../src/db/rollback.js';
import { changelogXml } from '../helpers/changelog-xml.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
  type OracleCase,
} from '../helpers/liquibase-oracle.js';

// Liquibase 4.28 undoes the changesets `rollback --tag`, `rollback-count` (and their -sql forms) pick newest first by
// execution, not by changelog position: AbstractRollbackCommandStep builds its ChangeLogIterator from
// database.getRanChangeSetList() (StandardChangeLogHistoryService: ORDER BY DATEEXECUTED ASC, ORDEREXECUTED ASC) and
// RollbackVisitor walks it in REVERSE. The orders differ when a changeset was added to the file above ones already
// run, a runOnChange changeset ran again (its row gets a new DATEEXECUTED and ORDEREXECUTED), or contexts were applied
// in two passes. Slipway's blocks followed the changelog, newest first: a wrong order, or a rollback that fails
// ("cannot drop table … because other objects depend on it") where Liquibase's succeeds. Its blocks are written
// before the SQL runs, so they follow the database's history when the SQL is written from it (`executed`,
// rollback-sql --database-url), else the changelog, and the script refuses a history that ran them in another order.

// Each rollback first logs its changeset in rblog, whose rows (in insertion order) are the order they were undone in.
const LOG = `  <changeSet id="log" author="a"><sql>create table rblog (n serial, id text)</sql><rollback/></changeSet>`;
const undo = (id: string, drop: string) => `<rollback>insert into rblog (id) values ('${id}'); ${drop}</rollback>`;
const table = (id: string, attrs = '') =>
  `  <changeSet id="${id}" author="a"${attrs}><sql>create table t${id} (id int)</sql>${undo(id, `drop table t${id}`)}</changeSet>`;
const tag = (id: string, name: string) => `  <changeSet id="${id}" author="a"><tagDatabase tag="${name}"/></changeSet>`;
const ids = (c: OracleCase, side: 'theirs' | 'ours') =>
  psqlRows(c[side], 'SELECT id FROM databasechangelog ORDER BY orderexecuted');
const undone = (c: OracleCase, side: 'theirs' | 'ours') => psqlRows(c[side], 'SELECT id FROM rblog ORDER BY n');

/**
 * Slipway's rollback SQL of `changelog` (read with `contexts`), its blocks in the changelog's order or, `fromHistory`,
 * in the order `ours` ran them (read now, as rollback-sql --database-url does), run by psql: exit status and stderr.
 */
async function ourRollback(
  c: OracleCase,
  changelog: string,
  what: RenderRollbackOptions,
  fromHistory: boolean,
  contexts: string[] = [],
): Promise<{ status: number | null; stderr: string }> {
  const { parsed, selected } = await readChangelog({ rootDir: c.root, changelog, contexts });
  const executed = fromHistory ? await readHistory(c.ours.url) : undefined;
  const sql = renderRollbackSql({ ...parsed, changeSets: selected }, { ...what, ...(executed ? { executed } : {}) });
  return spawnSync('psql', ['-X', '-q', '-f', '-', c.ours.url], { input: sql, encoding: 'utf8' });
}

/** Both sides hold the same schema, history and rblog. */
function expectSame(c: OracleCase): void {
  expectSameSchemaAndHistory(c);
  expect(undone(c, 'ours')).toEqual(undone(c, 'theirs'));
}

describe('rollback-count of a changeset added to the file above ones already run, against Liquibase 4.28', () => {
  // v is added above 3 after 3 ran, and is a view over 3's table: it must be undone before 3.
  const V = `  <changeSet id="v" author="a"><sql>create view vt as select * from t3</sql>${undo('v', 'drop view vt')}</changeSet>`;
  const c = useOracleCase('rb_order_added', { 'm.xml': changelogXml([LOG, table('1'), table('3')].join('\n')) });

  it('undoes the newest by execution first; SQL in changelog order refuses, nothing undone', async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    await writeFile(path.join(c.root, 'm.xml'), changelogXml([LOG, table('1'), V, table('3')].join('\n')));
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    expectSame(c);
    const before = psqlRows(c.ours, 'SELECT id FROM databasechangelog ORDER BY orderexecuted');
    const refused = await ourRollback(c, 'm.xml', { count: 2 }, false);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toContain(
      'slipway: the database ran m.xml::v::a after m.xml::3::a, but this rollback SQL undoes them in changelog order, the other way round',
    );
    expect(refused.stderr).toContain('slipway db rollback-sql --database-url');
    expect(ids(c, 'ours')).toEqual(before);
    expect(undone(c, 'ours')).toEqual([]);

    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback-count', '--count=2');
    expect((await ourRollback(c, 'm.xml', { count: 2 }, true)).stderr).toBe('');
    expect(undone(c, 'theirs')).toEqual(['v', '3']);
    expectSame(c);
  }, 600_000);
});

describe('rollback --tag over a runOnChange changeset that ran again after the tag, against Liquibase 4.28', () => {
  const rerun = (x: number) =>
    `  <changeSet id="r" author="a" runOnChange="true"><sql>create or replace view rv as select ${x} as x</sql>${undo('r', 'drop view rv')}</changeSet>`;
  const c = useOracleCase('rb_order_rerun', {
    'm.xml': changelogXml([LOG, rerun(1), tag('2', 'v1'), table('3')].join('\n')),
  });

  it('undoes the rerun (newest by execution) before what ran after the tag in the first update', async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    await writeFile(path.join(c.root, 'm.xml'), changelogXml([LOG, rerun(2), tag('2', 'v1'), table('3')].join('\n')));
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    expectSame(c);
    const refused = await ourRollback(c, 'm.xml', { toTag: 'v1' }, false);
    expect(refused.stderr).toContain('slipway: the database ran m.xml::r::a after m.xml::3::a');
    expect(undone(c, 'ours')).toEqual([]);

    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback', '--tag=v1');
    expect((await ourRollback(c, 'm.xml', { toTag: 'v1' }, true)).stderr).toBe('');
    expect(undone(c, 'theirs')).toEqual(['r', '3']);
    expect(ids(c, 'theirs')).toEqual(['log']); // 2 only tags: undone too
    expectSame(c);
  }, 600_000);
});

describe('rollback-count after contexts applied in two passes, against Liquibase 4.28', () => {
  const c = useOracleCase('rb_order_ctx', {
    'm.xml': changelogXml(
      [LOG, table('1', ' context="b"'), table('2', ' context="a"'), table('3', ' context="b"')].join('\n'),
    ),
  });

  it('undoes the second pass before the first', async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update', '--contexts=a');
    await applyOurPackage(c.root, 'm.xml', c.ours, { contexts: ['a'] });
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    expectSame(c);
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback-count', '--count=3');
    expect((await ourRollback(c, 'm.xml', { count: 3 }, true)).stderr).toBe('');
    expect(undone(c, 'theirs')).toEqual(['3', '1', '2']);
    expectSame(c);
  }, 600_000);
});

describe('rollback --tag --tag-version NEWEST, against Liquibase 4.28', () => {
  const c = useOracleCase('rb_tag_newest', {
    'm.xml': changelogXml([LOG, table('1'), tag('2', 'v1'), table('3'), tag('4', 'V1'), table('5')].join('\n')),
  });

  it('goes back to the newest row with the tag (ignoring case), and undoes that row when it only tags', async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback', '--tag=v1', '--tag-version=newest');
    expect((await ourRollback(c, 'm.xml', { toTag: 'v1', tagVersion: 'NEWEST' }, false)).stderr).toBe('');
    expect(ids(c, 'theirs')).toEqual(['log', '1', '2', '3']);
    expectSame(c);
  }, 600_000);
});
