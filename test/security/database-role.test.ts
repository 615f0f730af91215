/**
 * A deploy or `db apply` whose database role is a superuser (or may SET ROLE to one) warns once, on stderr and in the
 * journal, with a hint; a plain role does not (real PostgreSQL: postgres is a superuser, a scratch role is not).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deploy } from '../../src/deploy/deploy.js';
import { readDatabaseRole } from '../../src/db/role.js';
import { PG_ADMIN_URL, createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { baseFiles, craftPackageEntries, craftTar, writeCrafted } from '../fixtures/deploy/craft.js';
import { makeFixturePackage } from '../fixtures/deploy/make-package.js';
import { makeDbParts, type FixtureChangeSet } from '../fixtures/deploy/db-package.js';
import { ensureDist, runBin } from '../helpers/cli-bin.js';
import { runMain } from '../helpers/cli-main.js';

let sandbox: string;
let db: TestDatabase;
/** A database the plain role owns (it creates the tables and databasechangelog of its own deploys). */
let owned: TestDatabase;
let n = 0;
const role = `slipway_plain_${randomBytes(4).toString('hex')}`;
const urlAs = (user: string, base = () => db.url) => {
  const u = new URL(base());
  u.username = user;
  return u.toString();
};

beforeAll(async () => {
  sandbox = await mkdtemp(path.join(tmpdir(), 'slipway-dbrole-'));
  db = await createTestDatabase();
  await queryRows(PG_ADMIN_URL, `CREATE ROLE ${role} LOGIN NOSUPERUSER`);
  owned = await createTestDatabase('slipway_plainrole');
  await queryRows(PG_ADMIN_URL, `ALTER DATABASE "${owned.name}" OWNER TO ${role}`);
  await ensureDist();
}, 300_000);
afterAll(async () => {
  await rm(sandbox, { recursive: true, force: true });
  await db.drop();
  await owned.drop();
  await queryRows(PG_ADMIN_URL, `DROP ROLE IF EXISTS ${role}`);
});

async function deployAs(databaseUrl: string) {
  const dir = path.join(sandbox, `d${n++}`);
  await mkdir(dir);
  const config = await makeDeployConfig(dir, { databaseUrl });
  const files = { ...baseFiles(), 'database/package.sql': 'SELECT 1;\n' };
  const pkg = await writeCrafted(dir, 'demo', craftTar(craftPackageEntries({ files })));
  const events: { status: string; message?: string }[] = [];
  const r = await deploy({ config, packagePath: pkg, target: 'prod', onProgress: (e) => events.push(e) });
  const journal = (await readFile(path.join(dir, 'target', '.slipway', 'journal.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { step: string; status: string; message?: string });
  return { r, events, journal };
}

const cli = (argv: string[], cwd = sandbox) => runMain(argv, { cwd });

describe('database role of a deploy', () => {
  it('reads rolsuper of the session role, and membership in a superuser role', async () => {
    expect(await readDatabaseRole(db.url)).toEqual({ name: 'postgres', superuser: true, memberOfSuperuser: null });
    expect(await readDatabaseRole(urlAs(role))).toEqual({ name: role, superuser: false, memberOfSuperuser: null });
    await queryRows(PG_ADMIN_URL, `GRANT postgres TO ${role}`);
    try {
      expect(await readDatabaseRole(urlAs(role))).toEqual({
        name: role,
        superuser: false,
        memberOfSuperuser: 'postgres',
      });
    } finally {
      await queryRows(PG_ADMIN_URL, `REVOKE postgres FROM ${role}`);
    }
  });

  it('deploy as a superuser: one warning in the progress and the journal, naming the role and the hint', async () => {
    const { r, events, journal } = await deployAs(db.url);
    expect(r.ok, r.reason ?? '').toBe(true);
    const warnings = events.filter((e) => e.status === 'warning');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toMatch(/^W_DB_SUPERUSER: role "postgres" is a superuser on postgres:\/\//);
    expect(warnings[0]!.message).toContain('hint: deploy with a non-superuser role');
    const logged = journal.filter((e) => e.status === 'warning');
    expect(logged).toEqual([expect.objectContaining({ step: 'migrate', message: warnings[0]!.message })]);
  });

  it('deploy as a plain role: no warning', async () => {
    const { r, events, journal } = await deployAs(urlAs(role));
    expect(r.ok, r.reason ?? '').toBe(true);
    expect(events.filter((e) => e.status === 'warning')).toEqual([]);
    expect(journal.filter((e) => e.status === 'warning')).toEqual([]);
  });

  it('db apply warns on stderr (also under --json) for a superuser only', async () => {
    const file = path.join(sandbox, 'one.sql');
    await writeFile(file, 'SELECT 1;\n');
    const su = await cli(['db', 'apply', file, '--database-url', db.url, '--json']);
    expect(su.code, su.stderr).toBe(0);
    const lines = su.stderr.split('\n').filter((l) => l.startsWith('warning '));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^warning W_DB_SUPERUSER: role "postgres" is a superuser on postgres:\/\/.*; hint: /);
    expect(() => JSON.parse(su.stdout) as unknown).not.toThrow();
    const plain = await cli(['db', 'apply', file, '--database-url', urlAs(role)]);
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.stderr).not.toContain('warning');
  });

  it('slipway deploy --json as a superuser: the warning is one stderr line, stdout stays one JSON value', async () => {
    const dir = path.join(sandbox, `d${n++}`);
    await mkdir(dir);
    await makeDeployConfig(dir, { databaseUrl: db.url });
    const files = { ...baseFiles(), 'database/package.sql': 'SELECT 1;\n' };
    const pkg = await writeCrafted(dir, 'demo', craftTar(craftPackageEntries({ files })));
    const r = await cli(['deploy', pkg, '--target', 'prod', '--json'], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      expect.stringMatching(/^warning W_DB_SUPERUSER: role "postgres" is a superuser on postgres:\/\/.*; hint: /),
    ]);
    expect((JSON.parse(r.stdout) as { ok: boolean }).ok).toBe(true);
  });
});

const CS: FixtureChangeSet[] = ['1', '2', '3'].map((id) => ({
  id,
  sql: `CREATE TABLE role_t${id} (id int);`,
  rollback: `DROP TABLE role_t${id};`,
}));

/** A real database package (changesets with rollback SQL); `crash` makes the restart command SIGKILL the deploy. */
async function rolePackage(version: string, n: number, crash = false) {
  const parts = await makeDbParts(version, CS.slice(0, n));
  const files = { ...parts.files, ...(crash ? { 'application/crash': 'x' } : {}) };
  return (await makeFixturePackage({ version, compatibility: parts.compatibility, files })).path;
}

const warningLines = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('warning '));

describe('database role of `slipway rollback` and `slipway recover` (the built CLI)', () => {
  it.each([
    ['a superuser', 1, () => db.url],
    ['a plain role', 0, () => urlAs(role, () => owned.url)],
  ] as const)(
    'as %s: the database rollback and the recovery warn %i time(s)',
    async (_what, count, url) => {
      const dir = path.join(sandbox, `r${n++}`);
      await mkdir(dir);
      // The restart of a release that ships application/crash kills the deploy (its parent) once: an interrupted run
      // that migrated, for `recover --yes` to undo.
      await makeDeployConfig(dir, {
        databaseUrl: url(),
        rollbackDatabase: true,
        restart: `test ! -f "$SLIPWAY_RELEASE_DIR/application/crash" || test -f ${dir}/crashed || { touch ${dir}/crashed; kill -9 $PPID; }`,
      });
      const [p1, p2, p3] = [
        await rolePackage('1.0.0', 1),
        await rolePackage('2.0.0', 2),
        await rolePackage('3.0.0', 3, true),
      ];
      for (const p of [p1, p2]) {
        const d = runBin(['deploy', p, '--target', 'prod'], dir);
        expect(d.code, d.stderr).toBe(0);
      }
      const rb = runBin(['rollback', '--target', 'prod'], dir);
      expect(rb.code, rb.stderr).toBe(0);
      expect(rb.stderr).toMatch(/✓ db-rollback /);
      expect(await queryRows(url(), "SELECT to_regclass('role_t2') IS NOT NULL AS t")).toEqual([{ t: false }]);
      const who = count ? 'role "postgres" is a superuser' : '';
      expect(warningLines(rb.stderr)).toEqual(
        count ? [expect.stringMatching(new RegExp(`^warning W_DB_SUPERUSER: ${who} on postgres://.*; hint: `))] : [],
      );
      const crashed = runBin(['deploy', p3, '--target', 'prod'], dir);
      expect(crashed.code, crashed.stderr).toBeNull(); // killed by SIGKILL after migrate, switch
      expect(await queryRows(url(), "SELECT to_regclass('role_t3') IS NOT NULL AS t")).toEqual([{ t: true }]);
      const rec = runBin(['recover', '--target', 'prod', '--yes'], dir);
      expect(rec.code, rec.stdout + rec.stderr).toBe(0);
      expect(await queryRows(url(), "SELECT to_regclass('role_t2') IS NOT NULL AS t")).toEqual([{ t: false }]);
      expect(warningLines(rec.stderr)).toEqual(
        count ? [expect.stringMatching(new RegExp(`^warning W_DB_SUPERUSER: ${who} on postgres://.*; hint: `))] : [],
      );
      const journal = (await readFile(path.join(dir, 'target', '.slipway', 'journal.jsonl'), 'utf8'))
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { kind?: string; step: string; status: string });
      // migrate of three deploys, the rollback's and the recovery's db-rollback (each run once)
      expect(journal.filter((e) => e.status === 'warning').map((e) => e.step)).toEqual(
        count ? ['migrate', 'migrate', 'db-rollback', 'migrate', 'db-rollback'] : [],
      );
      // Five runs of the built CLI one after another (each a new Node process with a database step): a loaded
      // machine took more than vitest's 60 s default once.
    },
    300_000,
  );
});
