import { cp, writeFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { applySql } from '../../../src/db/apply.js';
import { buildDatabasePackage } from '../../../src/db/package.js';
import { build } from '../../../src/builder/pipeline.js';
import { deploy } from '../../../src/deploy/deploy.js';
import { addUser } from '../../../src/server/users-file.js';
import { createTestDatabase, type TestDatabase } from '../../helpers/pg.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';

export const PASSWORD = 'e2e correct horse battery';
export const USERS = { viewer: ['viewers'], deployer: ['deployers'], admin: ['admins'] } as const;
const REPO = path.resolve(import.meta.dirname, '../../..');
const EXAMPLE_CHANGELOG = path.join(REPO, 'examples/umig-sample/db/changelog');

/** Who deployed each release; 1.0.0's actor is markup, which the UI must show as text. */
export const ACTORS: Record<string, string> = {
  '1.0.0': '<img src=x onerror="window.__xss=1">ci',
  '1.1.0': 'ci-1.1.0@example.test',
};

/** The changeset whose recorded checksum the fixture falsifies, so the UI has a drift row to show. */
export const DRIFT_ID = '004-create-status-table';

export interface E2eProject {
  dir: string;
  db: TestDatabase;
  config: Config;
  /** Release ids, oldest first (1.0.0, then 1.1.0 which is live). */
  releases: { id: string; version: string }[];
  cleanup: () => Promise<void>;
}

const configYaml = (version: string, dbUrl: string | null) =>
  [
    'name: umig',
    `version: ${version}`,
    'build:',
    '  output: out',
    '  components:',
    '    application: { include: ["src/**"], base: src/ }',
    '    database: { include: ["db/**"], base: "" }',
    '    docs: { include: ["docs/**"] }',
    '  exclude: ["node_modules/**", "logs/**"]',
    'database:',
    '  changelog: db/changelog/db.changelog-master.xml',
    ...(dbUrl ? [`  url: ${dbUrl}`] : []),
    // PGlite verification of the changelog takes ~15 s per build and is DBPKG's to test, not the UI's.
    '  verify: false',
    // As the example config does: the build's SQL syntax check substitutes these (it does not read <property>).
    '  properties: { umig.audit.retention.days: "365", umig.schema.release: "1.2.0" }',
    'deploy:',
    '  targets:',
    '    prod: { type: local, path: target, smokeTests: false }',
    // The tests sign in a dozen times within a minute from 127.0.0.1; the default brake (10/min) would refuse them.
    'server:',
    '  rateLimit: { loginPerMinute: 1000 }',
    '',
  ].join('\n');

// Only the first five files: the rest of the example changelog (and its dev seed) stays pending.
const PARTIAL_MASTER = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">
    <property name="umig.audit.retention.days" value="365"/>
    <property name="umig.schema.release" value="1.2.0"/>
    <include file="changes/001-teams-users.sql" relativeToChangelogFile="true"/>
    <include file="changes/002-status-reference.sql" relativeToChangelogFile="true"/>
    <include file="changes/003-migrations-iterations.sql" relativeToChangelogFile="true"/>
    <include file="changes/004-plans-steps-instructions.sql" relativeToChangelogFile="true"/>
    <include file="changes/005-audit-log.sql" relativeToChangelogFile="true"/>
</databaseChangeLog>
`;

/**
 * A temp project with the UMIG example changelog, a real PostgreSQL database where the first five files are applied
 * (one checksum falsified → drift), a users file with a viewer, a deployer and an admin, and a local target with two
 * releases built by PACKAGE's build() and deployed by DEPLOY's deploy().
 */
export async function makeE2eProject(): Promise<E2eProject> {
  const db = await createTestDatabase('slipway_e2e_web');
  const dir = await makeTree(
    {
      'slipway.config.yaml': configYaml('1.0.0', null),
      'src/web/index.html': '<!doctype html><title>UMIG</title>\n',
      'src/web/app.js': 'export const version = "1.0.0";\n',
      'src/server/main.mjs': 'console.log("umig");\n',
      'docs/README.md': '# UMIG\n',
      // Clutter the build leaves out, so "before" is bigger than "after".
      'node_modules/left-pad/index.js': `module.exports = ${JSON.stringify('x'.repeat(20_000))};\n`,
      'logs/app.log': 'log line\n'.repeat(2000),
    },
    'slipway-e2e-',
  );
  await cp(EXAMPLE_CHANGELOG, path.join(dir, 'db/changelog'), { recursive: true });
  await writeFile(path.join(dir, 'db/changelog/partial.xml'), PARTIAL_MASTER);

  const usersFile = path.join(dir, '.slipway/users.json');
  for (const [name, groups] of Object.entries(USERS))
    await addUser({ usersFile, name, password: PASSWORD, groups: [...groups], now: new Date() });

  const releases: { id: string; version: string }[] = [];
  let config!: Config;
  for (const version of ['1.0.0', '1.1.0']) {
    await writeFile(path.join(dir, 'slipway.config.yaml'), configYaml(version, null));
    await writeFile(path.join(dir, 'src/web/app.js'), `export const version = ${JSON.stringify(version)};\n`);
    config = (await loadConfig({ configFile: path.join(dir, 'slipway.config.yaml'), cwd: dir, env: {} })).config;
    const built = await build({ config, env: { SOURCE_DATE_EPOCH: '1767225600' } });
    const deployed = await deploy({ config, packagePath: built.package.path, target: 'prod', actor: ACTORS[version]! });
    if (!deployed.ok) throw new Error(`fixture deploy of ${version} failed: ${deployed.reason}`);
    releases.push({ id: deployed.releaseId, version });
  }
  const partial = await buildDatabasePackage({
    rootDir: dir,
    changelog: 'db/changelog/partial.xml',
    application: 'umig',
    version: '1.0.0',
    sourceDateEpoch: 0,
  });
  await applySql({ databaseUrl: db.url, sql: partial.sql });
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    await c.query(`UPDATE databasechangelog SET md5sum = '9:00000000000000000000000000000000' WHERE id = $1`, [
      DRIFT_ID,
    ]);
  } finally {
    await c.end();
  }

  // The server's config: the same project with the database URL (the builds above ran without it, so PACKAGE's
  // database phase did not touch this database).
  await writeFile(path.join(dir, 'slipway.config.yaml'), configYaml('1.1.0', db.url));
  config = (await loadConfig({ configFile: path.join(dir, 'slipway.config.yaml'), cwd: dir, env: {} })).config;
  return {
    dir,
    db,
    config,
    releases,
    cleanup: async () => {
      await db.drop();
      await removeTree(dir);
    },
  };
}
