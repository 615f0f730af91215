// Absurd nesting (100,000 levels) is an E_CHANGELOG naming file:line, never a RangeError; a 100,000-check list and
// a 199-deep <and>/<or>/<not> still build.
import { afterEach, describe, expect, it } from 'vitest';
import { buildDatabasePackage } from '../../../src/db/package.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeTree));
});
const xml = (body: string): string =>
  `<?xml version="1.0"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n${body}\n</databaseChangeLog>\n`;
const cs = (pre: string): string =>
  `<changeSet id="1" author="a">\n<preConditions onFail="MARK_RAN">${pre}</preConditions><sql>select 1</sql></changeSet>`;
async function build(file: string, content: string) {
  const root = await makeTree({ [file]: content });
  dirs.push(root);
  return buildDatabasePackage({ rootDir: root, changelog: file, application: 'x', version: '1', sourceDateEpoch: 0 });
}
const N = 100_000;

describe('deeply nested changelogs', () => {
  it('100,000 nested <and> in XML: E_CHANGELOG at its line', async () => {
    const pre = `${'<and>'.repeat(N)}<tableExists tableName="x"/>${'</and>'.repeat(N)}`;
    await expect(build('deep.xml', xml(cs(pre)))).rejects.toMatchObject({
      code: 'E_CHANGELOG',
      file: 'deep.xml',
      line: 4,
    });
  });

  it('201 nested <not> (under the element limit): the precondition limit, E_CHANGELOG', async () => {
    const pre = `${'<not>'.repeat(201)}<tableExists tableName="x"/>${'</not>'.repeat(201)}`;
    await expect(build('deep.xml', xml(cs(pre)))).rejects.toMatchObject({
      code: 'E_CHANGELOG',
      message: expect.stringContaining('nest deeper than 200'),
    });
  });

  it('100,000 nested elements under a change, and in YAML and JSON: E_CHANGELOG', async () => {
    const deep = `${'<x>'.repeat(N)}${'</x>'.repeat(N)}`;
    const col = `<changeSet id="1" author="a"><createTable tableName="t"><column name="c" type="int">${deep}</column></createTable></changeSet>`;
    await expect(build('col.xml', xml(col))).rejects.toMatchObject({ code: 'E_CHANGELOG', file: 'col.xml' });
    const yaml = `databaseChangeLog:\n  - changeSet:\n      id: 1\n      author: a\n      preConditions:\n        - ${'and: ['.repeat(N)}{tableExists: {tableName: x}}${']'.repeat(N)}\n      changes:\n        - sql: select 1\n`;
    await expect(build('deep.yaml', yaml)).rejects.toMatchObject({ code: 'E_CHANGELOG', file: 'deep.yaml' });
    const json = `{"databaseChangeLog": [{"changeSet": {"id": "1", "author": "a", "preConditions": [${'{"and": ['.repeat(N)}{"tableExists": {"tableName": "x"}}${']}'.repeat(N)}], "changes": [{"sql": {"sql": "select 1"}}]}}]}`;
    await expect(build('deep.json', json)).rejects.toMatchObject({ code: 'E_CHANGELOG', file: 'deep.json' });
  });

  it('100,000 checks side by side, and 199 nested levels, build', async () => {
    const wide = await build('wide.xml', xml(cs('<tableExists tableName="x"/>'.repeat(N))));
    expect(wide.sql).toContain('IF passed THEN');
    let open = '';
    let close = '';
    for (let i = 0; i < 199; i++) {
      const tag = ['and', 'or', 'not'][i % 3]!;
      open += `<${tag}><tableExists tableName="n${i}"/>`;
      close = `<sqlCheck expectedResult="1">select 1</sqlCheck></${tag}>${close}`;
    }
    expect((await build('d.xml', xml(cs(`${open}<tableExists tableName="x"/>${close}`)))).sql).toContain('slipway');
  }, 60_000);
});
