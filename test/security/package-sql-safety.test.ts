/**
 * A package built elsewhere (a hand-made tar.gz) whose SQL would run a shell is refused before anything is extracted
 * or applied: database/package.sql and the rollback SQL in database/changesets.json are read from the archive by the
 * archive inspector and judged by package-safety.ts. Real archives, the built CLI, real PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deploy } from '../../src/deploy/deploy.js';
import { readLock } from '../../src/deploy/lock.js';
import { ensureDist, runBin } from '../helpers/cli-bin.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { baseFiles, craftPackageEntries, craftTar, writeCrafted } from '../fixtures/deploy/craft.js';

let sandbox: string;
let db: TestDatabase;
let n = 0;
beforeAll(async () => {
  sandbox = await mkdtemp(path.join(tmpdir(), 'slipway-sqlsafe-'));
  db = await createTestDatabase();
  await ensureDist();
}, 300_000);
afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
  await db.drop();
});

const changesetsJson = (rollback: string[] | null) =>
  JSON.stringify(
    [
      { id: '1', author: 'me', filename: 'a.sql', checksum: '9:x', rollback: ['DROP TABLE a;'], tag: null },
      { id: '2', author: 'eve', filename: 'a.sql', checksum: '9:y', rollback, tag: null },
    ],
    null,
    2,
  ) + '\n';

/** A target dir with a config (extra target settings) and a hand-made package with these database files. */
async function setup(database: Record<string, string>, target: Record<string, unknown> = {}) {
  const dir = path.join(sandbox, `p${n++}`);
  await mkdir(dir);
  const config = await makeDeployConfig(dir, { databaseUrl: db.url, ...target });
  const pkg = await writeCrafted(
    dir,
    'demo',
    craftTar(craftPackageEntries({ files: { ...baseFiles(), ...database } })),
  );
  return { dir, config, pkg, root: path.join(dir, 'target') };
}

/** Nothing of the refused deploy exists: no release directory (staging included), no current, the lock free. */
async function expectUntouched(root: string) {
  const releases = await readdir(path.join(root, 'releases')).catch(() => []);
  expect(releases).toEqual([]);
  expect(existsSync(path.join(root, 'current'))).toBe(false);
  expect(await readLock(path.join(root, '.slipway', 'lock'))).toBeNull();
}

const tableExists = async (name: string) =>
  (await queryRows(db.url, `SELECT to_regclass('${name}') IS NOT NULL AS t`))[0]!.t === true;

describe('shell escapes in the SQL of a package built elsewhere', () => {
  it('forward SQL: COPY … TO PROGRAM in database/package.sql is refused at its line before extraction (CLI)', async () => {
    const marker = path.join(sandbox, 'pwned-forward');
    const sql = `CREATE TABLE fwd_first (a int);\nCOPY (SELECT 1) TO PROGRAM 'touch ${marker}';\n`;
    const { dir, root } = await setup({ 'database/package.sql': sql });
    const r = runBin(['deploy', 'demo.tar.gz', '--target', 'prod'], dir);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain(
      `error E_UNSAFE_SQL: database/package.sql:2 runs a shell (copy-program): COPY (SELECT 1) TO PROGRAM 'touch ${marker}';`,
    );
    expect(r.stderr).toContain('Nothing was extracted or applied.');
    expect(r.stderr).toContain('deploy.targets.<name>.allowShellInSql: true');
    await expectUntouched(root);
    expect(existsSync(marker)).toBe(false);
    expect(await tableExists('fwd_first')).toBe(false);
  });

  it('rollback SQL: psql \\! in a changeset rollback of database/changesets.json is refused at its JSON line (CLI)', async () => {
    const marker = path.join(sandbox, 'pwned-rollback');
    const { dir, root } = await setup({
      'database/package.sql': 'CREATE TABLE rb_first (a int);\n',
      'database/changesets.json': changesetsJson(['DROP TABLE rb_first;', `\\! touch ${marker}`]),
    });
    const r = runBin(['deploy', 'demo.tar.gz', '--target', 'prod'], dir);
    expect(r.code, r.stderr).toBe(1);
    // Line 19 of the pretty-printed index: the second rollback string of changeset 2::eve.
    expect(r.stderr).toContain(
      `error E_UNSAFE_SQL: database/changesets.json:19 runs a shell (psql-shell): rollback of 2::eve: \\! touch ${marker}`,
    );
    await expectUntouched(root);
    expect(await tableExists('rb_first')).toBe(false);
    // The lock is free: a clean package deploys right after, without --wait.
    const clean = await setup({ 'database/package.sql': 'SELECT 1;\n' });
    const ok = runBin(['deploy', path.join(clean.dir, 'demo.tar.gz'), '--target', 'prod'], dir);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('every occurrence is listed, forward and rollback; --dry-run refuses the same', async () => {
    const { dir, root } = await setup({
      'database/package.sql': "SELECT 1;\nCREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS 'return 1';\n",
      'database/changesets.json': changesetsJson(["DO $$ BEGIN EXECUTE 'COPY t FROM PROGRAM ''id'''; END $$;"]),
    });
    const r = runBin(['deploy', 'demo.tar.gz', '--target', 'prod', '--dry-run'], dir);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toContain('error E_UNSAFE_SQL: database/package.sql:2 runs a shell (untrusted-language)');
    expect(r.stderr).toMatch(/database\/changesets\.json:18: \[copy-program\] rollback of 2::eve: DO \$\$/);
    await expectUntouched(root);
  });

  it('a changesets.json that is not an index is refused (E_PACKAGE) before extraction', async () => {
    const { config, pkg, root } = await setup({
      'database/package.sql': 'SELECT 1;\n',
      'database/changesets.json': '[{"id":"1","author":"me","rollback":"DROP TABLE a"}]\n',
    });
    await expect(deploy({ config, packagePath: pkg, target: 'prod' })).rejects.toMatchObject({
      code: 'E_PACKAGE',
      message: 'database/changesets.json: entry 1: rollback is not a list of SQL strings',
    });
    await expectUntouched(root);
  });

  it('`slipway validate` reports the same escapes as problems (E_UNSAFE_SQL at file:line, forward and rollback) that the deploy refuses', async () => {
    const copy = "COPY x TO PROGRAM 'id';";
    const { dir, root } = await setup({
      'database/package.sql': `CREATE TABLE v_first (a int);\n${copy}\n`,
      'database/changesets.json': changesetsJson(['DROP TABLE v_first;', copy]),
    });
    const r = runBin(['validate', 'demo.tar.gz'], dir);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toBe(
      'INVALID demo.tar.gz: 2 problem(s)\n' +
        `  E_UNSAFE_SQL database/package.sql:2: runs a shell (copy-program): ${copy}\n` +
        `  E_UNSAFE_SQL database/changesets.json:19: runs a shell (copy-program): rollback of 2::eve: ${copy}\n`,
    );
    const json = runBin(['validate', 'demo.tar.gz', '--json'], dir);
    expect(json.code).toBe(1);
    expect((JSON.parse(json.stdout) as { problems: unknown[] }).problems).toEqual([
      { code: 'E_UNSAFE_SQL', path: 'database/package.sql', line: 2, message: `runs a shell (copy-program): ${copy}` },
      {
        code: 'E_UNSAFE_SQL',
        path: 'database/changesets.json',
        line: 19,
        message: `runs a shell (copy-program): rollback of 2::eve: ${copy}`,
      },
    ]);
    // The deploy refuses the same package at the same places.
    const d = runBin(['deploy', 'demo.tar.gz', '--target', 'prod'], dir);
    expect(d.code).toBe(1);
    expect(d.stderr).toContain(`error E_UNSAFE_SQL: database/package.sql:2 runs a shell (copy-program): ${copy}`);
    expect(d.stderr).toContain(`database/changesets.json:19: [copy-program] rollback of 2::eve: ${copy}`);
    await expectUntouched(root);
    // Allowed on purpose: validate passes it (as a target with allowShellInSql deploys it).
    const allowed = runBin(['validate', 'demo.tar.gz', '--allow-shell-in-sql'], dir);
    expect(allowed.code, allowed.stdout).toBe(0);
    expect(allowed.stdout).toMatch(/^OK demo\.tar\.gz: /);
    // A package without escapes passes validate unchanged.
    const clean = await setup({
      'database/package.sql': 'SELECT 1;\n',
      'database/changesets.json': changesetsJson(null),
    });
    expect(runBin(['validate', 'demo.tar.gz'], clean.dir).code).toBe(0);
  });

  it('allowShellInSql: true lets the same rollback SQL deploy (nothing of it runs on a good deploy)', async () => {
    const { config, pkg } = await setup(
      {
        'database/package.sql': 'CREATE TABLE allowed_first (a int);\n',
        'database/changesets.json': changesetsJson([`\\! true`]),
      },
      { allowShellInSql: true },
    );
    const r = await deploy({ config, packagePath: pkg, target: 'prod' });
    expect(r.ok, r.reason ?? '').toBe(true);
    expect(await tableExists('allowed_first')).toBe(true);
  });
});
