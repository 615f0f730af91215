import { afterAll, describe, expect, it } from 'vitest';
import net from 'node:net';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/server/app.js';
import { createAuditLogger, writeAudit } from '../../src/server/audit.js';
import { blueGreenConfigSchema, blueGreenPaths, ensureProxy } from '../../src/deploy/blue-green/index.js';
import { startSlotProcess } from '../../src/deploy/blue-green/slot-process.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeFixturePackage } from '../fixtures/deploy/make-package.js';
import { PG_ADMIN_URL } from '../helpers/pg.js';
import { ensureDist, runBin } from '../helpers/cli-bin.js';
import { waitFor } from '../helpers/wait.js';
import { bearer, request, startTestServer } from './helpers.js';
import { runMain } from '../helpers/cli-main.js';
import { planDeploy, planDeploymentInfo, type PlanDeployInput } from '../../src/deploy/plan.js';
import { planFleetDeploy, renderFleetPlan } from '../../src/fleet/fleet-plan.js';
import { resolveFleet } from '../../src/fleet/fleet-target.js';

// A password holding '@' (only partly masked before) and a `?password=` parameter (shown in clear before).
const AT_SECRET = 'p@ss-AT-s3cret';
const QUERY_SECRET = 'QUERY-s3cret';
const LEAKS = [AT_SECRET, 'ss-AT-s3cret', QUERY_SECRET];
const expectNoSecret = (text: string) => {
  for (const s of LEAKS) expect(text).not.toContain(s);
};

async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise((r) => srv.close(r));
  return port;
}

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('secrets in database URLs never leave the process', () => {
  it('/api/health (viewer level) masks an @-password and ?password= whether the database answers or not', async () => {
    const pg = new URL(PG_ADMIN_URL);
    const urls = [
      `postgres://postgres:${AT_SECRET}@127.0.0.1:${await closedPort()}/x?sslmode=disable&password=${QUERY_SECRET}`,
      `postgres://postgres:${AT_SECRET}@${pg.host}${pg.pathname}?password=${QUERY_SECRET}`, // trust auth: HEALTHY
    ];
    for (const databaseUrl of urls) {
      const s = await startTestServer({}, {}, { databaseUrl });
      try {
        const r = await request(s.url, '/api/health', { headers: bearer(s.tokens.viewer) });
        expect([200, 206, 503]).toContain(r.status);
        expectNoSecret(r.text);
        expect(r.json().components.database.url).toMatch(
          /^postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+\?.*password=\*\*\*$/,
        );
        await waitFor('the audit line of the health request', async () =>
          (await readFile(s.auditFile, 'utf8').catch(() => '')).includes('/api/health'),
        );
        expectNoSecret(await readFile(s.auditFile, 'utf8'));
      } finally {
        await s.close();
      }
    }
  });

  it('a failed deploy keeps both secrets out of the journal (0600) and the CLI stderr', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-secrets-'));
    dirs.push(dir);
    const databaseUrl = `postgres://postgres:${AT_SECRET}@127.0.0.1:${await closedPort()}/x?password=${QUERY_SECRET}`;
    await makeDeployConfig(dir, { databaseUrl });
    const pkg = await makeFixturePackage({ files: { 'database/package.sql': 'SELECT 1;\n' } });
    dirs.push(path.dirname(pkg.path));
    const { code, stdout, stderr } = await runMain(['deploy', pkg.path, '--target', 'prod'], {
      cwd: dir,
      env: { USER: 'tester' },
    });
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/x\?password=\*\*\*/);
    expectNoSecret(stdout + stderr);
    const journalFile = path.join(dir, 'target', '.slipway', 'journal.jsonl');
    const journal = await readFile(journalFile, 'utf8');
    expect(journal).toContain('postgres:***@');
    expectNoSecret(journal);
    expect((await stat(journalFile)).mode & 0o777).toBe(0o600);
  });

  it("the server log masks an unexpected error's message and stack and a request URL's ?token=", async () => {
    let logged = '';
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-log-'));
    dirs.push(dir);
    const app = await createApp({
      config: await makeDeployConfig(dir),
      audit: path.join(dir, 'audit.log'),
      logger: { level: 'info', stream: { write: (line: string) => void (logged += line) } },
    });
    app.get('/boom', { config: { access: 'public' } }, async () => {
      throw new Error(`cannot reach postgres://u:${AT_SECRET}@h/db?password=${QUERY_SECRET}`);
    });
    try {
      const r = await app.inject({ url: `/boom?token=${QUERY_SECRET}` });
      expect(r.statusCode).toBe(500);
      expectNoSecret(r.body);
      expect(logged).toContain('unhandled error');
      expect(logged).toContain('postgres://u:***@h/db?password=***');
      expectNoSecret(logged);
    } finally {
      await app.close();
    }
  });

  it('the built CLI prints a failed connection with both secrets masked (stderr and --json stdout)', async () => {
    await ensureDist();
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-cli-secrets-'));
    dirs.push(dir);
    await writeFile(
      path.join(dir, 'slipway.config.yaml'),
      'name: demo\nversion: 1.0.0\nbuild:\n  components:\n    application: { include: ["app/**"] }\ndatabase:\n  changelog: db/changelog.sql\n',
    );
    await mkdir(path.join(dir, 'db'));
    await writeFile(path.join(dir, 'db/changelog.sql'), '--liquibase formatted sql\n--changeset a:1\nSELECT 1;\n');
    const url = `postgres://postgres:${AT_SECRET}@127.0.0.1:${await closedPort()}/x?sslmode=disable&password=${QUERY_SECRET}`;
    for (const extra of [[], ['--json']]) {
      const r = runBin(['db', 'status', '--database-url', url, ...extra], dir);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/x\?sslmode=disable&password=\*\*\*/);
      expectNoSecret(r.stdout + r.stderr);
    }
  }, 300_000);

  it('the audit log is created 0600, an existing 0644 one is tightened, and its lines are masked', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-audit-'));
    dirs.push(dir);
    const fresh = path.join(dir, 'new', 'audit.log');
    const old = path.join(dir, 'old.log');
    await writeFile(old, '');
    await chmod(old, 0o644);
    for (const file of [fresh, old]) {
      const log = createAuditLogger(file);
      writeAudit(log, { user: `password=${QUERY_SECRET}`, method: 'GET', route: '/x', outcome: 401, ip: '127.0.0.1' });
      await waitFor(`the audit line in ${file}`, async () =>
        (await readFile(file, 'utf8').catch(() => '')).includes('"route":"/x"'),
      );
      expectNoSecret(await readFile(file, 'utf8'));
      expect((await stat(file)).mode & 0o777).toBe(0o600);
    }
  });

  it('the blue-green proxy log and the slot logs are created 0600, an existing 0644 one is tightened', async () => {
    const root = await mkdtemp(path.join(tmpdir(), 'slipway-bglog-'));
    // A port someone else holds: the proxy starts, writes its log, fails to bind and exits.
    const holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', r));
    try {
      const paths = blueGreenPaths(root);
      await mkdir(paths.dir, { recursive: true });
      await writeFile(paths.log('proxy'), 'a line from an older version\n', { mode: 0o644 });
      await chmod(paths.log('proxy'), 0o644);
      const port = (holder.address() as net.AddressInfo).port;
      const config = blueGreenConfigSchema.parse({ start: 'true', proxy: { port } });
      await expect(ensureProxy(root, config)).rejects.toMatchObject({
        message: `blue-green proxy did not start on 127.0.0.1:${port}`,
      });
      expect((await stat(paths.log('proxy'))).mode & 0o777).toBe(0o600);
      expect(await readFile(paths.log('proxy'), 'utf8')).toContain('EADDRINUSE'); // the proxy really wrote to it
      const slot = await startSlotProcess({
        command: 'echo started',
        cwd: root,
        port: await closedPort(),
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
        logFile: paths.log('blue'),
      });
      await slot.exited;
      expect((await stat(paths.log('blue'))).mode & 0o777).toBe(0o600);
      expect(await readFile(paths.log('blue'), 'utf8')).toBe('started\n');
    } finally {
      await new Promise((r) => holder.close(r));
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('secrets in health URLs stay out of the package and the plan', () => {
  it('deployment-info.json and the deploy plan (--dry-run, --json) mask a health URL password and ?token=', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-health-secret-'));
    dirs.push(dir);
    const url = `http://ops:${encodeURIComponent(AT_SECRET)}@127.0.0.1:8080/health?token=${QUERY_SECRET}`;
    const config = await makeDeployConfig(dir, { health: { url } });
    const info = planDeploymentInfo(config, true);
    expectNoSecret(JSON.stringify(info));
    expect(info.targets[0]!.healthUrl).toBe('http://ops:***@127.0.0.1:8080/health?token=***');
    const plan = planDeploy({
      root: path.join(dir, 'target'),
      releaseId: 'r1',
      packageName: 'demo.tar.gz',
      previous: null,
      target: config.deploy.targets.prod as PlanDeployInput['target'],
      databaseUrl: null,
      hasDatabasePackage: false,
      watchMs: 0,
      force: false,
    });
    expectNoSecret(JSON.stringify(plan));
    expect(plan.steps.find((s) => s.step === 'health')!.action).toContain('http://ops:***@127.0.0.1:8080/health');
    // The same URL on an ssh target: the fleet plan (`deploy --target fleet --dry-run`) and its rendering.
    const fleetConfig = await makeDeployConfig(dir, {
      type: 'ssh',
      path: '/srv/app',
      hosts: ['deploy@web1'],
      knownHosts: 'known_hosts',
      health: { url },
    });
    const fleetPlan = planFleetDeploy({
      fleet: resolveFleet(fleetConfig, 'prod'),
      releaseId: 'r1',
      packageName: 'demo.tar.gz',
      previous: null,
      databaseUrl: null,
      hasDatabasePackage: false,
      watchMs: 0,
    });
    expectNoSecret(JSON.stringify(fleetPlan) + renderFleetPlan(fleetPlan, '1.0.0'));
    expect(fleetPlan.batches[0]!.hosts[0]!.healthUrl).toContain('***@');
  });

  it('a deploy whose health gate fails keeps the health URL secrets out of the CLI output and the journal', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-health-secret-'));
    dirs.push(dir);
    const port = await closedPort();
    const url = `http://ops:${encodeURIComponent(AT_SECRET)}@127.0.0.1:${port}/health?token=${QUERY_SECRET}`;
    await makeDeployConfig(dir, { health: { url, timeoutMs: 1000, intervalMs: 100 } });
    const pkg = await makeFixturePackage({});
    dirs.push(path.dirname(pkg.path));
    const { code, stdout, stderr } = await runMain(['deploy', pkg.path, '--target', 'prod'], {
      cwd: dir,
      env: { USER: 'tester' },
    });
    expect(code).not.toBe(0);
    expect(stderr).toContain(`http://ops:***@127.0.0.1:${port}/health?token=***`);
    expectNoSecret(stdout + stderr);
    expectNoSecret(await readFile(path.join(dir, 'target', '.slipway', 'journal.jsonl'), 'utf8'));
  });
});
