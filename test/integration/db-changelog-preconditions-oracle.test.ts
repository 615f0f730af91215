// Changelog-level <preConditions> (on databaseChangeLog, the master's and included files'), compared with real
// Liquibase 4.28 `update` on one database and Slipway's package run by psql on another: whether the update stops
// before any changeset, and the tables left behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { buildDatabasePackage } from '../../src/db/package.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { changelogXml } from '../helpers/changelog-xml.js';

const changeSet = (table: string) =>
  `<changeSet id="${table}" author="t"><sql>create table ${table} (id int)</sql></changeSet>`;

const FILES: Record<string, string> = {
  'warn.xml': changelogXml(
    `<preConditions onFail="WARN"><tableExists tableName="nope"/></preConditions>\n${changeSet('t_warn')}`,
  ),
  'halt.xml': changelogXml(`${changeSet('t_before')}\n<include file="child-halt.xml"/>`),
  'child-halt.xml': changelogXml(
    `<preConditions onFailMessage="needs table nope"><tableExists tableName="nope"/></preConditions>\n${changeSet('t_child')}`,
  ),
  'error-warn.xml': changelogXml(
    `<preConditions onError="WARN"><sqlCheck expectedResult="1">select nope from nowhere</sqlCheck></preConditions>\n${changeSet('t_error_warn')}`,
  ),
  'error-halt.xml': changelogXml(
    `<preConditions><sqlCheck expectedResult="1">select nope from nowhere</sqlCheck></preConditions>\n${changeSet('t_error_halt')}`,
  ),
  'pass.xml': changelogXml(
    `<preConditions><sqlCheck expectedResult="1">select 1</sqlCheck></preConditions>\n${changeSet('t_pass')}`,
  ),
  'continue.yaml':
    'databaseChangeLog:\n  - preConditions:\n      - onFail: CONTINUE\n      - tableExists:\n          tableName: nope\n  - changeSet:\n      id: t_continue\n      author: t\n      changes:\n        - sql:\n            sql: create table t_continue (id int)\n',
  'continue.xml': changelogXml(
    `<preConditions onFail="CONTINUE"><tableExists tableName="nope"/></preConditions>\n${changeSet('t_x')}`,
  ),
};

const liquibaseUpdate = (root: string, db: TestDatabase, changelog: string) =>
  runLiquibase(root, db.url, [`--search-path=${root}`, `--changelog-file=${changelog}`, 'update']);

async function slipwayRun(root: string, db: TestDatabase, changelog: string): Promise<{ ok: boolean; out: string }> {
  const pkg = await buildDatabasePackage({
    rootDir: root,
    changelog,
    application: 'pre',
    version: '1',
    sourceDateEpoch: 0,
  });
  // psql reads the package from stdin, as `psql -v ON_ERROR_STOP=1 -f package.sql` would read it from a file.
  const child = execFile('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url, '-f', '-']);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  child.stdin!.end(pkg.sql);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { ok: code === 0, out };
}

const tables = async (db: TestDatabase) =>
  (await queryRows(db.url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).map(
    (r) => r.tablename as string,
  );

describe('changelog-level preconditions against Liquibase 4.28', () => {
  let root: string;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    root = await makeTree(FILES);
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
    if (root) await removeTree(root);
  });

  const compare = async (changelog: string) => {
    const [theirs, ours] = await Promise.all([createTestDatabase('pre_lb'), createTestDatabase('pre_sw')]);
    dbs.push(theirs, ours);
    const lb = await liquibaseUpdate(root, theirs, changelog);
    const sw = await slipwayRun(root, ours, changelog);
    expect({ ok: sw.ok, tables: await tables(ours) }).toEqual({ ok: lb.ok, tables: await tables(theirs) });
    return { lb, sw };
  };

  it('onFail WARN: warns and runs the changelog', async () => {
    const { sw } = await compare('warn.xml');
    expect(sw.out).toContain('WARNING: changelog precondition at warn.xml:3 failed (onFail WARN');
  }, 120_000);

  it("an included file's failing precondition (HALT) stops the update before any changeset, naming file:line", async () => {
    const { lb, sw } = await compare('halt.xml');
    expect(lb.ok).toBe(false);
    expect(sw.out).toContain('slipway: changelog precondition at child-halt.xml:3 failed: needs table nope');
  }, 120_000);

  it('onError WARN runs; onError HALT (the default) stops; a passing check runs', async () => {
    expect((await compare('error-warn.xml')).lb.ok).toBe(true);
    const halt = await compare('error-halt.xml');
    expect(halt.lb.ok).toBe(false);
    expect(halt.sw.out).toMatch(/changelog precondition at error-halt\.xml:3 could not be checked \(error: .*nowhere/);
    expect((await compare('pass.xml')).lb.ok).toBe(true);
  }, 240_000);

  it('YAML onFail CONTINUE stops like HALT (Liquibase rethrows it); XML refuses it as Liquibase\u2019s XSD does', async () => {
    expect((await compare('continue.yaml')).lb.ok).toBe(false);
    const [theirs] = await Promise.all([createTestDatabase('pre_lbx')]);
    dbs.push(theirs);
    expect((await liquibaseUpdate(root, theirs, 'continue.xml')).out).toContain(
      "Value 'CONTINUE' is not facet-valid with respect to enumeration '[HALT, WARN]'",
    );
    await expect(
      buildDatabasePackage({
        rootDir: root,
        changelog: 'continue.xml',
        application: 'p',
        version: '1',
        sourceDateEpoch: 0,
      }),
    ).rejects.toMatchObject({ code: 'E_CHANGELOG', file: 'continue.xml', line: 3 });
  }, 240_000);
});
