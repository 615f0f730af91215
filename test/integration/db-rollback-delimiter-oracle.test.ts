import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { renderRollbackSql } from '../../src/db/rollback.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { liquibaseOk } from '../helpers/liquibase-oracle.js';

// An endDelimiter that is no regular expression inside <rollback>: Liquibase 4.28 runs the update (rollback SQL is
// split only when rolling back) and fails on rollback with PatternSyntaxException. Slipway warns at file:line naming
// the field, packages the changeset, and refuses to roll it back.
const NS =
  'xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd"';

describe('invalid endDelimiter inside <rollback> against Liquibase 4.28', () => {
  let root: string;
  let db: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({
      'm.xml': `<databaseChangeLog ${NS}>\n  <changeSet id="1" author="a">\n    <sql>create table rbd (id int)</sql>\n    <rollback>\n      <sql endDelimiter="[x">drop table rbd</sql>\n    </rollback>\n  </changeSet>\n</databaseChangeLog>\n`,
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
