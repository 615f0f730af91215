import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { LIQUIBASE_BIN } from '../helpers/liquibase-cli.js';
import { liquibaseOk } from '../helpers/liquibase-oracle.js';
import { runMain } from '../helpers/cli-main.js';
import { waitFor } from '../helpers/wait.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// `slipway db release-locks` against the lock row a real Liquibase 4.28 leaves committed when it is killed during
// `update`, and against rows set by hand in a renamed lock table (database.changelogLockTable / --changelog-schema).

const lockRow = async (db: TestDatabase, table = 'public.databasechangeloglock') =>
  (await queryRows(db.url, `SELECT id, locked, lockedby FROM ${table} ORDER BY id`)) as {
    id: number;
    locked: boolean;
    lockedby: string | null;
  }[];

describe('slipway db release-locks', () => {
  let root: string;
  let db: TestDatabase;
  beforeAll(async () => {
    root = await makeTree({
      'm.xml': `<databaseChangeLog ${LIQUIBASE_NS}>\n<changeSet id="slow" author="a" context="slow"><sql>select pg_sleep(600)</sql></changeSet>\n<changeSet id="fast" author="a" context="fast"><sql>create table after_release (id int)</sql></changeSet>\n</databaseChangeLog>\n`,
    });
    db = await createTestDatabase('release_locks');
  });
  afterAll(async () => {
    await db?.drop();
    if (root) await removeTree(root);
  });

  it('releases the lock a killed Liquibase update left, and Liquibase then updates', async () => {
    const u = new URL(db.url);
    const child = spawn(
      LIQUIBASE_BIN,
      [
        `--url=jdbc:postgresql://${u.hostname}:${u.port || '5432'}${u.pathname}`,
        '--username=postgres',
        '--password=',
        `--search-path=${root}`,
        '--changelog-file=m.xml',
        '--contexts=slow',
        'update',
      ],
      { cwd: root, detached: true, stdio: 'ignore' },
    );
    try {
      // Liquibase commits LOCKED = TRUE before it runs a changeset; then the changeset sleeps.
      await waitFor(
        'the slow changeset to run under Liquibase',
        async () =>
          (await queryRows(db.url, "SELECT 1 FROM pg_stat_activity WHERE query LIKE 'select pg_sleep(600)%'")).length >
          0,
        { timeoutMs: 180_000, intervalMs: 200 },
      );
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
    await waitFor('the Liquibase process to exit', () => child.exitCode !== null || child.signalCode !== null, {
      timeoutMs: 60_000,
    });
    const held = await lockRow(db);
    expect(held).toMatchObject([{ id: 1, locked: true }]);
    expect(held[0]!.lockedby).not.toBeNull();

    const r = await runMain(['db', 'release-locks', '--database-url', db.url], { cwd: root });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^released lock id 1 held by ${held[0]!.lockedby!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} since \\d{4}-`,
      ),
    );
    expect(r.stdout).toMatch(/public\.databasechangeloglock on .*: 1 lock row\(s\) released\n$/);
    expect(await lockRow(db)).toEqual([{ id: 1, locked: false, lockedby: null }]);

    // Without the release Liquibase would wait 5 minutes for the lock and fail.
    await liquibaseOk(root, db, 'm.xml', '--contexts=fast', 'update');
    expect(await queryRows(db.url, 'SELECT id FROM databasechangelog')).toEqual([{ id: 'fast' }]);

    const again = await runMain(['db', 'release-locks', '--database-url', db.url, '--json'], { cwd: root });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({
      table: 'public.databasechangeloglock',
      tableExists: true,
      released: [],
    });
  }, 400_000);

  it('reads the configured lock table, says when there is none, and reports rows set by hand', async () => {
    await queryRows(
      db.url,
      `CREATE SCHEMA lb; CREATE TABLE lb.my_lock (id int primary key, locked boolean not null, lockgranted timestamp, lockedby varchar(255));
       INSERT INTO lb.my_lock VALUES (1, true, '2026-01-02 03:04:05', 'host (10.0.0.1)'), (2, false, null, null)`,
    );
    await writeFile(
      `${root}/slipway.config.yaml`,
      `name: app\nversion: 1.0.0\ndatabase:\n  url: ${db.url}\n  changelog: m.xml\n  changelogLockTable: my_lock\n  changelogSchema: lb\n`,
    );
    const r = await runMain(['db', 'release-locks'], { cwd: root });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(
      `released lock id 1 held by host (10.0.0.1) since 2026-01-02 03:04:05\nlb.my_lock on ${db.url}: 1 lock row(s) released\n`,
    );
    expect(await lockRow(db, 'lb.my_lock')).toEqual([
      { id: 1, locked: false, lockedby: null },
      { id: 2, locked: false, lockedby: null },
    ]);
    const none = await runMain(['db', 'release-locks', '--changelog-lock-table', 'nope'], { cwd: root });
    expect(none.code).toBe(0);
    expect(none.stdout).toMatch(/^no lock table lb\.nope on .*: nothing to release\n$/);
  }, 120_000);
});
