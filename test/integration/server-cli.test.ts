import path from 'node:path';
import { readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/output.js';
import { loadConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const PASSWORD = 'a long enough password';
let dir: string;
let db: TestDatabase;
let healthy: RunningServer;
let degraded: RunningServer;
let token: string;

/** Runs the CLI in-process with captured output and the given stdin. */
async function run(args: string[], stdin = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    isTTY: false,
    env: {},
    cwd: dir,
    readStdin: async () => stdin,
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

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
    expect(r.stderr).toContain('user ci added');
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
    expect(r.stderr).toMatch(/^health: HEALTHY \(HTTP 200, \d+ ms\) meets --require HEALTHY/);
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
    expect(strict.stderr).toMatch(/^health: DEGRADED does not meet --require HEALTHY: HTTP 206/);
    const lax = await run(['health', '--url', `${degraded.url}/api/health`, '--token', token, '--require', 'degraded']);
    expect(lax.code).toBe(0);
  });

  it('exits 1 when unauthenticated or unreachable, saying why', async () => {
    const noAuth = await run(['health', '--url', `${healthy.url}/api/health`]);
    expect(noAuth.code).toBe(1);
    expect(noAuth.stderr).toMatch(/does not meet --require HEALTHY: .*401/);
    const down = await run(['health', '--url', 'http://127.0.0.1:9/api/health', '--timeout', '1000']);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(/^health: UNREACHABLE does not meet --require HEALTHY/);
  });

  it('rejects a bad --require with a usage error', async () => {
    const r = await run(['health', '--url', `${healthy.url}/api/health`, '--require', 'GREEN']);
    expect(r.code).toBe(2);
  });
});

describe('slipway serve', () => {
  it('listens, answers and stops on SIGTERM', async () => {
    let stderr = '';
    const io: CliIO = {
      stdout: () => {},
      stderr: (t) => void (stderr += t),
      isTTY: false,
      env: {},
      cwd: dir,
      readStdin: async () => '',
    };
    const done = main(['serve', '--config', 'slipway.config.yaml', '--port', '0'], io);
    for (let i = 0; i < 100 && !stderr.includes('listening on'); i++) await new Promise((r) => setTimeout(r, 50));
    const url = /listening on (http:\/\/\S+) /.exec(stderr)?.[1];
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${url}/health/live`)).status).toBe(200);
    process.emit('SIGTERM');
    expect(await done).toBe(0);
    expect(stderr).toContain('shutting down');
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });
});
