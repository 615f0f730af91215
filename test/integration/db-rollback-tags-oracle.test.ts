import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readChangelog } from '../../src/db/read-changelog.js';
import { renderRollbackSql } from '../../src/db/rollback.js';
import { changelogXml } from '../helpers/changelog-xml.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
  type OracleCase,
} from '../helpers/liquibase-oracle.js';

// Liquibase 4.28 decides what `rollback --tag` and `rollback-count` undo from databasechangelog (RollbackCommandStep,
// RollbackCountCommandStep): the history rows, newest first, each matched to a changeset of the changelog (rows it
// does not have are passed over), then the context, label and dbms filters, then the tag or count filter — so a row
// not in the changelog or filtered out is neither undone nor counted. `rollback --tag` (default --tag-version OLDEST)
// undoes every row after the OLDEST row whose TAG equals the tag ignoring case, by execution order, and that row too
// when its DESCRIPTION is tagDatabase — also a tag set outside the changelog (`liquibase tag`); a tag no row has
// fails ("Could not find tag 'x' in the database"). Slipway looked for the tag in the changelog (exact case) and
// went back to its first tagDatabase changeset by changelog position.

const cs = (id: string, body: string, attrs = '') => `  <changeSet id="${id}" author="a"${attrs}>${body}</changeSet>`;
const table = (id: string, attrs = '') =>
  cs(id, `<sql>create table t${id} (id int)</sql><rollback>drop table t${id}</rollback>`, attrs);
const tag = (id: string, name: string) => cs(id, `<tagDatabase tag="${name}"/>`);
const ids = (c: OracleCase, side: 'theirs' | 'ours') =>
  psqlRows(c[side], 'SELECT id FROM databasechangelog ORDER BY orderexecuted');

/** Slipway's rollback SQL of `changelog` read with `contexts`, run by psql on `ours`: its exit status and stderr. */
async function ourRollback(
  c: OracleCase,
  changelog: string,
  what: { count: number } | { toTag: string },
  contexts: string[] = [],
): Promise<{ status: number | null; stderr: string }> {
  const { parsed, selected } = await readChangelog({ rootDir: c.root, changelog, contexts });
  const sql = renderRollbackSql({ ...parsed, changeSets: selected }, what);
  return spawnSync('psql', ['-X', '-q', '-f', '-', c.ours.url], { input: sql, encoding: 'utf8' });
}

async function liquibase(c: OracleCase, changelog: string, ...args: string[]) {
  return runLiquibase(c.root, c.theirs.url, [`--search-path=${c.root}`, `--changelog-file=${changelog}`, ...args]);
}

const SETS = [table('1'), tag('2', 'v1'), table('3'), tag('4', 'v1'), table('5')];

describe('rollback --tag with a tag given twice, against Liquibase 4.28', () => {
  const c = useOracleCase('rb_tags', {
    'm.xml': changelogXml(SETS.join('\n')),
  });

  it('goes back to the oldest row with the tag (compared ignoring case)', async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    expectSameSchemaAndHistory(c);
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback', '--tag=V1');
    expect((await ourRollback(c, 'm.xml', { toTag: 'V1' })).stderr).toBe('');
    expect(ids(c, 'theirs')).toEqual(['1']);
    expectSameSchemaAndHistory(c);
  }, 600_000);

  it('fails on a tag no history row has, and undoes nothing', async () => {
    const theirs = await liquibase(c, 'm.xml', 'rollback', '--tag=v9');
    expect(theirs.ok).toBe(false);
    expect(theirs.out).toContain("Could not find tag 'v9' in the database");
    const ours = await ourRollback(c, 'm.xml', { toTag: 'v9' });
    expect(ours.status).not.toBe(0);
    expect(ours.stderr).toContain("Could not find tag 'v9' in the database");
    expectSameSchemaAndHistory(c);
  }, 600_000);

  it('goes back to a tag set outside the changelog (liquibase tag)', async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'tag', '--tag=v2');
    // What `liquibase tag` runs on PostgreSQL (TagDatabaseGenerator): the newest row takes the tag.
    psqlRows(
      c.ours,
      "UPDATE databasechangelog t SET TAG='v2' FROM (SELECT DATEEXECUTED, ORDEREXECUTED FROM databasechangelog ORDER BY DATEEXECUTED DESC, ORDEREXECUTED DESC LIMIT 1) sub WHERE t.DATEEXECUTED=sub.DATEEXECUTED AND t.ORDEREXECUTED=sub.ORDEREXECUTED",
    );
    await writeFile(path.join(c.root, 'm.xml'), changelogXml([...SETS, table('6'), table('7')].join('\n')));
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    expectSameSchemaAndHistory(c);
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback', '--tag=v2');
    expect((await ourRollback(c, 'm.xml', { toTag: 'v2' })).stderr).toBe('');
    expect(ids(c, 'theirs')).toEqual(['1', '2', '3', '4', '5']);
    expectSameSchemaAndHistory(c);
  }, 600_000);
});

describe('rollback-count and rollback --tag over rows the changelog lacks or filters out, against Liquibase 4.28', () => {
  const c = useOracleCase('rb_foreign', {
    'm.xml': changelogXml(
      [table('1'), tag('2', 'v1'), table('3'), table('4', ' context="a"'), table('5', ' labels="l"'), table('6')].join(
        '\n',
      ),
    ),
  });
  // A row of a changeset this changelog does not have (another changelog's, or one deleted since), the newest.
  const FOREIGN =
    "INSERT INTO databasechangelog (id, author, filename, dateexecuted, orderexecuted, exectype, md5sum, description, deployment_id) SELECT 'x', 'b', 'other.xml', max(dateexecuted) + interval '1 hour', max(orderexecuted) + 1, 'EXECUTED', '9:0', 'sql', '0' FROM databasechangelog";

  it('neither undoes nor counts them', async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    for (const side of [c.theirs, c.ours]) psqlRows(side, FOREIGN);
    expectSameSchemaAndHistory(c);
    // Context b: 4 (context a) is filtered out; 6, 5 and 3 are the newest 3 the filters let through.
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback-count', '--count=3', '--contexts=b');
    expect((await ourRollback(c, 'm.xml', { count: 3 }, ['b'])).stderr).toBe('');
    expect(ids(c, 'theirs')).toEqual(['1', '2', '4', 'x']);
    expectSameSchemaAndHistory(c);
  }, 600_000);

  it('rollback --tag passes over them too', async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    expectSameSchemaAndHistory(c);
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback', '--tag=v1', '--contexts=b');
    expect((await ourRollback(c, 'm.xml', { toTag: 'v1' }, ['b'])).stderr).toBe('');
    expect(ids(c, 'theirs')).toEqual(['1', '4', 'x']);
    expectSameSchemaAndHistory(c);
  }, 600_000);
});
