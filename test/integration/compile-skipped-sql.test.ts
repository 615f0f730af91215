import { afterAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { configSchema, type Config } from '../../src/config/schema.js';
import { resolveConfig } from '../../src/config/load.js';
import { scanProject } from '../../src/fileset/scan.js';
import { compileFileSet } from '../../src/builder/compile/index.js';
import { SlipwayError } from '../../src/errors.js';
import { changelogXml } from '../helpers/changelog-xml.js';
import { liquibaseOk, psqlRows, useOracleCase } from '../helpers/liquibase-oracle.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

// Compile's SQL syntax check reads what Liquibase would run. A <sqlFile> whose changeset another dbms or an
// unselected context leaves out, and a formatted SQL changeset left out the same way, are never run by Liquibase 4.28
// (measured: `update --contexts=pg` records 1, 4 and f1 only), nor a <sqlFile dbms="oracle"> in a changeset that runs, so Oracle or MySQL syntax there is no error: a warning
// names what was not checked. The same text in a changeset that runs is still an error.

const MASTER = changelogXml(`  <changeSet id="1" author="a"><sqlFile path="db/pg.sql"/></changeSet>
  <changeSet id="2" author="a" dbms="oracle"><sqlFile path="db/oracle.sql"/></changeSet>
  <changeSet id="3" author="a" context="mysql"><sqlFile path="db/mysql.sql"/></changeSet>
  <changeSet id="4" author="a"><sql>create table t6 (id int)</sql><sqlFile dbms="oracle" path="db/oracle2.sql"/></changeSet>
  <include file="db/formatted.sql"/>`);
const FILES = {
  'db/master.xml': MASTER,
  'db/pg.sql': 'create table t1 (id int);\n',
  'db/oracle.sql':
    'CREATE TABLE t2 (id NUMBER(10)) TABLESPACE users STORAGE (INITIAL 64K);\nSELECT 1 FROM dual CONNECT BY LEVEL <= 3;\n',
  'db/oracle2.sql': 'SELECT 1 FROM dual CONNECT BY LEVEL <= 3;\n',
  'db/mysql.sql': 'CREATE TABLE t3 (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB;\n',
  'db/formatted.sql':
    '--liquibase formatted sql\n--changeset a:f1\ncreate table t4 (id int);\n--changeset a:f2 context:mysql\nCREATE TABLE t5 (id INT) ENGINE=InnoDB;\n',
};

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

async function compileTree(files: Record<string, string>, contexts: string[]) {
  const dir = await makeTree(files, 'slipway-skipped-sql-');
  dirs.push(dir);
  const parsed = configSchema.parse({
    name: 'app',
    version: '1.0.0',
    build: { components: { database: { include: ['db/**'] } } },
    database: { changelog: 'db/master.xml', contexts },
  });
  const config: Config = await resolveConfig(parsed, {
    configFile: path.join(dir, 'slipway.config.yaml'),
    environment: 'dev',
  });
  const scan = await scanProject(config);
  return compileFileSet(config, scan.fileSet, { cacheDir: path.join(dir, '.cache') });
}

describe('compile skips the SQL Liquibase would not run', () => {
  const c = useOracleCase('skipped_sql', FILES);

  it('Liquibase 4.28 never runs the left-out changesets', async () => {
    await liquibaseOk(c.root, c.theirs, 'db/master.xml', 'update', '--contexts=pg');
    expect(psqlRows(c.theirs, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).toEqual(['1', '4', 'f1']);
  }, 600_000);

  it('warns, naming each file or changeset not checked, and fails on none of them', async () => {
    const r = await compileTree(FILES, ['pg']);
    expect(r.ok).toBe(true);
    const warned = r.findings.filter((f) => f.status === 'warn').map((f) => f.reason);
    expect(warned).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^db\/oracle\.sql: not validated: .*db\/master\.xml::2::a.*dbms oracle/),
        expect.stringMatching(/^db\/mysql\.sql: not validated: .*db\/master\.xml::3::a.*context mysql/),
        expect.stringMatching(/^db\/oracle2\.sql: not validated: .*db\/master\.xml::4::a.*another dbms/),
        expect.stringMatching(/^db\/formatted\.sql:4: changeset a:f2 .*context mysql.*not validated/),
      ]),
    );
  });

  it('still fails on the same SQL where the changeset runs', async () => {
    const err = await compileTree(FILES, ['mysql']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    const details = (err as SlipwayError).details.join('\n');
    expect(details).toMatch(/db\/mysql\.sql:1:/);
    expect(details).toMatch(/db\/formatted\.sql:5:/);
    expect(details).not.toMatch(/oracle\.sql/);
  });
});
