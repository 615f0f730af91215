// A package reads the history once into its session's snapshot (HISTORY_SNAPSHOT in render-bookkeeping.ts) and
// numbers ORDEREXECUTED from a counter, as Liquibase does; it holds Liquibase's lock row only inside each changeset,
// so another writer that follows Liquibase's lock protocol may change the history between two changesets. The
// package must notice (the lock row has a new version) and read the history again: a changeset that writer recorded
// is skipped, one whose row it deleted runs again, and the rows written after it come after its ORDEREXECUTED.
// Each case stops the package in a runInTransaction:false changeset (waiting on an advisory lock the test holds),
// lets the writer work, then lets the package finish: through `slipway db apply`'s runner, and through psql.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { applySql } from '../../src/db/apply.js';
import { buildDatabasePackage } from '../../src/db/package.js';
import { applyOurPackage, liquibaseOk, psqlRows } from '../helpers/liquibase-oracle.js';
import { createTestDatabase, waitForAdvisoryWaiter, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const GATE = 4711;
const head = '--liquibase formatted sql\n';
const cs = (id: string, body: string, attrs = '') => `--changeset a:${id}${attrs}\n${body}\n`;
/** The changelog before (a:1 and a:3 applied) and the one the package is made of. */
const FIRST = head + cs('1', 'CREATE TABLE t1 (id int);') + cs('3', 'CREATE TABLE t3 (id int);');
const SECOND =
  head +
  cs('1', 'CREATE TABLE t1 (id int);') +
  cs('gate', `SELECT pg_advisory_lock(${GATE});\nSELECT pg_advisory_unlock(${GATE});`, ' runInTransaction:false') +
  cs('2', 'CREATE TABLE t2 (id int);') +
  cs('3', 'CREATE TABLE t3 (id int);');
const HISTORY =
  "SELECT id || '|' || orderexecuted || '|' || exectype FROM databasechangelog ORDER BY orderexecuted, id";

describe('the session snapshot of the history and another writer between changesets', () => {
  let db: TestDatabase | undefined;
  let root: string | undefined;
  afterEach(async () => {
    await db?.drop();
    if (root) await removeTree(root);
    db = undefined;
    root = undefined;
  });

  /** Applies FIRST, builds SECOND's package; `during` runs while the package waits in a:gate. */
  async function run(
    prefix: string,
    apply: (db: TestDatabase, sql: string) => Promise<void>,
    during: (writer: pg.Client) => Promise<void>,
  ): Promise<void> {
    db = await createTestDatabase(prefix);
    root = await makeTree({ 'm.sql': FIRST });
    await applyOurPackage(root, 'm.sql', db);
    await writeFile(path.join(root, 'm.sql'), SECOND);
    const pkg = await buildDatabasePackage({
      rootDir: root,
      changelog: 'm.sql',
      application: 'snapshot',
      version: '1.0.0',
      sourceDateEpoch: 0,
    });
    const writer = new pg.Client({ connectionString: db.url });
    await writer.connect();
    try {
      await writer.query('SELECT pg_advisory_lock($1)', [GATE]);
      const applied = apply(db, pkg.sql);
      applied.catch(() => undefined);
      await waitForAdvisoryWaiter(writer, GATE, 'the package to wait in a:gate');
      await during(writer);
      await writer.query('SELECT pg_advisory_unlock($1)', [GATE]);
      await applied;
    } finally {
      await writer.end();
    }
  }

  it('a writer under Liquibase lock adds one row and deletes another (slipway db apply)', async () => {
    await run(
      'slipway_snap_runner',
      async (d, sql) => void (await applySql({ databaseUrl: d.url, sql })),
      async (w) => {
        // What Liquibase's lock protocol looks like from the database: lock, write, release.
        await w.query(
          "UPDATE databasechangeloglock SET LOCKED = TRUE, LOCKGRANTED = now(), LOCKEDBY = 'test' WHERE ID = 1",
        );
        await w.query(
          "INSERT INTO databasechangelog (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, EXECTYPE) VALUES ('2', 'a', 'm.sql', now(), 7, 'EXECUTED')",
        );
        await w.query("DELETE FROM databasechangelog WHERE ID = '3'");
        await w.query('DROP TABLE t3');
        await w.query(
          'UPDATE databasechangeloglock SET LOCKED = FALSE, LOCKGRANTED = NULL, LOCKEDBY = NULL WHERE ID = 1',
        );
      },
    );
    // a:2 recorded by the writer: skipped (no t2); a:3's row deleted: run again, after the writer's row; a:gate's
    // row, written after the writer was done, after it too.
    expect(psqlRows(db!, HISTORY)).toEqual(['1|1|EXECUTED', '2|7|EXECUTED', 'gate|8|EXECUTED', '3|9|EXECUTED']);
    expect(psqlRows(db!, "SELECT to_regclass('t2') IS NULL, to_regclass('t3') IS NOT NULL")).toEqual(['t|t']);
  }, 180_000);

  it('a real Liquibase update between two changesets (psql -f)', async () => {
    await run(
      'slipway_snap_liquibase',
      (d, sql) => psqlFile(d, sql),
      async () => {
        // Liquibase records a:2 under m.sql's key (its own changelog, the same logical path).
        await writeFile(
          path.join(root!, 'l.xml'),
          `<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd">\n  <changeSet id="2" author="a" logicalFilePath="m.sql"><sql>CREATE TABLE t2_liquibase (id int)</sql></changeSet>\n</databaseChangeLog>\n`,
        );
        await liquibaseOk(root!, db!, 'l.xml', 'update');
      },
    );
    // Liquibase numbered its row after the history it read (1, 3); the package's rows after Liquibase's.
    expect(psqlRows(db!, HISTORY)).toEqual(['1|1|EXECUTED', '3|2|EXECUTED', '2|3|EXECUTED', 'gate|4|EXECUTED']);
    expect(psqlRows(db!, "SELECT to_regclass('t2') IS NULL, to_regclass('t2_liquibase') IS NOT NULL")).toEqual(['t|t']);
  }, 180_000);
});

/** `sql` run by `psql -v ON_ERROR_STOP=1` on `db`; rejects with its stderr when it fails. */
function psqlFile(db: TestDatabase, sql: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const psql = spawn('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-', db.url], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    psql.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    psql.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited ${code}:\n${stderr}`))));
    psql.stdin.end(sql);
  });
}
