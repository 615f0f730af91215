import path from 'node:path';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword, hashToken, safeEqual } from '../../src/server/password.js';
import {
  addUser,
  addUserToken,
  listTokens,
  listUsers,
  readUsersFile,
  removeUser,
  revokeToken,
  setUserGroups,
  setUserPassword,
} from '../../src/server/users-file.js';
import { UserDirectory } from '../../src/server/user-directory.js';
import { SessionStore } from '../../src/server/sessions.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { waitUntil } from '../helpers/wait.js';

let dir: string;
beforeAll(async () => {
  dir = await makeTree({});
});
afterAll(async () => removeTree(dir));

describe('password hashing', () => {
  it('uses a fresh salt per hash and verifies only the right password', async () => {
    const a = await hashPassword('hunter2hunter2');
    const b = await hashPassword('hunter2hunter2');
    expect(a).not.toBe(b);
    expect(await verifyPassword('hunter2hunter2', a)).toBe(true);
    expect(await verifyPassword('hunter2hunter3', a)).toBe(false);
    expect(await verifyPassword('x', 'plain-text')).toBe(false);
    expect(await verifyPassword('x', 'scrypt$99999999$8$1$AA$AA')).toBe(false);
  });
  it('hashes tokens with SHA-256 and compares in constant time', () => {
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(safeEqual('abc', 'abc')).toBe(true);
    expect(safeEqual('abc', 'abd')).toBe(false);
    expect(safeEqual('abc', 'ab')).toBe(false);
    expect(safeEqual('', '')).toBe(true);
    // Two different lone surrogates are different texts (a UTF-8 encoding made both U+FFFD).
    expect(safeEqual('a\ud800', 'a\udc00')).toBe(false);
  });
});

describe('users file', () => {
  it('writes atomically with mode 0600; replacing password and groups revokes the tokens', async () => {
    const file = path.join(dir, 'sub', 'users.json');
    expect(
      await addUser({
        usersFile: file,
        name: 'ann',
        password: 'first password',
        groups: ['viewers'],
        now: new Date(0),
      }),
    ).toEqual({ created: true, tokensRevoked: 0 });
    await addUserToken({ usersFile: file, name: 'ann', now: new Date(0) });
    expect(
      await addUser({
        usersFile: file,
        name: 'ann',
        password: 'second password',
        groups: ['admins'],
        now: new Date(1),
      }),
    ).toEqual({ created: false, tokensRevoked: 1 });
    const data = await readUsersFile(file);
    expect(data.users.ann).toMatchObject({ groups: ['admins'], createdAt: '1970-01-01T00:00:00.000Z', tokens: [] });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });
  it('rejects bad names, groups and unknown token owners', async () => {
    const file = path.join(dir, 'u2.json');
    await expect(
      addUser({ usersFile: file, name: '../x', password: 'long password', groups: ['v'], now: new Date() }),
    ).rejects.toMatchObject({ code: 'E_USAGE', field: 'name' });
    await expect(
      addUser({ usersFile: file, name: 'x', password: 'long password', groups: ['a b'], now: new Date() }),
    ).rejects.toMatchObject({ code: 'E_USAGE', field: 'groups' });
    await expect(addUserToken({ usersFile: file, name: 'nobody', now: new Date() })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
    });
  });
  it('reports an invalid file with the field at fault', async () => {
    const file = path.join(dir, 'bad.json');
    await writeFile(
      file,
      JSON.stringify({ version: 1, users: { ann: { groups: 'viewers', password: null, createdAt: 'x' } } }),
    );
    await expect(readUsersFile(file)).rejects.toMatchObject({
      code: 'E_CONFIG',
      details: [expect.stringContaining('users.ann.groups')],
    });
  });
});

describe('UserDirectory', () => {
  it('verifies passwords and tokens, and reloads the file when it changes', async () => {
    const file = path.join(dir, 'dir-users.json');
    await addUser({ usersFile: file, name: 'bo', password: 'bo password', groups: ['viewers'], now: new Date() });
    const { token } = await addUserToken({ usersFile: file, name: 'bo', now: new Date() });
    const d = new UserDirectory(file);
    expect(await d.verifyPassword('bo', 'bo password')).toEqual({ name: 'bo', groups: ['viewers'], via: 'basic' });
    expect(await d.verifyPassword('bo', 'wrong')).toBeNull();
    expect(await d.verifyPassword('nobody', 'bo password')).toBeNull();
    expect(await d.verifyToken(token)).toEqual({ name: 'bo', groups: ['viewers'], via: 'bearer' });
    expect(await d.verifyToken('slw_forged')).toBeNull();
    expect(await d.verifyPassword('constructor', 'x')).toBeNull(); // no prototype keys as users
    await addUser({ usersFile: file, name: 'bo', password: 'new password!', groups: ['admins'], now: new Date() });
    // The directory watcher (or the once-a-second stat) notices the replaced file without a restart.
    await waitUntil(async () => (await d.verifyPassword('bo', 'bo password')) === null, 10_000, 'the reload');
    expect(await d.verifyPassword('bo', 'new password!')).toMatchObject({ groups: ['admins'] });
    expect(JSON.parse(await readFile(file, 'utf8')).users.bo.tokens).toHaveLength(0);
    expect(await d.verifyToken(token)).toBeNull(); // revoked with the password change
    d.close();
  });
});

describe('UserDirectory generation', () => {
  it('changes with every load of a changed file, and only then', async () => {
    const file = path.join(dir, 'generation.json');
    await addUser({ usersFile: file, name: 'al', password: 'al password', groups: ['viewers'], now: new Date() });
    const al = await addUserToken({ usersFile: file, name: 'al', now: new Date() });
    const d = new UserDirectory(file);
    await d.refresh();
    const first = d.generation();
    expect(d.tokenPrincipal(al.token)).toMatchObject({ name: 'al' });
    await revokeToken({ usersFile: file, id: al.id });
    await waitUntil(async () => (await d.refresh(), d.tokenPrincipal(al.token) === null), 10_000, 'the reload');
    expect(d.generation()).toBeGreaterThan(first);
    const second = d.generation();
    await d.refresh();
    expect(d.generation()).toBe(second);
    d.close();
  });
});

describe('SessionStore', () => {
  it('expires sessions by the clock', () => {
    let now = 0;
    const s = new SessionStore(1000, () => now);
    const a = s.create('u', ['viewers']);
    expect(s.get(a.id)?.user).toBe('u');
    expect(a.csrfToken).toMatch(/^[\w-]{43}$/);
    now = 1000;
    expect(s.get(a.id)).toBeNull();
    expect(s.get(undefined)).toBeNull();
  });
});

describe('UserDirectory under concurrency', () => {
  it('lets concurrent first requests all see the loaded users', async () => {
    const file = path.join(dir, 'concurrent.json');
    await addUser({ usersFile: file, name: 'cy', password: 'cy password', groups: ['viewers'], now: new Date() });
    const { token } = await addUserToken({ usersFile: file, name: 'cy', now: new Date() });
    const d = new UserDirectory(file);
    const results = await Promise.all(Array.from({ length: 20 }, () => d.verifyToken(token)));
    expect(results.every((r) => r?.name === 'cy')).toBe(true);
    d.close();
  });
});

describe('credential lifecycle (library)', () => {
  it('passwd, groups, remove, list and token revoke — each credential change revokes the tokens', async () => {
    const file = path.join(dir, 'life.json');
    const allowedGroups = ['viewers', 'deployers', 'admins'];
    await addUser({
      usersFile: file,
      name: 'al',
      password: 'al password',
      groups: ['viewers'],
      allowedGroups,
      now: new Date(0),
    });
    await expect(
      addUser({
        usersFile: file,
        name: 'bo',
        password: 'bo password',
        groups: ['deployer'],
        allowedGroups,
        now: new Date(0),
      }),
    ).rejects.toMatchObject({
      code: 'E_USAGE',
      field: 'groups',
      message: 'unknown group "deployer"; the configured groups are viewers, deployers, admins',
    });
    const t1 = await addUserToken({ usersFile: file, name: 'al', now: new Date(1) });
    await addUserToken({ usersFile: file, name: 'al', now: new Date(2) });
    expect(await listTokens(file)).toEqual([
      { id: t1.id, user: 'al', createdAt: '1970-01-01T00:00:00.001Z' },
      expect.objectContaining({ user: 'al' }),
    ]);
    expect(JSON.stringify(await listTokens(file))).not.toContain(t1.token);
    expect(await revokeToken({ usersFile: file, id: t1.id })).toMatchObject({ id: t1.id, user: 'al' });
    await expect(revokeToken({ usersFile: file, id: t1.id })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      field: 'id',
    });
    expect(await setUserPassword({ usersFile: file, name: 'al', password: 'new al password' })).toEqual({
      tokensRevoked: 1,
    });
    expect(await verifyPassword('new al password', (await readUsersFile(file)).users.al!.password!)).toBe(true);
    await addUserToken({ usersFile: file, name: 'al', now: new Date(3) });
    expect(await setUserGroups({ usersFile: file, name: 'al', groups: ['viewers'], allowedGroups })).toEqual({
      changed: false,
      tokensRevoked: 0,
    });
    expect(await setUserGroups({ usersFile: file, name: 'al', groups: ['admins'], allowedGroups })).toEqual({
      changed: true,
      tokensRevoked: 1,
    });
    expect(await listUsers(file)).toEqual([
      { name: 'al', groups: ['admins'], tokens: 0, hasPassword: true, createdAt: '1970-01-01T00:00:00.000Z' },
    ]);
    expect(await removeUser({ usersFile: file, name: 'al' })).toEqual({ tokensRevoked: 0 });
    await expect(removeUser({ usersFile: file, name: 'al' })).rejects.toMatchObject({
      code: 'E_NOT_FOUND',
      message: `no user "al" in ${file}`,
    });
    await expect(
      setUserPassword({ usersFile: file, name: 'constructor', password: 'long enough' }),
    ).rejects.toMatchObject({ code: 'E_NOT_FOUND' });
  });
});
