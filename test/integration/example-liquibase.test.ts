import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';

// The example's changelog and psql reference script, checked with the real tools (Liquibase 4.28 + Java 17, psql),
// so the sample every other test builds from is known to be valid for the programs it claims to serve.
const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const exampleDir = path.join(repoRoot, 'examples/umig-sample');
const liquibaseBin = path.join(repoRoot, 'node_modules/liquibase/dist/liquibase/liquibase');
const changelog = 'db/changelog/db.changelog-master.xml';

function jdbcArgs(db: TestDatabase): string[] {
  const u = new URL(db.url);
  return [
    `--url=jdbc:postgresql://${u.hostname}:${u.port || '5432'}${u.pathname}`,
    `--username=${decodeURIComponent(u.username) || 'postgres'}`,
    `--password=${decodeURIComponent(u.password)}`,
    `--changelog-file=${changelog}`,
    `--search-path=${exampleDir}`,
  ];
}

async function liquibase(db: TestDatabase, ...args: string[]): Promise<string> {
  const { stdout, stderr } = await run(liquibaseBin, [...jdbcArgs(db), ...args], {
    cwd: exampleDir,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout + stderr;
}

async function psql(db: TestDatabase, ...args: string[]): Promise<string> {
  const { stdout } = await run('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url, ...args], { cwd: '/' });
  return stdout;
}

const rows = async (db: TestDatabase, sql: string): Promise<string[]> =>
  (await psql(db, '-At', '-c', sql)).split('\n').filter(Boolean);

describe('examples/umig-sample database with real Liquibase and psql', () => {
  const dbs: TestDatabase[] = [];
  let dev: TestDatabase;
  let prod: TestDatabase;
  let plain: TestDatabase;

  beforeAll(async () => {
    [dev, prod, plain] = await Promise.all([
      createTestDatabase('ex_lb_dev'),
      createTestDatabase('ex_lb_prod'),
      createTestDatabase('ex_psql'),
    ]);
    dbs.push(dev, prod, plain);
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
  });

  it('liquibase update --contexts=dev applies all 20 changesets and status reports up to date', async () => {
    await liquibase(dev, '--contexts=dev', 'update');
    const applied = await rows(dev, "SELECT id || '|' || exectype FROM databasechangelog ORDER BY orderexecuted");
    expect(applied).toHaveLength(20);
    expect(applied[0]).toBe('001-create-teams-table|EXECUTED');
    expect(applied[19]).toBe('110-dev-migration-plan|EXECUTED');
    expect(applied.every((r) => r.endsWith('|EXECUTED'))).toBe(true);

    const status = await liquibase(dev, '--contexts=dev', 'status', '--verbose');
    expect(status).toMatch(/is up to date/);

    // Seed data, the audit trigger and the ${umig.audit.retention.days} property all took effect.
    expect(await rows(dev, 'SELECT count(*) FROM users_usr')).toEqual(['5']);
    expect(Number((await rows(dev, 'SELECT count(*) FROM audit_log_aud'))[0])).toBeGreaterThan(0);
    expect(await rows(dev, "SELECT pg_get_function_arguments('fn_purge_audit_log'::regproc)")).toEqual([
      'p_retention_days integer DEFAULT 365',
    ]);
    expect(await rows(dev, 'SELECT steps_total FROM v_iteration_progress')).toEqual(['3']);
  }, 240_000);

  it('rollback-count 3 removes the dev seed changesets and status lists them as pending', async () => {
    await liquibase(dev, '--contexts=dev', 'rollback-count', '--count=3');
    expect(await rows(dev, 'SELECT count(*) FROM databasechangelog')).toEqual(['17']);
    expect(await rows(dev, 'SELECT count(*) FROM teams_tms')).toEqual(['0']);
    const status = await liquibase(dev, '--contexts=dev', 'status', '--verbose');
    expect(status).toMatch(/3 changesets have not been applied/);
    expect(status).toContain('db/changelog/seed/110-dev-migration-plan.sql::110-dev-migration-plan::umig');
  }, 240_000);

  it('a prod update skips the dev-only seed data and MARK_RANs the guarded column', async () => {
    await liquibase(prod, '--contexts=prod', 'update');
    expect(await rows(prod, 'SELECT count(*) FROM databasechangelog')).toEqual(['17']);
    expect(
      await rows(prod, "SELECT count(*) FROM databasechangelog WHERE filename LIKE 'db/changelog/seed/%'"),
    ).toEqual(['0']);

    // The precondition guards environments that got the column from a hotfix script: simulate one.
    await liquibase(prod, '--contexts=prod', 'rollback-count', '--count=3');
    await psql(prod, '-c', 'ALTER TABLE users_usr ADD COLUMN usr_last_login_at timestamptz');
    await liquibase(prod, '--contexts=prod', 'update');
    expect(
      await rows(
        prod,
        "SELECT id || '|' || exectype FROM databasechangelog WHERE orderexecuted > 14 ORDER BY orderexecuted",
      ),
    ).toEqual([
      '015-add-users-last-login|MARK_RAN',
      '016-view-migration-progress|EXECUTED',
      '017-create-audit-purge-function|EXECUTED',
    ]);
    expect(await rows(prod, 'SELECT count(*) FROM status_sts')).toEqual(['21']);
  }, 240_000);

  it('db/reference/install.sql builds the same tables with psql and can be run twice', async () => {
    // cwd "/" proves the \ir includes resolve relative to the including file, not the working directory.
    const script = path.join(exampleDir, 'db/reference/install.sql');
    await psql(plain, '-1', '-f', script);
    await psql(plain, '-1', '-f', script);
    const tables = await rows(plain, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename");
    const liquibaseTables = await rows(
      dev,
      "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT LIKE 'databasechangelog%' ORDER BY tablename",
    );
    expect(tables).toEqual(liquibaseTables);
    expect(tables).toContain('steps_stm');
    expect(await rows(plain, 'SELECT count(*) FROM status_sts')).toEqual(['21']);
    expect(await rows(plain, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'trg_audit_%'")).toEqual(['6']);
  }, 240_000);
});
