import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runMain } from '../helpers/cli-main.js';

// `db apply`'s summary names what became of each changeset it did not record, as the package reported it: a
// failOnError:false changeset that failed is not "already applied", nor is one a precondition (CONTINUE) skipped.
// (Found on dockstore: "331 executed, 2 already applied" where those 2 had failed.)
const changelog = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd">
  <changeSet id="1" author="a"><sql>CREATE TABLE summary_t (id int)</sql></changeSet>
  <changeSet id="2" author="a" failOnError="false"><sql>INSERT INTO no_such_table VALUES (1)</sql></changeSet>
  <changeSet id="3" author="a">
    <preConditions onFail="CONTINUE"><tableExists tableName="no_such_table"/></preConditions>
    <sql>INSERT INTO summary_t VALUES (3)</sql>
  </changeSet>
  <changeSet id="4" author="a"><sql>INSERT INTO summary_t VALUES (4)</sql></changeSet>
</databaseChangeLog>
`;

describe('db apply summary', () => {
  let dir: string;
  let db: TestDatabase;
  beforeAll(async () => {
    dir = await makeTree({});
    await writeFile(path.join(dir, 'master.xml'), changelog);
    db = await createTestDatabase('slipway_apply_summary');
  });
  afterAll(async () => {
    await db.drop();
    await removeTree(dir);
  });

  it('counts failed (failOnError false) and precondition-skipped changesets apart from the already applied', async () => {
    const pkg = await runMain(['db', 'package', '--changelog', 'master.xml', '--out-file', 'p.sql'], { cwd: dir });
    expect(pkg.code, pkg.stderr).toBe(0);
    const first = await runMain(['db', 'apply', '--database-url', db.url, 'p.sql'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toMatch(
      /: 2 executed, 0 already applied, 1 failed and not recorded \(failOnError false\), 1 skipped by a precondition \(CONTINUE\) \(\d+ ms\)\n$/,
    );
    // Again: 1 and 4 are in the history; 2 fails again and 3 is skipped again (neither was recorded).
    const second = await runMain(['db', 'apply', '--database-url', db.url, 'p.sql'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(
      /: 0 executed, 2 already applied, 1 failed and not recorded \(failOnError false\), 1 skipped by a precondition \(CONTINUE\) \(\d+ ms\)\n$/,
    );
    expect(await queryRows(db.url, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).toEqual([
      { id: '1' },
      { id: '4' },
    ]);
    const json = await runMain(['db', 'apply', '--json', '--database-url', db.url, 'p.sql'], { cwd: dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ alreadyApplied: 2, failed: 1, preconditionSkipped: 1 });
  });
});
