import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { schemaDump } from '../helpers/liquibase-oracle.js';
import { buildDatabasePackage } from '../../src/db/package.js';
import { applySql } from '../../src/db/apply.js';

// Real Liquibase 4.28.1 (npm `liquibase`, Java 17) is the oracle. Each call starts a JVM (seconds), so each case
// makes exactly three: `update` on one database, `status` and `validate` on the database our package built.
const LIQUIBASE = path.resolve('node_modules/liquibase/dist/liquibase/liquibase');

function liquibase(searchPath: string, changelog: string, db: TestDatabase, command: string, contexts: string) {
  const u = new URL(db.url);
  const jdbc = `jdbc:postgresql://${u.hostname}:${u.port || 5432}${u.pathname}`;
  return spawnSync(
    LIQUIBASE,
    [
      `--url=${jdbc}`,
      `--username=${decodeURIComponent(u.username)}`,
      '--password=',
      `--search-path=${searchPath}`,
      `--changelog-file=${changelog}`,
      `--contexts=${contexts}`,
      '--show-banner=false',
      command,
    ],
    { encoding: 'utf8', timeout: 120_000 },
  );
}

async function historyRows(db: TestDatabase): Promise<string[]> {
  const r = spawnSync(
    'psql',
    [
      '-X',
      '-A',
      '-t',
      '-c',
      "SELECT concat_ws('|', id, author, filename, orderexecuted, exectype, md5sum, description, comments, coalesce(tag, '<null>'), liquibase, coalesce(contexts, '<null>'), coalesce(labels, '<null>'), deployment_id ~ '^[0-9]{10}$') FROM databasechangelog ORDER BY orderexecuted",
      db.url,
    ],
    { encoding: 'utf8' },
  );
  expect(r.status).toBe(0);
  return r.stdout.trim().split('\n');
}

const cases = [
  {
    name: 'Slipway fixture (XML master, formatted SQL, sqlFile, tagDatabase, preconditions (run, MARK_RAN), runOnChange, CONCURRENTLY)',
    root: 'test/fixtures/db-pkg/app',
    changelog: 'db/master.xml',
    contexts: 'dev',
    expected: 11,
  },
  {
    name: 'UMIG example changelog (includeAll, properties, seed data in context dev)',
    root: 'examples/umig-sample',
    changelog: 'db/changelog/db.changelog-master.xml',
    contexts: 'dev',
    expected: null,
  },
];

describe.each(cases)('Liquibase 4.28 oracle: $name', (c) => {
  let ours: TestDatabase;
  let theirs: TestDatabase;
  let tmp: string;
  beforeAll(async () => {
    ours = await createTestDatabase('slipway_oracle');
    theirs = await createTestDatabase('slipway_oracle');
    tmp = await makeTree({});
  });
  afterAll(async () => {
    await ours.drop();
    await theirs.drop();
    await removeTree(tmp);
  });

  it('our package under psql and `liquibase update` give the same schema and equivalent history; status/validate pass', async () => {
    const root = path.resolve(c.root);
    const pkg = await buildDatabasePackage({
      rootDir: root,
      changelog: c.changelog,
      contexts: [c.contexts],
      application: 'oracle',
      version: '1.0.0',
      sourceDateEpoch: 0,
    });
    if (c.expected !== null) expect(pkg.changeSets).toBe(c.expected);
    const file = path.join(tmp, 'package.sql');
    await writeFile(file, pkg.sql);
    const ran = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, ours.url], { encoding: 'utf8' });
    expect(ran.stderr.replace(/psql:.*NOTICE:.*\n/g, '')).toBe('');
    expect(ran.status).toBe(0);

    const update = liquibase(root, c.changelog, theirs, 'update', c.contexts);
    expect(update.status, update.stderr + update.stdout).toBe(0);

    expect(schemaDump(ours)).toBe(schemaDump(theirs));
    expect(await historyRows(ours)).toEqual(await historyRows(theirs));

    const status = liquibase(root, c.changelog, ours, 'status', c.contexts);
    expect(status.status, status.stderr).toBe(0);
    expect(status.stdout).toMatch(/is up to date/);
    const validate = liquibase(root, c.changelog, ours, 'validate', c.contexts);
    expect(validate.status, validate.stderr + validate.stdout).toBe(0);
    expect(validate.stdout + validate.stderr).toMatch(/No validation errors found/);

    // Our package is idempotent on the database Liquibase built, too: nothing left to run.
    expect(await applySql({ databaseUrl: theirs.url, sql: pkg.sql })).toMatchObject({
      executed: [],
      alreadyApplied: pkg.changeSets,
    });
  }, 180_000);
});

describe('Liquibase 4.28 oracle: runOnChange re-run after an edit', () => {
  let ours: TestDatabase;
  let theirs: TestDatabase;
  let root: string;
  beforeAll(async () => {
    ours = await createTestDatabase('slipway_oracle');
    theirs = await createTestDatabase('slipway_oracle');
    root = await makeTree({});
    await cp(path.resolve('test/fixtures/db-pkg/app'), root, { recursive: true });
  });
  afterAll(async () => {
    await ours.drop();
    await theirs.drop();
    await removeTree(root);
  });

  it('both record the edited runOnChange changeset the same way (RERAN, new checksum, new ORDEREXECUTED)', async () => {
    const build = () =>
      buildDatabasePackage({
        rootDir: root,
        changelog: 'db/master.xml',
        contexts: ['dev'],
        application: 'o',
        version: '1',
        sourceDateEpoch: 0,
      });
    await applySql({ databaseUrl: ours.url, sql: (await build()).sql });
    expect(liquibase(root, 'db/master.xml', theirs, 'update', 'dev').status).toBe(0);
    const file = path.join(root, 'db/changes/005-more.sql');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace('SELECT t.name, u.email', 'SELECT t.name, u.email, u.id'),
    );
    expect((await applySql({ databaseUrl: ours.url, sql: (await build()).sql })).executed.map((e) => e.id)).toEqual([
      '005-view',
    ]);
    const again = liquibase(root, 'db/master.xml', theirs, 'update', 'dev');
    expect(again.status, again.stderr).toBe(0);
    expect(await historyRows(ours)).toEqual(await historyRows(theirs));
    expect(schemaDump(ours)).toBe(schemaDump(theirs));
  }, 180_000);
});
