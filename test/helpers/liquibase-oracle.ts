import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildDatabasePackage, type DatabasePackageOptions } from '../../src/db/package.js';
import { runLiquibase } from './liquibase-cli.js';
import type { TestDatabase } from './pg.js';

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

/** Builds Slipway's package of `changelog` and runs it with `psql -v ON_ERROR_STOP=1 -f` on `db`; returns the SQL. */
export async function applyOurPackage(
  root: string,
  changelog: string,
  db: TestDatabase,
  extra: Partial<DatabasePackageOptions> = {},
): Promise<string> {
  const pkg = await buildDatabasePackage({
    rootDir: root,
    changelog,
    application: 'oracle',
    version: '1.0.0',
    sourceDateEpoch: 0,
    ...extra,
  });
  const file = path.join(root, `.package-${db.name}.sql`);
  await writeFile(file, pkg.sql);
  const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, db.url], { encoding: 'utf8' });
  if (r.status !== 0 || r.stderr.replace(/psql:.*NOTICE:.*\n/g, '') !== '')
    throw new Error(`psql failed (${r.status}):\n${r.stderr}`);
  return pkg.sql;
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
