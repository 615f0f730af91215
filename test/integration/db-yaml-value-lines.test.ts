// `slipway db package` on YAML and JSON changelogs whose SQL is a block or multi-line scalar: the `-- at file:line`
// of each statement, W_LIQUIBASE_SPLITS and an unterminated quote name the line the text is written on, not the line
// of the `sql:` key above it (value-lines.ts).
import { afterAll, describe, expect, it } from 'vitest';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runMain } from '../helpers/cli-main.js';

const CONFIG = (changelog: string): string =>
  `name: lines\nversion: 1.0.0\ndatabase:\n  changelog: ${changelog}\n  verify: false\n`;

const YAML = `databaseChangeLog:
  - changeSet:
      id: 1
      author: ann
      changes:
        - sql:
            sql: |
              CREATE TABLE a (id int);

              DO $$ BEGIN
                IF true THEN PERFORM 1; END IF;
              END $$;
              CREATE TABLE b (id int);
  - changeSet:
      id: 2
      author: ann
      changes:
        - sql:
            sql: >
              CREATE TABLE c (id int);
              CREATE TABLE d (id int);

              CREATE TABLE e (id int);
        - sql: "CREATE TABLE f (id int);
            CREATE TABLE g (id int);"
      rollback: |
        DROP TABLE g;
`;

const JSON_CHANGELOG = `{"databaseChangeLog": [
  {"changeSet": {"id": "1", "author": "ann", "changes": [
    {"sql": {"sql":
      "CREATE TABLE j (id int);\\nCREATE TABLE k (id int);"}}]}}]}
`;

/** Each statement of the package with the line its `-- at` comment names. */
function locations(stdout: string, file: string): Record<string, number> {
  const out: Record<string, number> = {};
  const re = new RegExp(`^-- at ${file.replace('.', '\\.')}:(\\d+)\\n(CREATE TABLE \\w+|DO)`, 'gm');
  for (const m of stdout.matchAll(re)) out[m[2]!] = Number(m[1]);
  return out;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

async function dbPackage(files: Record<string, string>) {
  const dir = await makeTree(files, 'slipway-yaml-lines-');
  dirs.push(dir);
  return runMain(['db', 'package'], { cwd: dir, env: { SOURCE_DATE_EPOCH: '1700000000' } });
}

describe('db package: lines inside YAML/JSON values', () => {
  it('places each statement, and the split warning, at the line it is written on', async () => {
    const run = await dbPackage({ 'slipway.config.yaml': CONFIG('db/changelog.yaml'), 'db/changelog.yaml': YAML });
    expect(run.code, run.stderr).toBe(0);
    expect(locations(run.stdout, 'db/changelog.yaml')).toEqual({
      'CREATE TABLE a': 8,
      DO: 10,
      'CREATE TABLE b': 13,
      'CREATE TABLE c': 20,
      'CREATE TABLE d': 21,
      'CREATE TABLE e': 23,
      'CREATE TABLE f': 24,
      'CREATE TABLE g': 25,
    });
    // The first ";" inside the dollar-quoted body, on the IF line.
    expect(run.stderr).toContain('warning W_LIQUIBASE_SPLITS: db/changelog.yaml:11: ');
  });

  it('JSON: the statements of a string with \\n escapes are at the line the string starts on', async () => {
    const run = await dbPackage({
      'slipway.config.yaml': CONFIG('db/changelog.json'),
      'db/changelog.json': JSON_CHANGELOG,
    });
    expect(run.code, run.stderr).toBe(0);
    expect(locations(run.stdout, 'db/changelog.json')).toEqual({ 'CREATE TABLE j': 4, 'CREATE TABLE k': 4 });
  });

  it('an unterminated dollar quote inside a block is reported at its line', async () => {
    const yaml = YAML.replace('              END $$;\n', '              END;\n');
    const run = await dbPackage({ 'slipway.config.yaml': CONFIG('db/changelog.yaml'), 'db/changelog.yaml': yaml });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/Unterminated dollar quote \$\$ in changeset ann:1/);
    expect(run.stderr).toContain('db/changelog.yaml:10');
  });
});
