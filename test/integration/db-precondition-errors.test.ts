import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDatabase, queryRows as rows, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { buildDatabasePackage } from '../../src/db/package.js';
import { applySql } from '../../src/db/apply.js';

// A sqlCheck over a table that does not exist cannot be evaluated: Liquibase treats that as a precondition *error*
// (onError), not a failure (onFail). The package evaluates it at run time the same way, under psql and applySql.
const CHANGELOG = `--liquibase formatted sql
--changeset ann:marks
--preconditions onFail:HALT onError:MARK_RAN
--precondition-sql-check expectedResult:0 SELECT count(*) FROM no_such_table
CREATE TABLE never_created (id int);

--changeset ann:fails-but-continues
--preconditions onFail:CONTINUE onError:HALT
--precondition-sql-check expectedResult:5 SELECT 1
CREATE TABLE skipped (id int);

--changeset ann:runs
--preconditions onFail:HALT onError:HALT
--precondition-sql-check expectedResult:0 SELECT count(*) FROM pg_class WHERE relname = 'created'
CREATE TABLE created (id int);

--changeset ann:halts
--preconditions onFail:MARK_RAN onError:HALT
--precondition-sql-check expectedResult:0 SELECT count(*) FROM no_such_table
CREATE TABLE after_halt (id int);
`;

describe('precondition errors take the onError path', () => {
  let root: string;
  let file: string;
  let sql: string;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    root = await makeTree({ 'db/master.sql': CHANGELOG }, 'slipway-pre-');
    const pkg = await buildDatabasePackage({
      rootDir: root,
      changelog: 'db/master.sql',
      application: 'pre',
      version: '1.0.0',
      sourceDateEpoch: 1_700_000_000,
    });
    sql = pkg.sql;
    file = path.join(root, 'package.sql');
    await writeFile(file, sql);
  });
  afterAll(async () => {
    for (const d of dbs) await d.drop();
    await removeTree(root);
  });

  it('under psql: onError MARK_RAN records, onFail CONTINUE skips, a passing check runs, onError HALT stops with the reason and frees the lock', async () => {
    const db = await createTestDatabase('slipway_pre');
    dbs.push(db);
    const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, db.url], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(
      'slipway: precondition could not be checked for changeset db/master.sql::halts::ann (error: relation "no_such_table" does not exist)',
    );
    expect(r.stderr).toMatch(/relation "no_such_table" does not exist/);
    expect(await rows(db.url, 'SELECT id, exectype FROM databasechangelog ORDER BY orderexecuted')).toEqual([
      { id: 'marks', exectype: 'MARK_RAN' },
      { id: 'runs', exectype: 'EXECUTED' },
    ]);
    const tables = await rows(
      db.url,
      "SELECT relname FROM pg_class WHERE relname IN ('never_created', 'skipped', 'created', 'after_halt') ORDER BY 1",
    );
    expect(tables).toEqual([{ relname: 'created' }]);
    expect(await rows(db.url, 'SELECT locked FROM databasechangeloglock')).toEqual([{ locked: false }]);
  });

  it('applySql (no psql binary) behaves the same', async () => {
    const db = await createTestDatabase('slipway_pre');
    dbs.push(db);
    const err = await applySql({ databaseUrl: db.url, sql }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain(
      'precondition could not be checked for changeset db/master.sql::halts::ann',
    );
    expect(await rows(db.url, 'SELECT id, exectype FROM databasechangelog ORDER BY orderexecuted')).toEqual([
      { id: 'marks', exectype: 'MARK_RAN' },
      { id: 'runs', exectype: 'EXECUTED' },
    ]);
  });
});
