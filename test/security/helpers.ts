import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { loadConfig } from '../../src/config/load.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import type { ServerDeps, ReleaseRecord } from '../../src/server/deps.js';
import { addUser, addUserToken } from '../../src/server/users-file.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

export const PASSWORD = 'correct horse battery';

/** The four users every security suite uses: one per group plus one outside all of them. */
export const USERS = { viewer: ['viewers'], deployer: ['deployers'], admin: ['admins'], outsider: ['guests'] } as const;
export type UserName = keyof typeof USERS;

export interface TestServer {
  url: string;
  dir: string;
  auditFile: string;
  tokens: Record<UserName, string>;
  clock: { now: number; advance: (ms: number) => void };
  calls: { rollback: unknown[]; packages: unknown[] };
  close: () => Promise<void>;
  running: RunningServer;
}

export const RELEASES: ReleaseRecord[] = [
  {
    id: '20260102T000000Z-bbbbbbbbbbbb',
    version: '1.1.0',
    sha256: 'b'.repeat(64),
    packageName: 'demo-v1.1.0.tar.gz',
    deployedAt: '2026-01-02T00:00:00Z',
    deployedBy: 'deployer',
    result: 'success',
    current: true,
    pinned: false,
    present: true,
    interrupted: false,
    reason: null,
    lastLiveSeq: 2,
  },
  {
    id: '20260101T000000Z-aaaaaaaaaaaa',
    version: '1.0.0',
    sha256: 'a'.repeat(64),
    packageName: 'demo-v1.0.0.tar.gz',
    deployedAt: '2026-01-01T00:00:00Z',
    deployedBy: '<script>alert(1)</script>',
    result: 'success',
    current: false,
    pinned: false,
    present: true,
    interrupted: false,
    reason: null,
    lastLiveSeq: 1,
  },
];

/**
 * A real server on 127.0.0.1:<free port> with a temp project, a real users file (scrypt hashes, tokens) and a
 * controllable clock. The SQL package and release calls are small stand-ins recording their arguments.
 */
export async function startTestServer(
  serverConfig: Record<string, unknown> = {},
  deps: Partial<ServerDeps> = {},
  project: { databaseUrl?: string } = {},
): Promise<TestServer> {
  const dir = await makeTree(
    {
      'slipway.config.yaml': [
        'name: demo',
        'version: 1.2.0',
        'build:',
        '  components:',
        '    application: { include: ["app/**"] }',
        'database:',
        '  changelog: db/master.xml',
        ...(project.databaseUrl ? [`  url: ${JSON.stringify(project.databaseUrl)}`] : []),
        'deploy:',
        '  targets:',
        '    prod: { type: local, path: ./target }',
        `server: ${JSON.stringify({ ...serverConfig })}`,
        '',
      ].join('\n'),
      'db/master.xml': '<databaseChangeLog/>\n',
    },
    'slipway-sec-',
  );
  const { config } = await loadConfig({ configFile: path.join(dir, 'slipway.config.yaml'), cwd: dir, env: {} });
  const usersFile = path.resolve(config.configDir, config.server.usersFile);
  const tokens = {} as Record<UserName, string>;
  for (const [name, groups] of Object.entries(USERS)) {
    await addUser({ usersFile, name, password: PASSWORD, groups: [...groups], now: new Date() });
    tokens[name as UserName] = (await addUserToken({ usersFile, name, now: new Date() })).token;
  }
  const clock = { now: Date.parse('2026-03-01T12:00:00Z'), advance: (ms: number) => void (clock.now += ms) };
  const calls = { rollback: [] as unknown[], packages: [] as unknown[] };
  const auditFile = path.join(dir, 'audit.log');
  const running = await startServer({
    config,
    port: 0,
    audit: auditFile,
    deps: {
      clock: () => clock.now,
      buildDatabasePackage: async (o) => {
        calls.packages.push(o);
        return {
          sql: `-- demo package\n-- <script>alert('from a changelog comment')</script>\nSELECT 1;\n`,
          changeSets: 1,
          files: 1,
        };
      },
      listReleases: async () => RELEASES,
      rollback: async (o) => {
        calls.rollback.push(o);
        return { to: o.to, ok: true };
      },
      ...deps,
    },
  });
  return {
    url: running.url,
    dir,
    auditFile,
    tokens,
    clock,
    calls,
    running,
    close: async () => {
      await running.close();
      await removeTree(dir);
    },
  };
}

export interface HttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** One raw HTTP request (node:http, so Origin, Cookie and Host are sent exactly as given). */
export function request(
  base: string,
  urlPath: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const u = new URL(urlPath, base);
    const r = http.request(u, { method: opts.method ?? 'GET', headers: opts.headers ?? {}, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    r.on('error', reject);
    if (opts.body !== undefined) r.write(opts.body);
    r.end();
  });
}

/**
 * Raw bytes to the server over one connection (for what node:http refuses to send: Latin-1 header bytes, a NUL in the
 * request line); resolves with the status and the whole answer (Latin-1) once the server closes it.
 */
export function sendRaw(base: string, bytes: Buffer | string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(base);
    const sock = net.connect({ host: u.hostname, port: Number(u.port) });
    const chunks: Buffer[] = [];
    sock.on('connect', () => sock.write(bytes));
    sock.on('data', (c: Buffer) => chunks.push(c));
    sock.on('error', reject);
    sock.on('close', () => {
      const text = Buffer.concat(chunks).toString('latin1');
      resolve({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), text });
    });
  });
}

export const basic = (user: string, password = PASSWORD) => ({
  authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
});
export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** Logs in through POST /api/login and returns the cookie header, CSRF token and origin to use. */
export async function login(s: TestServer, user: UserName): Promise<{ cookie: string; csrf: string; origin: string }> {
  const r = await request(s.url, '/api/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: s.url },
    body: JSON.stringify({ username: user, password: PASSWORD }),
  });
  if (r.status !== 200) throw new Error(`login failed: ${r.status} ${r.text}`);
  const setCookie = r.headers['set-cookie'] ?? [];
  const cookie = setCookie.map((c) => c.split(';')[0]).join('; ');
  return { cookie, csrf: r.json().csrfToken, origin: s.url };
}

/**
 * The audit log's lines once `complete` accepts them (pino's async destination flushes on its own schedule, so the
 * test waits for the lines it needs rather than for a fixed time).
 */
export async function readAudit(
  s: TestServer,
  complete: (lines: Record<string, unknown>[]) => boolean,
): Promise<Record<string, unknown>[]> {
  let lines: Record<string, unknown>[] = [];
  await waitFor(`the audit log ${s.auditFile} to hold the expected lines`, async () => {
    const text = await readFile(s.auditFile, 'utf8').catch(() => '');
    lines = text
      .split('\n')
      .slice(0, -1) // only complete lines: the last piece is '' or a line still being written
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    return complete(lines);
  });
  return lines;
}
