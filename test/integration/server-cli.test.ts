import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { ensureDist, runBin, startBin } from '../helpers/cli-bin.js';
import { waitFor } from '../helpers/wait.js';
import { runMain } from '../helpers/cli-main.js';

const PASSWORD = 'a long enough password';
let dir: string;
let db: TestDatabase;
let healthy: RunningServer;
let degraded: RunningServer;
let token: string;

/** Runs the CLI in-process with captured output and the given stdin. */
const run = (args: string[], stdin = '') => runMain(args, { cwd: dir, stdin });

beforeAll(async () => {
  db = await createTestDatabase('slipway_server_cli');
  dir = await makeTree({
    'slipway.config.yaml': `name: demo\nversion: 1.0.0\nbuild:\n  components:\n    application: { include: ["app/**"] }\ndatabase:\n  url: ${db.url}\n`,
    'nodb.yaml':
      'name: demo\nversion: 1.0.0\nbuild:\n  components:\n    application: { include: ["app/**"] }\nserver:\n  usersFile: .slipway/users.json\n',
  });
});
afterAll(async () => {
  await healthy?.close();
  await degraded?.close();
  await db.drop();
  await removeTree(dir);
});

describe('slipway user add / user token', () => {
  it('adds a user from stdin with a scrypt hash in a 0600 users file', async () => {
    const r = await run(
      ['user', 'add', 'ci', '--groups', 'viewers,deployers', '--config', 'slipway.config.yaml'],
      `${PASSWORD}\n`,
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`user ci added in ${path.join(dir, '.slipway/users.json')} (groups: viewers, deployers)\n`);
    const file = path.join(dir, '.slipway/users.json');
    const users = JSON.parse(await readFile(file, 'utf8'));
    expect(users.users.ci.groups).toEqual(['viewers', 'deployers']);
    expect(users.users.ci.password).toMatch(/^scrypt\$/);
    expect(JSON.stringify(users)).not.toContain(PASSWORD);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('refuses a short password with a usage error', async () => {
    const r = await run(['user', 'add', 'bob', '--groups', 'viewers', '--config', 'slipway.config.yaml'], 'short\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('password too short');
  });

  it('prints a new API token once on stdout', async () => {
    const r = await run(['user', 'token', 'ci', '--config', 'slipway.config.yaml']);
    expect(r.code).toBe(0);
    token = r.stdout.trim();
    expect(token).toMatch(/^slw_[\w-]{43}$/);
    expect(await readFile(path.join(dir, '.slipway/users.json'), 'utf8')).not.toContain(token);
  });
});

describe('slipway health (the CI gate)', () => {
  beforeAll(async () => {
    const cfg = (await loadConfig({ configFile: path.join(dir, 'slipway.config.yaml'), cwd: dir, env: {} })).config;
    healthy = await startServer({ config: cfg, port: 0, audit: path.join(dir, 'a1.log') });
    const nodb = (await loadConfig({ configFile: path.join(dir, 'nodb.yaml'), cwd: dir, env: {} })).config;
    degraded = await startServer({ config: nodb, port: 0, audit: path.join(dir, 'a2.log') });
  });

  it('exits 0 when the server is HEALTHY (Bearer token)', async () => {
    const r = await run(['health', '--url', `${healthy.url}/api/health`, '--require', 'HEALTHY', '--token', token]);
    expect(r.stdout).toMatch(/^health: HEALTHY \(HTTP 200, \d+ ms\) meets --require HEALTHY\n$/);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  it('works with the seed path and curl-style --user NAME:PASSWORD', async () => {
    const r = await run([
      'health',
      '--url',
      `${healthy.url}/rest/scriptrunner/latest/custom/databaseVersions/health`,
      '--user',
      `ci:${PASSWORD}`,
      '--json',
    ]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, required: 'HEALTHY', status: 'HEALTHY', httpStatus: 200 });
  });

  it('exits 1 with a clear message when DEGRADED but HEALTHY is required; 0 with --require DEGRADED', async () => {
    const strict = await run(['health', '--url', `${degraded.url}/api/health`, '--token', token]);
    expect(strict.code).toBe(1);
    expect(strict.stdout).toMatch(/^health: DEGRADED does not meet --require HEALTHY: HTTP 206/);
    const lax = await run(['health', '--url', `${degraded.url}/api/health`, '--token', token, '--require', 'degraded']);
    expect(lax.code).toBe(0);
  });

  it('exits 3 (E_AUTH) when the credentials are missing or rejected, not UNHEALTHY', async () => {
    const noAuth = await run(['health', '--url', `${healthy.url}/api/health`]);
    expect(noAuth).toMatchObject({ code: 3, stdout: '' });
    expect(noAuth.stderr).toBe(
      `error E_AUTH: authentication failed: ${healthy.url}/api/health rejected the credentials (HTTP 401; sent no credentials)\n` +
        'hint: Pass --user NAME:PASSWORD or --token TOKEN (or set SLIPWAY_USER / SLIPWAY_TOKEN) for a user of that server.\n',
    );
    const wrong = await run(['health', '--url', `${healthy.url}/api/health`, '--user', 'ci:wrong password', '--json']);
    expect(wrong.code).toBe(3);
    expect(JSON.parse(wrong.stdout)).toMatchObject({ error: { code: 'E_AUTH' } });
    expect(wrong.stderr).toMatch(/^error E_AUTH: .*\(HTTP 401; sent user "ci"\)\n/);
    expect(wrong.stderr).not.toContain('wrong password');
  });

  it('exits 1 when unreachable, saying why', async () => {
    const down = await run(['health', '--url', 'http://127.0.0.1:9/api/health', '--timeout', '1000']);
    expect(down.code).toBe(1);
    expect(down.stdout).toMatch(/^health: UNREACHABLE does not meet --require HEALTHY/);
  });

  it('rejects a bad --require with a usage error', async () => {
    const r = await run(['health', '--url', `${healthy.url}/api/health`, '--require', 'GREEN']);
    expect(r.code).toBe(2);
  });
});

describe('slipway serve (built binary)', () => {
  beforeAll(async () => {
    await ensureDist();
  }, 300_000);

  it('listens, answers and stops on SIGTERM with every audit line written', async () => {
    const auditFile = path.join(dir, '.slipway/audit.log');
    const auditLines = async () =>
      (await readFile(auditFile, 'utf8').catch(() => '')).split('\n').filter((l) => l.includes('"/api/health"'));
    const before = (await auditLines()).length;
    const serve = startBin(['serve', '--config', 'slipway.config.yaml', '--port', '0'], dir);
    try {
      // Start-up loads Fastify and PGlite; on a loaded machine that takes seconds, so wait on the line, not a clock.
      const url = await waitFor(
        'the "listening on" line',
        () => /listening on (http:\/\/\S+) /.exec(serve.output().stderr)?.[1],
        {
          timeoutMs: 90_000,
        },
      );
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect((await fetch(`${url}/health/live`)).status).toBe(200);
      // Audit lines are written in batches (at most 100 ms late); the shutdown writes out the ones still queued.
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${url}/api/health`, { headers: { authorization: `Bearer ${token}` } });
        expect(r.status).toBe(200);
      }
      serve.child.kill('SIGTERM');
      expect(await serve.exit).toBe(0);
      expect((await auditLines()).length).toBe(before + 5);
      expect(serve.output().stderr).toContain('shutting down');
      await expect(fetch(`${url}/health/live`)).rejects.toThrow();
    } finally {
      serve.child.kill('SIGKILL');
    }
  }, 150_000);

  it('a busy port is E_SERVER naming the port and the process holding it, exit 1', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const r = runBin(['serve', '--config', 'slipway.config.yaml', '--port', String(port)], dir);
      expect(r.code).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(
        `error E_SERVER: cannot listen on 127.0.0.1:${port}: port ${port} is already in use by node (pid ${process.pid})\n` +
          `hint: Stop node (pid ${process.pid}), or choose another port with --port N (or server.port).\n`,
      );
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  }, 150_000);
});
