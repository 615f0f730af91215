// Issue 12: a config without `version` (a deploy-only or database-only project) never gets an invented 0.0.0. The db
// commands and the server's package download take the resolved config's version (its own, else package.json's); with
// neither the package header says "no version". Standalone `db verify` runs database.customChanges.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { NO_VERSION } from '../../src/db/render.js';
import { startServer } from '../../src/server/start.js';
import { addUser, addUserToken } from '../../src/server/users-file.js';
import { runMain } from '../helpers/cli-main.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const CHANGELOG = '--liquibase formatted sql\n--changeset ann:1\nCREATE TABLE widget (id int);\n';
const CONFIG = 'name: shop\ndatabase:\n  changelog: db/changelog.sql\n';
const env = { SOURCE_DATE_EPOCH: '1700000000' };

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

async function project(files: Record<string, string>): Promise<string> {
  const dir = await makeTree({ 'db/changelog.sql': CHANGELOG, ...files }, 'slipway-noversion-');
  dirs.push(dir);
  return dir;
}

const headerOf = (sql: string) => sql.split('\n')[0];

describe('db package without a configured version', () => {
  it("takes package.json's version when the config names none", async () => {
    const dir = await project({ 'slipway.config.yaml': CONFIG, 'package.json': '{"version":"3.4.5"}' });
    const r = await runMain(['db', 'package'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(headerOf(r.stdout)).toBe('-- shop Database Version Package v3.4.5');
    expect(r.stderr).toBe('1 changesets from 1 files\n');
  });

  it('with neither a config version nor package.json, says "no version" in the header', async () => {
    const dir = await project({ 'slipway.config.yaml': CONFIG });
    const r = await runMain(['db', 'package'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(headerOf(r.stdout)).toBe(`-- shop Database Version Package ${NO_VERSION}`);
    expect(r.stdout).not.toContain('0.0.0');
    expect(r.stderr).toBe('1 changesets from 1 files\n');
    // --app-version names one.
    const named = await runMain(['db', 'package', '--app-version', '2.0.0'], { cwd: dir, env });
    expect(headerOf(named.stdout)).toBe('-- shop Database Version Package v2.0.0');
  });

  it("without any config, reads the search path's package.json", async () => {
    const dir = await project({ 'package.json': '{"name":"x","version":"0.9.1"}' });
    const r = await runMain(['db', 'package', '--changelog', 'db/changelog.sql'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    expect(headerOf(r.stdout)).toBe(`-- ${path.basename(dir)} Database Version Package v0.9.1`);
  });
});

describe('GET /api/db/package.sql on a server whose config has no version (real socket)', () => {
  async function serve(dir: string) {
    const { config } = await loadConfig({ configFile: path.join(dir, 'slipway.config.yaml'), cwd: dir, env: {} });
    const usersFile = path.join(dir, '.slipway/users.json');
    await addUser({ usersFile, name: 'viewer', password: 'a long password', groups: ['viewers'], now: new Date() });
    const { token } = await addUserToken({ usersFile, name: 'viewer', now: new Date() });
    const server = await startServer({ config, port: 0, audit: path.join(dir, 'audit.log') });
    const get = (p: string) => fetch(server.url + p, { headers: { authorization: `Bearer ${token}` } });
    return { server, get };
  }

  it('serves the package with package.json\'s version, and with "no version" when there is none', async () => {
    const withPkg = await project({ 'slipway.config.yaml': CONFIG, 'package.json': '{"version":"3.4.5"}' });
    const a = await serve(withPkg);
    try {
      const r = await a.get('/api/db/package.sql');
      const text = await r.text();
      expect(r.status, text).toBe(200);
      expect(headerOf(text)).toBe('-- shop Database Version Package v3.4.5');
    } finally {
      await a.server.close();
    }
    const bare = await project({ 'slipway.config.yaml': CONFIG });
    const b = await serve(bare);
    try {
      const r = await b.get('/api/db/package.sql');
      const text = await r.text();
      expect(r.status, text).toBe(200);
      expect(headerOf(text)).toBe(`-- shop Database Version Package ${NO_VERSION}`);
      expect(text).toContain('CREATE TABLE widget (id int)');
      expect(text).not.toContain('0.0.0');
    } finally {
      await b.server.close();
    }
  }, 60_000);
});

describe('standalone db verify', () => {
  it('runs database.customChanges from the config, as the build does', async () => {
    const master = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">',
      '  <changeSet id="1" author="ann"><sql>CREATE TABLE widget (id int)</sql></changeSet>',
      '  <changeSet id="2" author="ann"><customChange class="com.example.Seed"/></changeSet>',
      '</databaseChangeLog>',
      '',
    ].join('\n');
    const dir = await project({
      'slipway.config.yaml':
        'name: shop\ndatabase:\n  changelog: db/master.xml\n  customChanges: { com.example.Seed: db/seed.sql }\n',
      'db/master.xml': master,
      'db/seed.sql': 'INSERT INTO widget VALUES (1);\n',
    });
    const r = await runMain(['db', 'verify', '--json'], { cwd: dir, env });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; changeSets: { id: string; status: string }[] };
    expect(out.ok).toBe(true);
    expect(out.changeSets.map((c) => [c.id, c.status])).toEqual([
      ['1', 'EXECUTED'],
      ['2', 'EXECUTED'],
    ]);
    // The seed SQL really ran: a failing one fails the verification at changeset 2.
    await writeFile(path.join(dir, 'db/seed.sql'), 'INSERT INTO no_such_table VALUES (1);\n');
    const bad = await runMain(['db', 'verify', '--json'], { cwd: dir, env });
    expect(bad.code).toBe(1);
    const failed = JSON.parse(bad.stdout) as { changeSets: { id: string; status: string; error?: string }[] };
    expect(failed.changeSets[1]).toMatchObject({
      id: '2',
      status: 'FAILED',
      error: expect.stringMatching(/no_such_table/),
    });
  }, 120_000);
});
