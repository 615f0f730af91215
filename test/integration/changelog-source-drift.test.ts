// Regression tests for issue 12's changelog drift bugs: every caller (build, `db package`, `db status`) resolves the
// changelog through one ChangelogSource, so contexts and the FILENAME search path cannot differ between them.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { changelogSourceOf } from '../../src/config/changelog-source.js';
import { build } from '../../src/builder/pipeline.js';
import { applySql } from '../../src/db/apply.js';
import { getStatus } from '../../src/db/status.js';
import { createTestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runMain } from '../helpers/cli-main.js';

const EPOCH = 1_700_000_000;
// The config lives in cfg/ and names the project root as `root: ..`, the layout where build and `db package`
// used different search paths; the changelog defines one property per context.
const TREE = {
  'cfg/slipway.config.yaml': `name: drift
version: 1.0.0
root: ..
build:
  output: out
  components:
    application: { include: ["app/**"] }
  checks: { lockfile: false }
database:
  changelog: db/changelog.xml
  contexts: [prod]
  verify: false
`,
  'app/index.html': '<p>hi</p>\n',
  'cfg/db/changelog.xml': `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd">
  <property name="table" value="dev_table" context="dev"/>
  <property name="table" value="prod_table" context="prod"/>
  <changeSet id="1" author="ann">
    <sql>CREATE TABLE \${table} (id int)</sql>
    <rollback>DROP TABLE \${table}</rollback>
  </changeSet>
</databaseChangeLog>
`,
};

const runCli = (cwd: string, argv: string[]) => runMain(argv, { cwd, env: { SOURCE_DATE_EPOCH: String(EPOCH) } });

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

describe('one ChangelogSource for build, db package and db status', () => {
  it('build and `db package` give the same SQL: the context-limited property and the FILENAME agree', async () => {
    const dir = await makeTree(TREE, 'slipway-drift-');
    dirs.push(dir);
    const cfgDir = path.join(dir, 'cfg');
    const { config } = await loadConfig({ cwd: cfgDir, env: {} });
    expect(changelogSourceOf(config)).toMatchObject({ rootDir: dir, changelog: 'cfg/db/changelog.xml' });

    const built = await build({ config, sourceDateEpoch: EPOCH, env: {} });
    const listing = execFileSync('tar', ['-xzOf', built.package.path, 'database/package.sql'], { encoding: 'utf8' });
    const index = JSON.parse(
      execFileSync('tar', ['-xzOf', built.package.path, 'database/changesets.json'], { encoding: 'utf8' }),
    ) as { filename: string }[];
    expect(index.map((e) => e.filename)).toEqual(['cfg/db/changelog.xml']);
    expect(listing).toContain('CREATE TABLE prod_table');
    expect(listing).not.toContain('dev_table');

    const pkg = await runCli(cfgDir, ['db', 'package']);
    expect(pkg.stderr).toBe('1 changesets from 1 files\n');
    expect(pkg.code).toBe(0);
    expect(pkg.stdout).toContain('CREATE TABLE prod_table');
    expect(pkg.stdout).toContain("'cfg/db/changelog.xml'");
    // Same changelog, same source, same epoch: the same bytes.
    expect(pkg.stdout).toBe(listing);
  });

  it('`db status --contexts prod` sees what the built prod package applied as applied, not drifted', async () => {
    const dir = await makeTree(TREE, 'slipway-drift-');
    dirs.push(dir);
    const db = await createTestDatabase('slipway_drift');
    try {
      const cfgDir = path.join(dir, 'cfg');
      const { config } = await loadConfig({ cwd: cfgDir, env: {} });
      const built = await build({ config, sourceDateEpoch: EPOCH, env: {} });
      const sql = execFileSync('tar', ['-xzOf', built.package.path, 'database/package.sql'], { encoding: 'utf8' });
      await applySql({ databaseUrl: db.url, sql });
      const status = await getStatus({ ...changelogSourceOf(config)!, databaseUrl: db.url });
      expect(status).toMatchObject({ applied: 1, pending: 0, drift: 0, unknown: 0 });

      const cli = await runCli(cfgDir, ['db', 'status', '--contexts', 'prod', '--database-url', db.url, '--json']);
      expect(cli.code).toBe(0);
      expect(JSON.parse(cli.stdout)).toMatchObject({ applied: 1, pending: 0, drift: 0, unknown: 0 });
    } finally {
      await db.drop();
    }
  });

  it('`db package --contexts prod` applies the prod-only <property> (with `root: .` too)', async () => {
    const flat = Object.fromEntries(
      Object.entries(TREE).map(([k, v]) => [k.replace(/^cfg\//, ''), v.replace('root: ..\n', '')]),
    );
    const dir = await makeTree(flat, 'slipway-drift-');
    dirs.push(dir);
    const prod = await runCli(dir, ['db', 'package', '--contexts', 'prod']);
    expect(prod.code).toBe(0);
    expect(prod.stdout).toContain('CREATE TABLE prod_table');
    expect(prod.stdout).not.toContain('dev_table');
    const dev = await runCli(dir, ['db', 'package', '--contexts', 'dev']);
    expect(dev.stdout).toContain('CREATE TABLE dev_table');
    expect(dev.stdout).not.toContain('prod_table');
  });
});
