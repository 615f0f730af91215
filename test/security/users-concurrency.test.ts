// Concurrent `slipway user …` / `slipway token revoke` processes editing one users file: every edit survives (the
// file is edited under a lock, written to a temp file and renamed). Real processes of the built binary.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import path from 'node:path';
import { readdir } from 'node:fs/promises';
import { addUser, addUserToken, readUsersFile } from '../../src/server/users-file.js';
import { verifyPassword } from '../../src/server/password.js';
import { ensureDist, startBin } from '../helpers/cli-bin.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const OLD_PW = 'old password 123';
const NEW_PW = 'new password 456';
let dir: string;
let usersFile: string;

beforeAll(async () => {
  await ensureDist();
  dir = await makeTree(
    {
      'slipway.config.yaml':
        'name: demo\nversion: 1.0.0\nbuild:\n  components:\n    application: { include: ["app/**"] }\n',
    },
    'slipway-users-race-',
  );
  usersFile = path.join(dir, '.slipway', 'users.json');
}, 300_000);
afterAll(async () => removeTree(dir));

async function run(args: string[], input?: string): Promise<{ code: number | null; stderr: string; stdout: string }> {
  const p = startBin(args, dir);
  p.child.stdin?.end(input ?? '');
  const code = await p.exit;
  return { code, ...p.output() };
}

describe('concurrent users-file edits', () => {
  it('add, passwd, remove, token and token revoke from 14 processes at once: no edit is lost', async () => {
    const now = new Date();
    const tokenIds: Record<string, string> = {};
    for (const name of ['keep1', 'keep2', 'pw1', 'pw2', 'rm1', 'rm2', 'rev1', 'rev2']) {
      await addUser({ usersFile, name, password: OLD_PW, groups: ['viewers'], now });
      tokenIds[name] = (await addUserToken({ usersFile, name, now })).id;
    }
    const runs = await Promise.all([
      ...[1, 2, 3, 4].map((i) => run(['user', 'add', `new${i}`, '--groups', 'viewers'], `${NEW_PW}\n`)),
      run(['user', 'passwd', 'pw1'], `${NEW_PW}\n`),
      run(['user', 'passwd', 'pw2'], `${NEW_PW}\n`),
      run(['user', 'remove', 'rm1']),
      run(['user', 'remove', 'rm2']),
      run(['token', 'revoke', tokenIds.rev1!]),
      run(['token', 'revoke', tokenIds.rev2!]),
      run(['user', 'token', 'keep1']),
      run(['user', 'token', 'keep2']),
      run(['user', 'groups', 'keep1', '--groups', 'viewers,deployers']),
      run(['user', 'token', 'rev1']),
    ]);
    for (const r of runs) expect(r, r.stderr).toMatchObject({ code: 0 });

    const { users } = await readUsersFile(usersFile);
    expect(Object.keys(users).sort()).toEqual(
      ['keep1', 'keep2', 'new1', 'new2', 'new3', 'new4', 'pw1', 'pw2', 'rev1', 'rev2'].sort(),
    );
    for (const i of [1, 2, 3, 4]) expect(await verifyPassword(NEW_PW, users[`new${i}`]!.password!)).toBe(true);
    for (const name of ['pw1', 'pw2']) {
      expect(await verifyPassword(NEW_PW, users[name]!.password!)).toBe(true);
      expect(users[name]!.tokens).toEqual([]); // a password change revokes the user's tokens
    }
    // keep1's groups changed (tokens revoked) and it got a token: which came first decides whether that token survives.
    expect(users.keep1!.groups.sort()).toEqual(['deployers', 'viewers']);
    expect(users.keep1!.tokens.length).toBeLessThanOrEqual(1);
    expect(users.keep2!.tokens.map((t) => t.id)).toContain(tokenIds.keep2);
    expect(users.keep2!.tokens).toHaveLength(2);
    expect(users.rev1!.tokens.map((t) => t.id)).not.toContain(tokenIds.rev1);
    expect(users.rev1!.tokens).toHaveLength(1); // the new one
    expect(users.rev2!.tokens).toEqual([]);
    // No lock or temp file is left behind.
    expect((await readdir(path.dirname(usersFile))).sort()).toEqual(['users.json']);
  }, 300_000);
});
