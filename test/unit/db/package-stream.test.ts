// A whole changelog's package is written as the parse reads it (StreamedChangeSets); it must be, byte for byte and
// fact for fact, the package of the parsed changelog (renderPackage), which a delta and the other commands use.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changelogXml } from '../../helpers/changelog-xml.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';
import { prepareDatabasePackage } from '../../../src/db/package.js';
import { readChangelog } from '../../../src/db/read-changelog.js';
import { renderPackage } from '../../../src/db/render.js';
import { toIndexEntry } from '../../../src/db/index-entry.js';
import { skippedSql } from '../../../src/db/skipped-sql.js';

const sqlChangeSet = (id: string, attrs = '', sql = `CREATE TABLE t_${id} (id int);`) =>
  `<changeSet id="${id}" author="a"${attrs}><sql>${sql}</sql></changeSet>`;

const TREE: Record<string, string> = {
  // runOrder first/last in the master and in an included file, a changeset the contexts leave out, a reused
  // rollback, and a "first" changeset from the file the plain ones start with (one FILE line there, not two).
  'master.xml': changelogXml(
    [
      '<include file="a.xml"/>',
      sqlChangeSet('m1'),
      sqlChangeSet('mL', ' runOrder="last"'),
      '<include file="b.sql"/>',
      sqlChangeSet('m2', ' context="other"'),
      sqlChangeSet('m3'),
    ].join('\n'),
  ),
  'a.xml': changelogXml(
    [
      sqlChangeSet('aF', ' runOrder="first"'),
      sqlChangeSet('a1'),
      `<changeSet id="a2" author="a"><sql>SELECT 2;</sql><rollback changeSetId="a1" changeSetAuthor="a"/></changeSet>`,
      sqlChangeSet('aL', ' runOrder="last"'),
    ].join('\n'),
  ),
  'b.sql': [
    '--liquibase formatted sql',
    // several statements, one not ASCII: the reused rollback reads them back from the streamed parse's spool
    '--changeset b:1',
    'CREATE TABLE b1 (id int);',
    "COMMENT ON TABLE b1 IS 'café, 𝄞';",
    'CREATE INDEX b1_id ON b1 (id);',
    '--rollback DROP TABLE b1;',
    '--changeset b:2 context:other',
    'CREATE TABLE b2 (id int);',
    '--changeset b:3',
    'INSERT INTO b1 VALUES (1);',
    '--rollback changesetId:1 changesetAuthor:b',
    '',
  ].join('\n'),
};

describe('prepareDatabasePackage of a whole changelog (streamed)', () => {
  let root: string;
  beforeAll(async () => {
    root = await makeTree(TREE);
  });
  afterAll(() => removeTree(root));

  it('is the package, skipped SQL and index of the parsed changelog', async () => {
    const opts = {
      rootDir: root,
      changelog: 'master.xml',
      contexts: ['prod'],
      application: 'a',
      version: '1',
      sourceDateEpoch: 0,
    };
    const streamed = await prepareDatabasePackage(opts);
    const { parsed, selected } = await readChangelog({ rootDir: root, changelog: 'master.xml', contexts: ['prod'] });
    const ids = selected.map((cs) => cs.id);
    expect(ids).toEqual(['aF', 'a1', 'a2', 'm1', '1', '3', 'm3', 'aL', 'mL']);
    const whole = renderPackage({ ...parsed, changeSets: selected }, opts);
    expect(Array.from(streamed.chunks()).join('')).toBe(whole);
    expect(streamed.changeSets).toBe(selected.length);
    expect(streamed.head).toEqual({ id: 'mL', author: 'a', filename: 'master.xml' });
    expect(streamed.index()).toEqual(selected.map(toIndexEntry));
    expect(streamed.skippedSql).toEqual(skippedSql(parsed.changeSets, selected));
    expect(Object.keys(streamed.skippedSql.changeSets)).toEqual(['b.sql']);
  });

  it('refuses a duplicate found after the changesets before it were written', async () => {
    const bad = await makeTree({
      ...TREE,
      'b.sql': `${TREE['b.sql']}--changeset b:1\nSELECT 1;\n`,
    });
    try {
      await expect(
        prepareDatabasePackage({
          rootDir: bad,
          changelog: 'master.xml',
          application: 'a',
          version: '1',
          sourceDateEpoch: 0,
        }),
      ).rejects.toThrow(/Duplicate changeset b\.sql::1::b/);
    } finally {
      await removeTree(bad);
    }
  });
});
