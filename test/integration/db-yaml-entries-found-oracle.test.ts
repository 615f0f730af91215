// YAML/JSON shapes from real repositories where Slipway and Liquibase 4.28 disagreed (found by the conformance hunt,
// session 21); each compared with real Liquibase on PostgreSQL.
import { describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { psqlRows, updateBoth, useOracleCase } from '../helpers/liquibase-oracle.js';

describe('YAML/JSON entries Liquibase runs or refuses, as it does', () => {
  const c = useOracleCase('yamlentries', {
    // PhoenikSoft/team-balance-app: `sql:` straight under the changeSet, no `changes:` list. Liquibase runs it
    // (description "sql"), in its place before the `changes` that follow; Slipway dropped it ("Unknown attribute sql").
    'direct.yaml': `databaseChangeLog:
  - changeSet:
      id: 1
      author: x
      sql: create schema quartz
      changes:
        - sql: create table quartz.t_direct (id int)
  - changeSet:
      id: 2
      author: x
      notAChange: some text
      createTable:
        tableName: t_direct2
        columns:
          - column: {name: id, type: int}
`,
    // A text-valued root entry whose key Liquibase does not know: it ignores it, as it ignores \`- comment: text\`.
    'rootscalar.yaml': `databaseChangeLog:
  - baz: scalar
  - changeSet:
      id: 1
      author: x
      changes:
        - sql: create table t_rootscalar (id int)
`,
    // HzAjax/SarComp v1.0_add.json: \`columns\` as a list of bare column mappings, several of them.
    'bare.json': `{ "databaseChangeLog": [ { "changeSet": { "id": "1", "author": "x", "changes": [
  { "createTable": { "tableName": "t6", "columns": [
    { "name": "id", "type": "int", "constraints": { "primaryKey": true } },
    { "name": "label", "type": "varchar(20)" } ] } } ] } } ] }
`,
  });

  it('runs a change written straight under the changeSet, in its place, and warns of other text there as of any unknown attribute', async () => {
    await updateBoth(
      c,
      'direct.yaml',
      "SELECT table_schema || '.' || table_name FROM information_schema.tables WHERE table_name LIKE 't_direct%' ORDER BY 1",
    );
    expect(psqlRows(c.ours, 'SELECT description FROM databasechangelog ORDER BY orderexecuted')).toEqual([
      'sql; sql',
      'createTable tableName=t_direct2',
    ]);
    const parsed = await parseChangelog({ rootDir: c.root, changelog: 'direct.yaml' });
    expect(parsed.warnings.map((w) => `${w.code} ${w.line} ${w.message.split(':')[0]}`)).toEqual([
      'W_IGNORED_ATTRIBUTE 11 Unknown attribute "notAChange" on changeSet',
    ]);
  }, 300_000);

  it('ignores a text-valued root entry of an unknown key, with a warning', async () => {
    await updateBoth(c, 'rootscalar.yaml');
    const parsed = await parseChangelog({ rootDir: c.root, changelog: 'rootscalar.yaml' });
    expect(parsed.changeSets.map((s) => s.id)).toEqual(['1']);
    expect(parsed.warnings.map((w) => `${w.code} ${w.line}`)).toEqual(['W_IGNORED_ATTRIBUTE 2']);
  }, 300_000);

  it('refuses bare column mappings given twice in a list, as Liquibase does, naming the file and line', async () => {
    const r = await runLiquibase(c.root, c.theirs.url, [
      `--search-path=${c.root}`,
      '--changelog-file=bare.json',
      '--show-banner=false',
      'update-sql',
    ]);
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/Multiple nodes match/);
    await expect(parseChangelog({ rootDir: c.root, changelog: 'bare.json' })).rejects.toMatchObject({
      code: 'E_CHANGELOG',
      file: 'bare.json',
      line: 4,
      message: expect.stringMatching(/"name" is given by more than one entry of the list under "columns"/),
    });
  }, 300_000);
});
