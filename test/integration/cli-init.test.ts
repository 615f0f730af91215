// `slipway init` on realistic project layouts (built binary), then the written config is loaded and the tree scanned:
// where every file lands in the package is the proof, not the config text alone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { scanProject } from '../../src/fileset/scan.js';
import { ensureDist, runBin } from '../helpers/cli-bin.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { changelogXml } from '../helpers/changelog-xml.js';

const dirs: string[] = [];
beforeAll(async () => {
  await ensureDist();
}, 300_000);
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

/** Runs `slipway init` in a fresh tree and returns the package path of every scanned file. */
async function initAndScan(
  files: Record<string, string>,
): Promise<{ dir: string; text: string; placed: Record<string, string | null> }> {
  const dir = await makeTree(files, 'slipway-init-');
  dirs.push(dir);
  const r = runBin(['init'], dir);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toMatch(/^wrote slipway\.config\.yaml \(/);
  const text = await readFile(path.join(dir, 'slipway.config.yaml'), 'utf8');
  const { config } = await loadConfig({ cwd: dir, env: {}, environment: 'prod' });
  const scan = await scanProject(config);
  const placed: Record<string, string | null> = {};
  for (const f of Object.keys(files)) placed[f] = scan.fileSet.files.find((x) => x.sourcePath === f)?.path ?? null;
  return { dir, text, placed };
}

describe('slipway init on real layouts', () => {
  it('Spring Boot: finds the changelog under src/main/resources, keeps tests and the changelog out of application', async () => {
    const { text, placed, dir } = await initAndScan({
      'pom.xml': '<project/>\n',
      'src/main/java/com/acme/App.java': 'class App {}\n',
      'src/main/resources/application.yml': 'server: {}\n',
      'src/main/resources/db/changelog/db.changelog-master.yaml': 'databaseChangeLog: []\n',
      'src/main/resources/db/changelog/changes/001-init.sql': '--liquibase formatted sql\n',
      'src/test/java/com/acme/AppTest.java': 'class AppTest {}\n',
      'src/test/groovy/com/acme/RepoTest.groovy': 'class RepoTest {}\n',
      '.gitignore': 'target/',
    });
    expect(text).toContain('changelog: src/main/resources/db/changelog/db.changelog-master.yaml');
    expect(placed).toMatchObject({
      'src/main/java/com/acme/App.java': 'application/main/java/com/acme/App.java',
      'src/main/resources/db/changelog/db.changelog-master.yaml':
        'database/src/main/resources/db/changelog/db.changelog-master.yaml',
      'src/main/resources/db/changelog/changes/001-init.sql':
        'database/src/main/resources/db/changelog/changes/001-init.sql',
    });
    // prod ships smoke tests only (none here): tests are classified as tests, so they are not in application/
    expect(placed['src/test/groovy/com/acme/RepoTest.groovy']).toBeNull();
    expect(await readFile(path.join(dir, '.gitignore'), 'utf8')).toBe('target/\n.slipway/\n');
  });

  it('Node/Express: entry and package.json in application; *.test.js and *.spec.ts as tests; scripts not nested', async () => {
    const { text, placed, dir } = await initAndScan({
      'package.json': JSON.stringify({ name: '@acme/api', version: '2.3.4', main: 'server.js' }),
      'server.js': "require('./src/routes');\n",
      'src/routes.js': 'module.exports = {};\n',
      'src/routes.test.js': "test('x', () => {});\n",
      'src/lib/util.spec.ts': 'describe("u", () => {});\n',
      'scripts/migrate.sh': '#!/bin/sh\n',
      'migrations/changelog.xml': '<databaseChangeLog/>\n',
      'liquibase.properties': 'changeLogFile=migrations/changelog.xml\n',
    });
    expect(text).toContain('name: api');
    expect(text).toContain('# version: taken from package.json (2.3.4)');
    expect(text).toContain('changelog: migrations/changelog.xml');
    expect(text).toMatch(/restart: .*\n.*stop: /);
    expect(text).toContain('health:');
    expect(placed).toMatchObject({
      'package.json': 'application/package.json',
      'server.js': 'application/server.js',
      'src/routes.js': 'application/src/routes.js',
      'scripts/migrate.sh': 'scripts/migrate.sh',
      'migrations/changelog.xml': 'database/migrations/changelog.xml',
      'src/routes.test.js': null,
      'src/lib/util.spec.ts': null,
    });
    expect(await readFile(path.join(dir, '.gitignore'), 'utf8')).toBe('.slipway/\n');
    // a second init --force does not add .slipway/ twice
    expect(runBin(['init', '--force'], dir).code).toBe(0);
    expect(await readFile(path.join(dir, '.gitignore'), 'utf8')).toBe('.slipway/\n');
  });

  it('Groovy/ScriptRunner app like the example: groovy tests inside src are tests, docs are not nested', async () => {
    const { text, placed } = await initAndScan({
      'src/groovy/umig/api/v2/TeamsApi.groovy': 'class TeamsApi {}\n',
      'src/groovy/umig/tests/unit/TeamsApiTest.groovy': 'class TeamsApiTest {}\n',
      'src/groovy/umig/repository/TeamRepositoryTest.groovy': 'class TeamRepositoryTest {}\n',
      'src/web/js/app.js': 'export {};\n',
      'db/changelog/db.changelog-master.xml': '<databaseChangeLog/>\n',
      'db/changelog/changes/001.sql': '--liquibase formatted sql\n',
      'docs/README.md': '# docs\n',
      'scripts/deploy.sh': '#!/bin/sh\n',
    });
    expect(text).toContain('changelog: db/changelog/db.changelog-master.xml');
    expect(placed).toMatchObject({
      'src/groovy/umig/api/v2/TeamsApi.groovy': 'application/groovy/umig/api/v2/TeamsApi.groovy',
      'src/web/js/app.js': 'application/web/js/app.js',
      'db/changelog/db.changelog-master.xml': 'database/db/changelog/db.changelog-master.xml',
      'docs/README.md': 'docs/README.md',
      'scripts/deploy.sh': 'scripts/deploy.sh',
      'src/groovy/umig/tests/unit/TeamsApiTest.groovy': null,
      'src/groovy/umig/repository/TeamRepositoryTest.groovy': null,
    });
    expect(text).toContain('src/**/tests/**');
    expect(text).toContain('src/**/*Test.groovy');
  });

  it('monorepo: the changelog deep in a package is found; the package is valid to stage', async () => {
    const { text, placed, dir } = await initAndScan({
      'package.json': JSON.stringify({ name: 'mono', version: '0.4.0', private: true, workspaces: ['packages/*'] }),
      'packages/api/src/index.js': 'export {};\n',
      'packages/api/db/changelog/changelog-root.xml': '<databaseChangeLog/>\n',
      'packages/api/db/changelog/other-changelog.sql': '--liquibase formatted sql\n',
      'packages/web/src/main.js': 'export {};\n',
    });
    expect(text).toContain('changelog: packages/api/db/changelog/changelog-root.xml');
    expect(placed['packages/api/db/changelog/changelog-root.xml']).toBe(
      'database/packages/api/db/changelog/changelog-root.xml',
    );
    expect(placed['packages/api/src/index.js']).toBe('application/packages/api/src/index.js');
    const stage = runBin(['stage', '--json'], dir);
    expect(stage.code, stage.stderr).toBe(0);
  });
  it('a master changelog is found by its content, whatever its name: the root that includes the others', async () => {
    const { text } = await initAndScan({
      'pom.xml': '<project/>\n',
      'src/main/java/App.java': 'class App {}\n',
      // a file named like a changelog that is none (release notes): never chosen
      'docs/changelog.xml': '<notes><entry>1.0</entry></notes>\n',
      'src/main/resources/config/liquibase/master.xml': changelogXml(
        '  <include file="config/liquibase/changelog/00000000000000_initial_schema.xml" relativeToChangelogFile="false"/>\n',
      ),
      'src/main/resources/config/liquibase/changelog/00000000000000_initial_schema.xml': changelogXml(
        '  <changeSet id="1" author="a"><sql>select 1</sql></changeSet>\n',
      ),
    });
    expect(text).toContain('changelog: src/main/resources/config/liquibase/master.xml');
  });

  it('a YAML master with includeAll is preferred over the changelogs it includes, even shallower ones', async () => {
    const { text } = await initAndScan({
      'src/index.js': 'export {};\n',
      'db/all-changes.yaml': 'databaseChangeLog:\n  - includeAll:\n      path: db/schema/\n',
      'db/schema/changelog-001.yaml':
        'databaseChangeLog:\n  - changeSet: {id: "1", author: a, changes: [{sql: {sql: select 1}}]}\n',
      'db/schema/changelog-002.sql': '--liquibase formatted sql\n--changeset a:2\nselect 2;\n',
    });
    expect(text).toContain('changelog: db/all-changes.yaml');
  });

  it('no Liquibase changelog: psql entry scripts become database.psqlScripts, and the build packages them', async () => {
    const { text, dir } = await initAndScan({
      'app/server.js': 'export {};\n',
      'sql/install.sql': '\\set ON_ERROR_STOP on\n\\i sql/schema/tables.sql\n\\ir data/seed.sql\n',
      'sql/schema/tables.sql': 'CREATE TABLE items (id int, name text);\n',
      'sql/data/seed.sql': "\\copy items from 'sql/data/items.csv' with (format csv)\n",
      'sql/data/items.csv': '1,a\n2,b\n',
      // plain SQL without meta-commands, included by nobody: not a psql script by its content
      'sql/scratch/notes.sql': 'SELECT 1;\n',
    });
    expect(text).toContain('psqlScripts: ["sql/install.sql"]');
    const build = runBin(['build', '--env', 'prod', '--json'], dir);
    expect(build.code, build.stderr).toBe(0);
    const pkg = (JSON.parse(build.stdout) as { package: { path: string } }).package.path;
    const sql = spawnSync('tar', ['-xzOf', pkg, 'database/plain/install.sql'], { encoding: 'utf8' });
    expect(sql.status, sql.stderr).toBe(0);
    expect(sql.stdout).toContain('CREATE TABLE items (id int, name text);');
    expect(sql.stdout).toContain('COPY items FROM STDIN with (format csv);\n1,a\n2,b\n\\.\n');
  });
});
