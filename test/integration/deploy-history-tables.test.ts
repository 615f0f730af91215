// A package whose changelog keeps Liquibase's history in another schema and table (--liquibase-schema-name,
// --database-changelog-table-name, --database-changelog-lock-table-name) records them in version-compatibility.json;
// deploy, the database rollback and the server's health check read that history, never public.databasechangelog.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deploy, rollback } from '../../src/deploy/index.js';
import { createApp } from '../../src/server/app.js';
import { addUser, addUserToken } from '../../src/server/users-file.js';
import type { Config } from '../../src/config/schema.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeFixturePackage } from '../fixtures/deploy/make-package.js';
import { makeDbParts, type FixtureChangeSet } from '../fixtures/deploy/db-package.js';

const TABLES = { changelogSchema: 'hist', changelogTable: 'app_log', changelogLockTable: 'app_log_lock' };
const CS1: FixtureChangeSet = { id: '1', sql: 'CREATE TABLE t1 (id int);', rollback: 'DROP TABLE t1;' };
const CS2: FixtureChangeSet = { id: '2', sql: 'CREATE TABLE t2 (id int);', rollback: 'DROP TABLE t2;' };

let viewer: string | undefined;
/** A viewer's API token in the config's users file (made once). */
async function viewerToken(config: Config): Promise<string> {
  if (viewer) return viewer;
  const usersFile = path.resolve(config.configDir, config.server.usersFile);
  await addUser({ usersFile, name: 'ci', password: 'a long password', groups: ['viewers'], now: new Date() });
  viewer = (await addUserToken({ usersFile, name: 'ci', now: new Date() })).token;
  return viewer;
}

async function dbPackage(version: string, changeSets: FixtureChangeSet[]) {
  const parts = await makeDbParts(version, changeSets, TABLES);
  return makeFixturePackage({ version, compatibility: parts.compatibility, files: parts.files });
}

describe('deploy, rollback and health with a renamed history table in another schema', () => {
  let db: TestDatabase;
  let dir: string;
  let config: Config;
  const history = async () =>
    (await queryRows(db.url, 'SELECT id FROM hist.app_log ORDER BY orderexecuted')).map((r) => r.id);
  const publicTables = async () =>
    (await queryRows(db.url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).map(
      (r) => r.tablename,
    );

  beforeAll(async () => {
    db = await createTestDatabase('slipway_histtables');
    await queryRows(db.url, 'CREATE SCHEMA hist'); // Liquibase needs the schema to exist too
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-histtables-'));
    config = await makeDeployConfig(
      dir,
      { databaseUrl: db.url, rollbackDatabase: true },
      { database: { url: db.url }, server: { health: { public: true } } },
    );
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the package records its history tables; deploy reads them (a second deploy applies only the new changeset)', async () => {
    const first = await dbPackage('1.0.0', [CS1]);
    const r1 = await deploy({ config, packagePath: first.path, target: 'prod' });
    expect(r1.executed.map((e) => e.id)).toEqual(['1']);
    const compat = JSON.parse(
      await readFile(path.join(dir, 'target/releases', r1.releaseId, 'version-compatibility.json'), 'utf8'),
    );
    expect(compat.database.historyTables).toEqual({ schema: 'hist', changelog: 'app_log', lock: 'app_log_lock' });
    const r2 = await deploy({ config, packagePath: (await dbPackage('1.1.0', [CS1, CS2])).path, target: 'prod' });
    // Pending is computed from hist.app_log: reading public.databasechangelog would have called both pending.
    expect(r2.executed.map((e) => e.id)).toEqual(['2']);
    expect(await history()).toEqual(['1', '2']);
    expect(await publicTables()).toEqual(['t1', 't2']);
  });

  it('health counts the live package history table', async () => {
    // Public health shows a caller without credentials the statuses only; a viewer's token gets the details.
    const token = await viewerToken(config); // before the app: it re-reads the users file at most once a second
    const app = await createApp({ config, audit: path.join(dir, 'audit.log') });
    try {
      expect((await app.inject({ url: '/api/health' })).json().components.database).toEqual({ status: 'HEALTHY' });
      const r = await app.inject({
        url: '/api/health',
        headers: { authorization: `Bearer ${token}` },
      });
      expect(r.statusCode, r.body).toBe(200);
      expect(r.json().components.database).toMatchObject({
        status: 'HEALTHY',
        migrationsCount: 2,
        lastMigration: 'changelog.sql',
        lastMigrationId: '2',
      });
    } finally {
      await app.close();
    }
  });

  it('rollback to 1.0.0 undoes changeset 2 and deletes its row from hist.app_log', async () => {
    const rb = await rollback({ config, target: 'prod' });
    expect(rb.ok).toBe(true);
    expect(rb.databaseRolledBack.map((k) => k.id)).toEqual(['2']);
    expect(await history()).toEqual(['1']);
    expect(await publicTables()).toEqual(['t1']);
    const app = await createApp({ config, audit: path.join(dir, 'audit.log') });
    try {
      const r = await app.inject({
        url: '/api/health',
        headers: { authorization: `Bearer ${await viewerToken(config)}` },
      });
      expect(r.json().components.database).toMatchObject({
        migrationsCount: 1,
        lastMigrationId: '1',
      });
    } finally {
      await app.close();
    }
  });
});
