import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { applyOurPackage, HISTORY_ROWS, liquibaseOk, psqlRows } from '../helpers/liquibase-oracle.js';

// Liquibase validates an XML changelog against the XSD its schemaLocation names, and the validating parser fills in
// the attribute defaults that XSD declares: dbchangelog-3.4 … 4.5 declare includeAll errorIfMissingOrEmpty
// default="false" (4.6 on: "true"), so under those a missing includeAll directory is skipped, not an error (found
// on a public master that lists includeAll folders it does not have yet; rebuilt here by hand).
const master = (xsd: string): string => `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog
    http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-${xsd}.xsd">
  <includeAll path="/db/Missing" relativeToChangelogFile="false"/>
  <includeAll path="/db/Tables" relativeToChangelogFile="false"/>
</databaseChangeLog>
`;

describe('includeAll errorIfMissingOrEmpty defaults of the named XSD, against Liquibase 4.28', () => {
  let root: string;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    root = await makeTree({
      'db/old.xml': master('4.4'),
      'db/new.xml': master('4.6'),
      'db/Tables/t.sql': '--liquibase formatted sql\n--changeset a:1\ncreate table t (id int);\n',
    });
    dbs.push(...(await Promise.all(['theirs', 'ours', 'new'].map((n) => createTestDatabase(`incallxsd_${n}`)))));
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
    if (root) await removeTree(root);
  });

  it('dbchangelog-4.4.xsd: the missing directory is skipped, as Liquibase skips it', async () => {
    const [theirs, ours] = dbs as [TestDatabase, TestDatabase];
    await liquibaseOk(root, theirs, 'db/old.xml', 'update');
    await applyOurPackage(root, 'db/old.xml', ours);
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
    expect(psqlRows(ours, HISTORY_ROWS)).toHaveLength(1);
  }, 300_000);

  it('dbchangelog-4.6.xsd: the missing directory is an error for both', async () => {
    const r = await runLiquibase(root, dbs[2]!.url, ['--search-path=' + root, '--changelog-file=db/new.xml', 'update']);
    expect(r.ok).toBe(false);
    expect(r.out).toContain(
      "Could not find directory, directory was empty, or no changelogs matched the provided search criteria for includeAll '/db/Missing'",
    );
    await expect(parseChangelog({ rootDir: root, changelog: 'db/new.xml' })).rejects.toThrow(
      /includeAll directory not found: db\/Missing/,
    );
  }, 300_000);
});
