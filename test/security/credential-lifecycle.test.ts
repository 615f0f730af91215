import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { basic, bearer, login, request, startTestServer, type TestServer } from './helpers.js';
import { waitUntil } from '../helpers/wait.js';
import { runMain } from '../helpers/cli-main.js';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => s.close());
beforeEach(() => s.clock.advance(61_000)); // a fresh authentication budget per scenario

/** Runs the CLI in-process against the test server's project (its config and users file). */
const cli = (args: string[], stdin = '') =>
  runMain([...args, '--config', 'slipway.config.yaml'], { cwd: s.dir, stdin });

const releases = (headers: Record<string, string>) => request(s.url, '/api/releases', { headers });
const sessionAlive = async (cookie: string) =>
  (await request(s.url, '/api/session', { headers: { cookie } })).json().authenticated as boolean;

/**
 * Waits (generous deadline) until the running server answers `status` for `headers`. The server sees the users file
 * change through a directory watch, with a stat at most once a second as a backstop; without either it would never
 * answer `status`, and this fails.
 */
async function until(headers: Record<string, string>, status: number): Promise<void> {
  await waitUntil(async () => (await releases(headers)).status === status, 10_000, `HTTP ${status}`);
}

describe('Credential lifecycle (CLI → running server)', () => {
  it('CL 1: a mistyped group is an error listing the configured groups, and nothing is written', async () => {
    const r = await cli(['user', 'add', 'newbie', '--groups', 'viewers,deployer'], 'a long enough password\n');
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(
      'error E_USAGE: unknown group "deployer"; the configured groups are viewers, deployers, admins',
    );
    expect((await cli(['user', 'list'])).stdout).not.toContain('newbie');
  });

  it('CL 2: `user passwd` ends the old password, the user’s tokens and sessions at once; other users keep theirs', async () => {
    const sess = await login(s, 'viewer');
    const other = await login(s, 'deployer');
    expect((await releases(basic('viewer'))).status).toBe(200); // cached as verified
    const r = await cli(['user', 'passwd', 'viewer'], 'the new viewer password\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      "password of viewer changed; 1 API token revoked; a running server ends the user's sessions at once\n",
    );
    await until(bearer(s.tokens.viewer), 401);
    expect((await releases(basic('viewer'))).status).toBe(401); // the cache does not outlive the password
    expect(await sessionAlive(sess.cookie)).toBe(false);
    expect((await releases(basic('viewer', 'the new viewer password'))).status).toBe(200);
    expect(await sessionAlive(other.cookie)).toBe(true);
    const ghost = await cli(['user', 'passwd', 'ghost'], 'whatever password\n');
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toContain('error E_NOT_FOUND: no user "ghost" in');
    expect((await releases(bearer(s.tokens.deployer))).status).toBe(200);
  });

  it('CL 3: `user groups` ends the sessions and tokens of that user; the password then grants only the new groups', async () => {
    const sess = await login(s, 'deployer');
    const r = await cli(['user', 'groups', 'deployer', '--groups', 'viewers']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^groups of deployer set to viewers; 1 API token revoked/);
    await until(bearer(s.tokens.deployer), 401);
    expect(await sessionAlive(sess.cookie)).toBe(false);
    const rollback = await request(s.url, '/api/releases/20260101T000000Z-aaaaaaaaaaaa/rollback', {
      method: 'POST',
      headers: { ...basic('deployer'), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(rollback.status).toBe(403);
  });

  it('CL 4: `user remove` ends Basic, token and session access at once', async () => {
    const sess = await login(s, 'admin');
    expect((await releases(basic('admin'))).status).toBe(200);
    const r = await cli(['user', 'remove', 'admin']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^user admin removed; 1 API token revoked/);
    await until(bearer(s.tokens.admin), 401);
    expect((await releases(basic('admin'))).status).toBe(401);
    expect(await sessionAlive(sess.cookie)).toBe(false);
    const again = await cli(['user', 'remove', 'admin']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('error E_NOT_FOUND: no user "admin" in');
  });

  it('CL 5: `token list` shows ids, never tokens; `token revoke ID` refuses that token at once', async () => {
    const created = await cli(['user', 'token', 'outsider']);
    const second = created.stdout.trim();
    const list = await cli(['token', 'list', '--json']);
    expect(list.code).toBe(0);
    const tokens = JSON.parse(list.stdout).tokens as { id: string; user: string }[];
    expect(tokens.filter((t) => t.user === 'outsider')).toHaveLength(2);
    expect(list.stdout).not.toContain(second);
    expect(list.stdout).not.toContain(s.tokens.outsider);
    const usersFile = await readFile(path.join(s.dir, '.slipway', 'users.json'), 'utf8');
    const firstId = (JSON.parse(usersFile).users.outsider.tokens as { id: string }[])[0]!.id;
    const r = await cli(['token', 'revoke', firstId]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`token ${firstId} of outsider revoked; a running server refuses it at once\n`);
    await until(bearer(s.tokens.outsider), 401);
    // The other token of the same user still authenticates (outsider has no read permission: 403, not 401).
    expect((await releases(bearer(second))).status).toBe(403);
    const missing = await cli(['token', 'revoke', firstId]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`error E_NOT_FOUND: no token with id "${firstId}"`);
  });

  it('CL 7: on one keep-alive connection, each request is its own token’s: another or a forged token is not the one admitted before, and a revoked one is refused at once', async () => {
    // One socket for every request (keep-alive, one at a time): the server compares a connection's header with the one
    // it admitted there last (auth.ts) instead of hashing it again; what it answers must not change.
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const onConnection = (headers: Record<string, string>) =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const r = http.request(new URL('/api/releases', s.url), { headers, agent }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, reused: r.reusedSocket }));
        });
        r.on('error', reject);
        r.end();
      });
    try {
      const token = (await cli(['user', 'token', 'viewer'])).stdout.trim();
      const outsider = (await cli(['user', 'token', 'outsider'])).stdout.trim(); // no read permission: 403
      const last = token.at(-1) === 'A' ? 'B' : 'A';
      expect(await onConnection(bearer(token))).toEqual({ status: 200, reused: false });
      expect(await onConnection(bearer(token))).toEqual({ status: 200, reused: true });
      expect(await onConnection(bearer(`${token.slice(0, -1)}${last}`))).toEqual({ status: 401, reused: true });
      expect(await onConnection(bearer(`x${token.slice(1)}`))).toEqual({ status: 401, reused: true });
      expect(await onConnection(bearer(outsider))).toEqual({ status: 403, reused: true });
      expect(await onConnection(bearer(token))).toEqual({ status: 200, reused: true });
      const usersFile = JSON.parse(await readFile(path.join(s.dir, '.slipway', 'users.json'), 'utf8'));
      const id = (usersFile.users.viewer.tokens as { id: string }[]).at(-1)!.id;
      expect((await cli(['token', 'revoke', id])).code).toBe(0);
      await waitUntil(async () => (await onConnection(bearer(token))).status === 401, 10_000, 'HTTP 401');
      expect(await onConnection(bearer(token))).toEqual({ status: 401, reused: true });
    } finally {
      agent.destroy();
    }
  });

  it('CL 6: `user list` shows names, groups and token counts, never a hash', async () => {
    const r = await cli(['user', 'list']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^deployer\tviewers\t0 tokens\t/m);
    expect(r.stdout).not.toContain('scrypt$');
    const json = JSON.parse((await cli(['user', 'list', '--json'])).stdout);
    expect(json.users.map((u: { name: string }) => u.name)).toEqual(['deployer', 'outsider', 'viewer']);
  });
});
