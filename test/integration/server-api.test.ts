import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { addUser, addUserToken } from '../../src/server/users-file.js';
import { applySql } from '../../src/db/apply.js';
import { buildDatabasePackage } from '../../src/db/package.js';
import { deploy } from '../../src/deploy/deploy.js';
import { makeFixturePackage } from '../fixtures/deploy/make-package.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const CHANGELOG = [
  '--liquibase formatted sql',
  '',
  '--changeset alice:1',
  'CREATE TABLE t1 (id int);',
  '',
  '--changeset alice:2 context:prod',
  'CREATE TABLE t2 (id int);',
  '',
  '--changeset bob:3',
  'CREATE TABLE t3 (id int);',
  '',
].join('\n');

let db: TestDatabase;
let dir: string;
let config: Config;
let server: RunningServer;
const tokens: Record<string, string> = {};

const get = (p: string, user = 'viewer', headers: Record<string, string> = {}) =>
  fetch(server.url + p, { headers: { authorization: `Bearer ${tokens[user]}`, ...headers } });

beforeAll(async () => {
  db = await createTestDatabase('slipway_server_api');
  dir = await makeTree({
    'slipway.config.yaml': [
      'name: demo',
      'version: 1.0.0',
      'build:',
      '  components:',
      '    application: { include: ["src/**"] }',
      'database:',
      '  changelog: db/changelog.sql',
      `  url: ${db.url}`,
      'deploy:',
      '  targets:',
      '    prod: { type: local, path: target, smokeTests: false }',
      '',
    ].join('\n'),
    'db/changelog.sql': CHANGELOG,
  });
  config = (await loadConfig({ configFile: path.join(dir, 'slipway.config.yaml'), cwd: dir, env: {} })).config;
  const usersFile = path.join(dir, '.slipway/users.json');
  for (const [name, groups] of [
    ['viewer', ['viewers']],
    ['deployer', ['deployers']],
  ] as const) {
    await addUser({ usersFile, name, password: 'a long password', groups: [...groups], now: new Date() });
    tokens[name] = (await addUserToken({ usersFile, name, now: new Date() })).token;
  }
  // Apply for contexts "none": alice:1 and bob:3 run, alice:2 (context prod) stays pending.
  const applied = await buildDatabasePackage({
    rootDir: dir,
    changelog: 'db/changelog.sql',
    application: 'demo',
    version: '1.0.0',
    sourceDateEpoch: 0,
    contexts: ['none'],
  });
  await applySql({ databaseUrl: db.url, sql: applied.sql });
  // Two real releases on the target through DEPLOY.
  // A minute apart: release ids carry the deploy time to the second.
  for (const [i, version] of ['1.0.0', '1.1.0'].entries()) {
    const pkg = await makeFixturePackage({ name: 'demo', version });
    await deploy({
      config,
      packagePath: pkg.path,
      target: 'prod',
      actor: 'ci@test',
      now: () => new Date(Date.parse('2026-03-01T12:00:00Z') + i * 60_000),
    });
  }
  server = await startServer({ config, port: 0, audit: path.join(dir, 'audit.log') });
}, 120_000);

afterAll(async () => {
  await server?.close();
  await db.drop();
  await removeTree(dir);
});

describe('SQL package download (real DBPKG, real socket)', () => {
  it('serves the package as a text/plain attachment with an ETag, and 304 on If-None-Match', async () => {
    const r = await get('/api/db/package.sql?filename=umig-database-package');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="umig-database-package.sql"');
    const sql = await r.text();
    expect(sql).toContain('CREATE TABLE t1 (id int)');
    expect(sql).toContain('CREATE TABLE t3 (id int)');
    const etag = r.headers.get('etag')!;
    expect(etag).toMatch(/^"sha256-[0-9a-f]{40}"$/);
    const again = await get('/api/db/package.sql?filename=umig-database-package', 'viewer', { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(await again.text()).toBe('');
  });

  it('the seed path serves the same bytes', async () => {
    const a = await (await get('/api/db/package.sql')).text();
    const b = await (await get('/rest/scriptrunner/latest/custom/databaseVersionsPackageSQL')).text();
    expect(b).toBe(a);
  });

  it('?contexts= filters changesets', async () => {
    const all = await (await get('/api/db/package.sql?contexts=prod')).text();
    const dev = await (await get('/api/db/package.sql?contexts=dev')).text();
    expect(all).toContain('CREATE TABLE t2');
    expect(dev).not.toContain('CREATE TABLE t2');
    expect(dev).toContain('CREATE TABLE t3');
  });

  it('?since= gives the delta after a changeset', async () => {
    const r = await get('/api/db/package.sql?since=1');
    const text = await r.text();
    expect(r.status, text).toBe(200);
    expect(text).not.toContain('CREATE TABLE t1');
    expect(text).toContain('CREATE TABLE t3');
  });
});

describe('changesets, releases and manifest', () => {
  it('GET /api/db/changesets reports applied and pending from the real database', async () => {
    const r = await get('/api/db/changesets');
    const b = await r.json();
    expect(r.status, JSON.stringify(b)).toBe(200);
    expect(b).toMatchObject({ applied: 2, pending: 1, drift: 0 });
    expect(b.changeSets.map((c: { id: string; state: string }) => `${c.id}:${c.state}`)).toEqual([
      '1:applied',
      '2:pending',
      '3:applied',
    ]);
    const pending = await (await get('/api/db/changesets?state=pending')).json();
    expect(pending.changeSets.map((c: { id: string }) => c.id)).toEqual(['2']);
  });

  it('GET /api/releases lists the target journal, newest first', async () => {
    const b = await (await get('/api/releases')).json();
    expect(b.target).toBe('prod');
    expect(b.releases).toHaveLength(2);
    expect(b.releases[0]).toMatchObject({ version: '1.1.0', current: true, result: 'success', deployedBy: 'ci@test' });
    expect(b.releases[1]).toMatchObject({ version: '1.0.0', current: false });
  });

  it('GET /api/manifest exports the live manifest in all four formats', async () => {
    const json = await get('/api/manifest?format=json');
    expect(json.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect((await json.json()).version).toBe('1.1.0');
    for (const format of ['yaml', 'summary', 'deployment-report']) {
      const r = await get(`/api/manifest?format=${format}`);
      expect(r.status, format).toBe(200);
      expect(r.headers.get('content-type')).toBe('text/plain; charset=utf-8');
      expect(await r.text()).toContain('1.1.0');
    }
  });

  it('GET /api/report serves <package>.report.json from the build output only for the live build, else says why not', async () => {
    const live = ((await (await get('/api/releases')).json()).releases as { id: string; current: boolean }[]).find(
      (r) => r.current,
    )!;
    const missing = await get('/api/report');
    expect(missing.status).toBe(404);
    expect((await missing.json()).error.message).toBe(
      `no size report for release ${live.id}: demo-v1.1.0.report.json is not in the build output directory ` +
        '(slipway build writes it beside the package; it is not part of the package)',
    );
    const outDir = path.resolve(config.configDir, config.build.output);
    await mkdir(outDir, { recursive: true });
    const report = (sha256: string) => ({
      schemaVersion: 1,
      packageName: 'demo-v1.1.0.tar.gz',
      sha256,
      buildId: 'demo-1.1.0-x',
      sizes: {
        before: { totalBytes: 500, totalFiles: 2, categories: [{ name: 'logs', bytes: 400, files: 1 }] },
        after: { categories: [], contentBytes: 100, tarBytes: 2048, archiveBytes: 300 },
        compressionRatio: 0.1465,
        reduction: 0.4,
      },
    });
    const file = path.join(outDir, 'demo-v1.1.0.report.json');
    await writeFile(file, JSON.stringify(report('f'.repeat(64))));
    const other = await get('/api/report');
    expect(other.status).toBe(404);
    expect((await other.json()).error.message).toBe(
      `no size report for release ${live.id}: demo-v1.1.0.report.json describes another build of that package name (sha256 ffffffffffff…)`,
    );
    const mine = report(`${live.id.slice(-12)}${'0'.repeat(52)}`);
    await writeFile(file, JSON.stringify(mine));
    const ok = await get('/api/report');
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual(mine);
  });

  it('POST /api/releases/{id}/rollback: refused for viewers, done for deployers through DEPLOY', async () => {
    const releases = (await (await get('/api/releases')).json()).releases as { id: string; version: string }[];
    const old = releases.find((r) => r.version === '1.0.0')!;
    const refused = await fetch(`${server.url}/api/releases/${old.id}/rollback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.viewer}` },
    });
    expect(refused.status).toBe(403);
    const r = await fetch(`${server.url}/api/releases/${old.id}/rollback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.deployer}` },
    });
    const body = await r.json();
    expect(r.status, JSON.stringify(body)).toBe(200);
    expect(body.result).toMatchObject({ ok: true, to: old.id });
    const after = (await (await get('/api/releases')).json()).releases as { id: string; current: boolean }[];
    expect(after.find((x) => x.current)?.id).toBe(old.id);
    const again = await fetch(`${server.url}/api/releases/${old.id}/rollback`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.deployer}` },
    });
    expect(again.status).toBe(409);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toMatch(/slipway_rollbacks_total\{result="success"\} 1/);
    expect(metrics).toMatch(/slipway_deploys_total\{result="(success|rolled-back)"\} \d/);
  });
});
