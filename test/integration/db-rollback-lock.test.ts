// A rollback script takes the package's advisory lock for its transaction: while a package is being applied on the
// database (which holds that lock for its session), the rollback waits, and undoes nothing until the package is done.
import { spawn } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { ADVISORY_LOCK_KEY } from '../../src/db/render-bookkeeping.js';
import { renderRollbackSql } from '../../src/db/rollback.js';
import { applyOurPackage, psqlRows } from '../helpers/liquibase-oracle.js';
import { createTestDatabase, waitForAdvisoryWaiter, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

describe('rollback and a package being applied', () => {
  let db: TestDatabase;
  let root: string;
  beforeAll(async () => {
    db = await createTestDatabase('slipway_rblock');
    root = await makeTree({
      'm.sql': '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t1 (id int);\n--rollback DROP TABLE t1;\n',
    });
    await applyOurPackage(root, 'm.sql', db);
  }, 120_000);
  afterAll(async () => {
    await db?.drop();
    if (root) await removeTree(root);
  });

  it('waits for the advisory lock, then undoes', async () => {
    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    try {
      // what a package's prelude does for the whole of its session
      await holder.query(`SELECT pg_advisory_lock(${ADVISORY_LOCK_KEY})`);
      const sql = renderRollbackSql(await parseChangelog({ rootDir: root, changelog: 'm.sql' }), { count: 1 });
      const psql = spawn('psql', ['-X', '-q', '-f', '-', db.url], { stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      psql.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => psql.on('close', resolve));
      psql.stdin.end(sql);
      // the rollback's session waits on the lock, and has undone nothing
      await waitForAdvisoryWaiter(holder, ADVISORY_LOCK_KEY, 'the rollback to wait on the advisory lock');
      expect(psqlRows(db, 'SELECT id FROM databasechangelog')).toEqual(['1']);
      await holder.query(`SELECT pg_advisory_unlock(${ADVISORY_LOCK_KEY})`);
      expect(await exited, stderr).toBe(0);
      expect(psqlRows(db, 'SELECT count(*) FROM databasechangelog')).toEqual(['0']);
      expect(psqlRows(db, "SELECT to_regclass('t1') IS NULL")).toEqual(['t']);
    } finally {
      await holder.end();
    }
  }, 120_000);
});
