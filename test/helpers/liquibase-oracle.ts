import { spawnSync } from 'node:child_process';
import { afterAll, beforeAll, expect } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { buildDatabasePackage, type DatabasePackageOptions } from '../../src/db/package.js';
import { renderRollbackSql } from '../../src/db/rollback.js';
import { runLiquibase } from './liquibase-cli.js';
import { createTestDatabase, type TestDatabase } from './pg.js';
import { makeTree, removeTree } from './tmp.js';

/** Runs real Liquibase on `changelog` under `root` (the search path); throws with its output when it fails. */
export async function liquibaseOk(
  root: string,
  db: TestDatabase,
  changelog: string,
  ...args: string[]
): Promise<string> {
  const r = await runLiquibase(root, db.url, [
    `--search-path=${root}`,
    `--changelog-file=${changelog}`,
    '--show-banner=false',
    ...args,
  ]);
  if (!r.ok) throw new Error(`liquibase ${args.join(' ')} failed:\n${r.out}`);
  return r.out;
}

/** Builds Slipway's package of `changelog` and runs it with `psql -v ON_ERROR_STOP=1` on `db`; returns the SQL. */
export async function applyOurPackage(
  root: string,
  changelog: string,
  db: TestDatabase,
  extra: Partial<DatabasePackageOptions> = {},
  run: { acceptErrors?: boolean } = {},
): Promise<string> {
  const pkg = await buildDatabasePackage({
    rootDir: root,
    changelog,
    application: 'oracle',
    version: '1.0.0',
    sourceDateEpoch: 0,
    ...extra,
  });
  const r = runPsql(db, pkg.sql);
  const stderr = r.stderr.replace(/psql:.*NOTICE:.*\n/g, '');
  // `acceptErrors`: the errors of failOnError="false" changesets, which psql prints and goes past, are expected.
  if (r.status !== 0 || (stderr !== '' && !run.acceptErrors))
    throw new Error(`psql failed (${r.status}):\n${r.stderr}`);
  return pkg.sql;
}

/** `sql` run by `psql -v ON_ERROR_STOP=1` on `db`, read from stdin: nothing is written into the changelog's tree. */
function runPsql(db: TestDatabase, sql: string): { status: number | null; stderr: string } {
  return spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-', db.url], {
    input: sql,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** pg_dump --schema-only without the random \restrict keys and comment lines. */
export function schemaDump(db: TestDatabase): string {
  const r = spawnSync('pg_dump', ['--schema-only', '--no-owner', db.url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout
    .split('\n')
    .filter((l) => !/^\\(un)?restrict /.test(l) && !l.startsWith('--'))
    .join('\n');
}

/** One query's rows as `|`-joined lines (psql -A -t). */
export function psqlRows(db: TestDatabase, sql: string): string[] {
  const r = spawnSync('psql', ['-X', '-A', '-t', '-c', sql, db.url], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout.trim().split('\n').filter(Boolean);
}

/** The databasechangelog columns issue 9 compares, in execution order. */
export const HISTORY_ROWS =
  "SELECT concat_ws('|', id, author, filename, md5sum, description, comments, tag, contexts, labels, exectype, orderexecuted) FROM databasechangelog ORDER BY orderexecuted";

/** A changelog tree with two fresh databases: `theirs` for real Liquibase, `ours` for Slipway's package. */
export interface OracleCase {
  readonly root: string;
  readonly theirs: TestDatabase;
  readonly ours: TestDatabase;
}

/**
 * Registers, in the enclosing describe block, the making (beforeAll) and removal (afterAll) of an OracleCase: the
 * tree `files` and two databases named after `prefix`. Read its fields inside tests, once beforeAll has run.
 */
export function useOracleCase(prefix: string, files: Record<string, string | Buffer>): OracleCase {
  return useCase(prefix, () => makeTree(files), removeTree);
}

/** useOracleCase over a fixture directory `dir`, used in place (read only) and left alone afterwards. */
export function useOracleFixture(prefix: string, dir: string): OracleCase {
  return useCase(
    prefix,
    () => Promise.resolve(dir),
    () => Promise.resolve(),
  );
}

function useCase(
  prefix: string,
  makeRoot: () => Promise<string>,
  removeRoot: (root: string) => Promise<void>,
): OracleCase {
  let made: { root: string; theirs: TestDatabase; ours: TestDatabase } | null = null;
  beforeAll(async () => {
    const root = await makeRoot();
    const [theirs, ours] = await Promise.all([
      createTestDatabase(`${prefix}_theirs`),
      createTestDatabase(`${prefix}_ours`),
    ]);
    made = { root, theirs, ours };
  });
  afterAll(async () => {
    if (!made) return;
    await Promise.all([made.theirs.drop(), made.ours.drop()]);
    await removeRoot(made.root);
  });
  const get = (): { root: string; theirs: TestDatabase; ours: TestDatabase } => {
    if (!made) throw new Error('useOracleCase: read inside a test, after beforeAll');
    return made;
  };
  return {
    get root() {
      return get().root;
    },
    get theirs() {
      return get().theirs;
    },
    get ours() {
      return get().ours;
    },
  };
}

/** Real Liquibase's `rollback-count --count=N` on `theirs`; its outcome, whether it failed or not. */
export function liquibaseRollback(
  c: OracleCase,
  changelog: string,
  count: number,
): Promise<{ ok: boolean; out: string }> {
  return runLiquibase(c.root, c.theirs.url, [
    `--search-path=${c.root}`,
    `--changelog-file=${changelog}`,
    'rollback-count',
    `--count=${count}`,
  ]);
}

/**
 * Slipway's rollback SQL of the newest `count` changesets (or of those after `{ toTag }` or `{ toDate }`), run by psql
 * (ON_ERROR_STOP) on `ours`: psql's stderr.
 */
export async function ourRollback(
  c: OracleCase,
  changelog: string,
  count: number | { toTag: string } | { toDate: string },
): Promise<string> {
  const parsed = await parseChangelog({ rootDir: c.root, changelog });
  return runPsql(c.ours, renderRollbackSql(parsed, typeof count === 'number' ? { count } : count)).stderr;
}

/** Both databases hold the same schema (pg_dump) and the same history rows (HISTORY_ROWS). */
export function expectSameSchemaAndHistory(c: OracleCase): void {
  expect(schemaDump(c.ours)).toBe(schemaDump(c.theirs));
  expect(psqlRows(c.ours, HISTORY_ROWS)).toEqual(psqlRows(c.theirs, HISTORY_ROWS));
}

/** `sql` run on both databases of `c` (the same change behind both tools' backs). */
export function onBoth(c: OracleCase, sql: string): void {
  psqlRows(c.theirs, sql);
  psqlRows(c.ours, sql);
}

/**
 * One more `liquibase update` of `changelog` on `theirs` and Slipway's package on `ours`, then the same schema and
 * history (expectSameSchemaAndHistory) and, given `query`, the same rows of it.
 */
export async function updateBoth(c: OracleCase, changelog: string, query?: string): Promise<void> {
  await liquibaseOk(c.root, c.theirs, changelog, 'update');
  await applyOurPackage(c.root, changelog, c.ours);
  expectSameSchemaAndHistory(c);
  if (query) expect(psqlRows(c.ours, query)).toEqual(psqlRows(c.theirs, query));
}
