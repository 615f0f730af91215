import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// addColumn's afterColumn / beforeColumn / position on PostgreSQL, measured with Liquibase 4.28: validation refuses
// the changeset ("addAfterColumn is not allowed on postgresql", AddColumnGenerator.validate), in XML and YAML; it is
// not ignored. Slipway refuses it the same way, naming file:line and the field.

const KINDS = [
  ['afterColumn', 'afterColumn="id"', 'afterColumn: id', 'addAfterColumn'],
  ['beforeColumn', 'beforeColumn="id"', 'beforeColumn: id', 'addBeforeColumn'],
  ['position', 'position="1"', 'position: 1', 'addAtPosition'],
] as const;

const xml = (attr: string) =>
  `<databaseChangeLog ${LIQUIBASE_NS}>\n<changeSet id="t" author="a"><createTable tableName="pos"><column name="id" type="int"/></createTable></changeSet>\n<changeSet id="c" author="a">\n  <addColumn tableName="pos"><column name="x" type="int" ${attr}/></addColumn>\n</changeSet>\n</databaseChangeLog>\n`;
const yaml = (attr: string) =>
  `databaseChangeLog:\n  - changeSet:\n      id: c\n      author: a\n      changes:\n        - addColumn:\n            tableName: pos\n            columns:\n              - column:\n                  name: x\n                  type: int\n                  ${attr}\n`;

describe('addColumn afterColumn/beforeColumn/position against Liquibase 4.28 on PostgreSQL', () => {
  let root: string;
  let db: TestDatabase;
  beforeAll(async () => {
    const tree: Record<string, string> = {};
    for (const [k, x, y] of KINDS) {
      tree[`${k}.xml`] = xml(x);
      tree[`${k}.yaml`] = yaml(y);
    }
    tree['all.xml'] =
      `<databaseChangeLog ${LIQUIBASE_NS}>\n${KINDS.map(([k]) => `<include file="${k}.xml"/><include file="${k}.yaml"/>`).join('\n')}\n</databaseChangeLog>\n`;
    root = await makeTree(tree);
    db = await createTestDatabase('addcol_pos');
  });
  afterAll(async () => {
    await db?.drop();
    if (root) await removeTree(root);
  });

  it('Liquibase refuses each form on PostgreSQL, and so does Slipway, at file:line with the field', async () => {
    const r = await runLiquibase(root, db.url, [`--search-path=${root}`, '--changelog-file=all.xml', 'update']);
    expect(r.ok).toBe(false);
    for (const [, , , measured] of KINDS) expect(r.out).toContain(`${measured} is not allowed on postgresql`);
    // Nothing ran: validation fails before the first changeset.
    expect(r.out).toMatch(/Validation Failed/);
    for (const [kind] of KINDS) {
      await expect(parseChangelog({ rootDir: root, changelog: `${kind}.xml` })).rejects.toMatchObject({
        code: 'E_CHANGELOG',
        file: `${kind}.xml`,
        line: 4,
        field: kind,
      });
      await expect(parseChangelog({ rootDir: root, changelog: `${kind}.yaml` })).rejects.toMatchObject({
        code: 'E_CHANGELOG',
        file: `${kind}.yaml`,
        field: kind,
      });
    }
  }, 300_000);
});
