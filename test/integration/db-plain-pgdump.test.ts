import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runBin } from '../helpers/cli-bin.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

// psql scripts as people have them: pg_dump's plain output (COPY … FROM stdin with its rows, \restrict) and a seed
// script that loads a CSV with \copy … from 'file'. Oracle: psql itself, run from the project root. Slipway's plain
// package must leave the same database whether `slipway db apply` or `psql -f` runs it, from any directory.
const psql = (url: string, args: string[], cwd?: string) =>
  spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...args, url], { encoding: 'utf8', cwd });

/** Schema and data of a database as pg_dump prints them, without the random \restrict keys and comment lines. */
function dump(db: TestDatabase): string {
  const r = spawnSync('pg_dump', ['--no-owner', db.url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => !/^\\(un)?restrict /.test(l) && !l.startsWith('--'))
    .join('\n');
}

describe('plain psql scripts: a pg_dump and a \\copy seed, against psql', () => {
  let root: string;
  let source: TestDatabase;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    source = await createTestDatabase('plain_src');
    // Values that COPY's text format must escape: tab, newline, backslash, a lone "\.", NULL, quotes, non-ASCII, bytea.
    const setup = psql(source.url, [
      '-c',
      `CREATE TABLE items (id int PRIMARY KEY, name text, note text, raw bytea);
       INSERT INTO items VALUES
         (1, E'tab\\there', E'line1\\nline2', '\\xdeadbeef'),
         (2, E'back\\\\slash', '\\.', NULL),
         (3, 'it''s; a "test"', NULL, ''),
         (4, 'Grüße 🚀', E'\\\\.', '\\x00');
       CREATE SEQUENCE s START 40; SELECT setval('s', 42);
       CREATE VIEW v AS SELECT id, upper(name) AS name FROM items;
       CREATE FUNCTION f(x int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN x + 1; END $$;`,
    ]);
    expect(setup.stderr).toBe('');
    const pgDump = spawnSync('pg_dump', ['--no-owner', source.url], { encoding: 'utf8' });
    expect(pgDump.status).toBe(0);
    root = await makeTree({
      'db/dump.sql': pgDump.stdout,
      'db/seed.sql': [
        '\\set ON_ERROR_STOP on',
        '\\timing on',
        'CREATE TABLE seeded (id int, label text);',
        "\\copy seeded (id, label) from 'db/data/seed.csv' with (format csv, header true)",
        'SELECT count(*) AS n FROM seeded \\gset',
        '\\echo seeded :n rows',
        '',
      ].join('\n'),
      'db/data/seed.csv': 'id,label\n1,"a, with comma"\n2,"multi\nline"\n3,\n',
    });
  }, 120_000);
  afterAll(async () => {
    await Promise.all([source?.drop(), ...dbs.map((d) => d.drop())]);
    if (root) await removeTree(root);
  });

  const fresh = async (name: string) => {
    const db = await createTestDatabase(name);
    dbs.push(db);
    return db;
  };

  it.each([['db/dump.sql'], ['db/seed.sql']])(
    '%s: the package run by slipway db apply and by psql -f elsewhere leaves what psql -f of the script leaves',
    async (script) => {
      // The oracle: psql runs the script from the project root (where \copy's relative path points).
      const theirs = await fresh('plain_psql');
      expect(psql(theirs.url, ['-f', script], root).stderr).toBe('');

      const pkg = path.join(root, `${path.basename(script)}.package.sql`);
      const packaged = runBin(
        ['db', 'package', '--mode', 'plain', '--root', root, '--changelog', script, '--out-file', pkg],
        root,
      );
      expect(packaged.code, packaged.stderr).toBe(0);
      // Self-contained: no \copy of a file is left, the rows are in the package.
      const sql = await readFile(pkg, 'utf8');
      expect(sql).not.toMatch(/\\copy/);

      const applied = await fresh('plain_apply');
      const r = runBin(['db', 'apply', '--database-url', applied.url, pkg], root);
      expect(r.code, r.stderr).toBe(0);

      const byPsql = await fresh('plain_pkg');
      expect(psql(byPsql.url, ['-f', pkg], tmpdir()).stderr).toBe('');

      expect(dump(applied)).toBe(dump(theirs));
      expect(dump(byPsql)).toBe(dump(theirs));
      if (script === 'db/dump.sql') expect(dump(theirs)).toBe(dump(source));
    },
    300_000,
  );

  it('a \\copy data file with a line that is only \\. is refused at package time, naming the file and line', async () => {
    await writeFile(path.join(root, 'db/data/bad.csv'), 'a\n\\.\nb\n');
    await writeFile(path.join(root, 'db/bad.sql'), "CREATE TABLE b (x text);\n\\copy b from 'db/data/bad.csv'\n");
    const r = runBin(['db', 'package', '--mode', 'plain', '--root', root, '--changelog', 'db/bad.sql'], root);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('db/data/bad.csv:2: a line that is only \\. would end the copied data early');
    expect(r.stderr).toContain('db/bad.sql:2');
  });
});
