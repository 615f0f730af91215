import { readFile, writeFile, rename, mkdir, chmod, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SlipwayError } from '../errors.js';
import { acquireLock } from '../deploy/lock.js';
import { hashPassword, generateToken, hashToken } from './password.js';

export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const userSchema = z
  .object({
    groups: z.array(z.string().regex(GROUP_NAME)),
    password: z.string().nullable(),
    tokens: z
      .array(z.object({ id: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), createdAt: z.string() }).strict())
      .default([]),
    createdAt: z.string(),
  })
  .strict();

export const usersFileSchema = z
  .object({ version: z.literal(1), users: z.record(z.string().regex(USER_NAME), userSchema) })
  .strict();
export type UsersFile = z.infer<typeof usersFileSchema>;
export type StoredUser = z.infer<typeof userSchema>;

/** Reads and validates the users file; a missing file is an empty user list. */
export async function readUsersFile(file: string): Promise<UsersFile> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, users: {} };
    throw new SlipwayError('E_IO', `cannot read users file ${file}: ${(e as Error).message}`, { file, cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new SlipwayError('E_CONFIG', `users file ${file} is not valid JSON`, {
      file,
      cause: e,
      hint: 'Restore it from backup or recreate users with `slipway user add`.',
    });
  }
  const r = usersFileSchema.safeParse(raw);
  if (!r.success) {
    const details = r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    throw new SlipwayError('E_CONFIG', `users file ${file} is invalid`, { file, details });
  }
  return r.data;
}

/** Writes the users file atomically (temp file + rename) with mode 0600, creating its directory. */
export async function writeUsersFile(file: string, data: UsersFile): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, JSON.stringify(data, null, 2) + '\n', { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
}

/** How long an edit waits for another `slipway user|token …` editing the same file before giving up. */
const USERS_LOCK_WAIT_MS = 30_000;

/**
 * Runs one read-modify-write of the users file under `<file>.lock` (the deploy lock: a hard-linked owner record, a
 * dead holder's lock recovered), so two `slipway user …` processes editing at once never lose an edit. The write
 * itself is temp file + rename, so a reader (the server) never sees half a file.
 */
async function editUsersFile<T>(file: string, command: string, edit: (data: UsersFile) => Promise<T> | T): Promise<T> {
  await mkdir(path.dirname(file), { recursive: true });
  const lock = await acquireLock({
    lockPath: `${file}.lock`,
    run: randomBytes(6).toString('hex'),
    command,
    wait: true,
    waitMs: USERS_LOCK_WAIT_MS,
    what: 'the users file',
    hint: `Another \`slipway user|token …\` is editing it; retry when it is done (if none is running, the holder above is on another host).`,
  });
  try {
    return await edit(await readUsersFile(file));
  } finally {
    await lock.release();
  }
}

export interface AddUserOptions {
  usersFile: string;
  name: string;
  password: string;
  groups: string[];
  /** The groups the server knows (server.groups); when given, any other group is refused, listing these. */
  allowedGroups?: readonly string[];
  now: Date;
}

/** What a credential change did: the tokens it revoked (a running server also ends the user's sessions). */
export interface CredentialChange {
  tokensRevoked: number;
}

/**
 * Adds a user, or replaces an existing user's password and groups. Replacing them is a credential change: the user's
 * API tokens are revoked (and a running server ends their sessions when it sees the file change).
 */
export async function addUser(opts: AddUserOptions): Promise<{ created: boolean } & CredentialChange> {
  checkUserName(opts.name);
  const groups = checkGroups(opts.groups, opts.allowedGroups);
  checkPassword(opts.password);
  const password = await hashPassword(opts.password); // scrypt before the lock: the lock is held for milliseconds
  return editUsersFile(opts.usersFile, `slipway user add ${opts.name}`, async (data) => {
    const existing = userIn(data, opts.name);
    data.users[opts.name] = {
      groups,
      password,
      tokens: [],
      createdAt: existing?.createdAt ?? opts.now.toISOString(),
    };
    await writeUsersFile(opts.usersFile, data);
    return { created: !existing, tokensRevoked: existing?.tokens.length ?? 0 };
  });
}

/** Sets a new password for an existing user; revokes their tokens. */
export async function setUserPassword(opts: {
  usersFile: string;
  name: string;
  password: string;
}): Promise<CredentialChange> {
  checkPassword(opts.password);
  const password = await hashPassword(opts.password);
  return editUsersFile(opts.usersFile, `slipway user passwd ${opts.name}`, async (data) => {
    const user = requireUser(data, opts.name, opts.usersFile);
    const tokensRevoked = user.tokens.length;
    data.users[opts.name] = { ...user, password, tokens: [] };
    await writeUsersFile(opts.usersFile, data);
    return { tokensRevoked };
  });
}

/** Replaces an existing user's groups; revokes their tokens when the groups change. */
export async function setUserGroups(opts: {
  usersFile: string;
  name: string;
  groups: string[];
  allowedGroups?: readonly string[];
}): Promise<CredentialChange & { changed: boolean }> {
  const groups = checkGroups(opts.groups, opts.allowedGroups);
  return editUsersFile(opts.usersFile, `slipway user groups ${opts.name}`, async (data) => {
    const user = requireUser(data, opts.name, opts.usersFile);
    const changed = [...user.groups].sort().join(',') !== [...groups].sort().join(',');
    if (!changed) return { changed, tokensRevoked: 0 };
    const tokensRevoked = user.tokens.length;
    data.users[opts.name] = { ...user, groups, tokens: [] };
    await writeUsersFile(opts.usersFile, data);
    return { changed, tokensRevoked };
  });
}

/** Removes a user with their tokens. */
export async function removeUser(opts: { usersFile: string; name: string }): Promise<CredentialChange> {
  return editUsersFile(opts.usersFile, `slipway user remove ${opts.name}`, async (data) => {
    const user = requireUser(data, opts.name, opts.usersFile);
    delete data.users[opts.name];
    await writeUsersFile(opts.usersFile, data);
    return { tokensRevoked: user.tokens.length };
  });
}

export interface UserSummary {
  name: string;
  groups: string[];
  tokens: number;
  hasPassword: boolean;
  createdAt: string;
}

/** Every user with groups and token count, sorted by name (never a hash). */
export async function listUsers(usersFile: string): Promise<UserSummary[]> {
  const data = await readUsersFile(usersFile);
  return Object.entries(data.users)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, u]) => ({
      name,
      groups: u.groups,
      tokens: u.tokens.length,
      hasPassword: u.password !== null,
      createdAt: u.createdAt,
    }));
}

export interface TokenSummary {
  id: string;
  user: string;
  createdAt: string;
}

/** API tokens (id, owner, creation time; never the token or its hash), optionally of one user. */
export async function listTokens(usersFile: string, user?: string): Promise<TokenSummary[]> {
  const data = await readUsersFile(usersFile);
  if (user !== undefined) requireUser(data, user, usersFile);
  const out: TokenSummary[] = [];
  for (const [name, u] of Object.entries(data.users)) {
    if (user !== undefined && name !== user) continue;
    for (const t of u.tokens) out.push({ id: t.id, user: name, createdAt: t.createdAt });
  }
  return out.sort((a, b) => (a.user === b.user ? a.createdAt.localeCompare(b.createdAt) : a.user < b.user ? -1 : 1));
}

/** Revokes one token by id (and owner, when ids collide); a running server refuses it as soon as it sees the file. */
export async function revokeToken(opts: { usersFile: string; id: string; user?: string }): Promise<TokenSummary> {
  return editUsersFile(opts.usersFile, `slipway token revoke ${opts.id}`, async (data) => {
    const hits = Object.entries(data.users).flatMap(([name, u]) =>
      u.tokens
        .filter((t) => t.id === opts.id && (opts.user === undefined || opts.user === name))
        .map((t) => ({ name, t })),
    );
    if (hits.length === 0)
      throw new SlipwayError(
        'E_NOT_FOUND',
        `no token with id "${opts.id}"${opts.user ? ` for user "${opts.user}"` : ''} in ${opts.usersFile}`,
        { field: 'id', hint: 'List token ids with `slipway token list`.' },
      );
    if (hits.length > 1)
      throw new SlipwayError('E_USAGE', `token id "${opts.id}" belongs to ${hits.map((h) => h.name).join(', ')}`, {
        field: 'id',
        hint: `Say whose: \`slipway token revoke ${opts.id} --user NAME\`.`,
      });
    const { name, t } = hits[0]!;
    data.users[name]!.tokens = data.users[name]!.tokens.filter((x) => x !== t);
    await writeUsersFile(opts.usersFile, data);
    return { id: t.id, user: name, createdAt: t.createdAt };
  });
}

/** Creates a new API token for an existing user; returns the token (shown once) — only its SHA-256 is stored. */
export async function addUserToken(opts: {
  usersFile: string;
  name: string;
  now: Date;
}): Promise<{ token: string; id: string }> {
  return editUsersFile(opts.usersFile, `slipway user token ${opts.name}`, async (data) => {
    const user = requireUser(data, opts.name, opts.usersFile);
    const token = generateToken();
    const id = randomBytes(4).toString('hex');
    user.tokens.push({ id, sha256: hashToken(token), createdAt: opts.now.toISOString() });
    await writeUsersFile(opts.usersFile, data);
    return { token, id };
  });
}

/** Throws E_NOT_FOUND (naming the file) unless the user exists: checked before prompting for a password. */
export async function assertUserExists(usersFile: string, name: string): Promise<void> {
  requireUser(await readUsersFile(usersFile), name, usersFile);
}

function userIn(data: UsersFile, name: string): StoredUser | undefined {
  return Object.hasOwn(data.users, name) ? data.users[name] : undefined;
}

function requireUser(data: UsersFile, name: string, file: string): StoredUser {
  const user = userIn(data, name);
  if (!user)
    throw new SlipwayError('E_NOT_FOUND', `no user "${name}" in ${file}`, {
      field: 'name',
      hint: 'List users with `slipway user list`; create one with `slipway user add NAME --groups …`.',
    });
  return user;
}

/** Throws E_USAGE for a user name the users file cannot hold. */
export function checkUserName(name: string): void {
  if (!USER_NAME.test(name))
    throw new SlipwayError('E_USAGE', `invalid user name "${name}"`, {
      field: 'name',
      hint: 'Use letters, digits, ".", "_", "@" or "-" (max 64).',
    });
}

/** Checks a group list (syntax, and membership in `allowed` when given); returns it without duplicates. */
export function checkGroups(groups: string[], allowed: readonly string[] | undefined): string[] {
  const bad = groups.find((g) => !GROUP_NAME.test(g));
  if (bad !== undefined || groups.length === 0)
    throw new SlipwayError('E_USAGE', `invalid group list "${groups.join(',')}"`, {
      field: 'groups',
      hint: 'Pass --groups viewers,deployers (letters, digits, ".", "_", "-").',
    });
  const unknown = allowed ? groups.filter((g) => !allowed.includes(g)) : [];
  if (unknown.length > 0)
    throw new SlipwayError(
      'E_USAGE',
      `unknown group${unknown.length > 1 ? 's' : ''} ${unknown.map((g) => `"${g}"`).join(', ')}; the configured groups are ${allowed!.join(', ')}`,
      { field: 'groups', hint: 'Use the names under server.groups in the config (read, deploy, admin).' },
    );
  return [...new Set(groups)];
}

function checkPassword(password: string): void {
  if (password.length < 8)
    throw new SlipwayError('E_USAGE', 'password too short (minimum 8 characters)', {
      field: 'password',
      hint: 'Type it at the prompt, or pipe it: `printf %s "$PW" | slipway user passwd NAME`.',
    });
}

/** File mode bits (e.g. 0o600) or null when the file is missing. */
export async function usersFileMode(file: string): Promise<number | null> {
  try {
    return (await stat(file)).mode & 0o777;
  } catch {
    return null;
  }
}
