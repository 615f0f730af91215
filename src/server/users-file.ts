import { readFile, writeFile, rename, mkdir, chmod, stat } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { SlipwayError } from '../errors.js';
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

export interface AddUserOptions {
  usersFile: string;
  name: string;
  password: string;
  groups: string[];
  now: Date;
}

/** Adds or replaces a user's password and groups (keeps existing tokens). */
export async function addUser(opts: AddUserOptions): Promise<{ created: boolean }> {
  if (!USER_NAME.test(opts.name))
    throw new SlipwayError('E_USAGE', `invalid user name "${opts.name}"`, {
      field: 'name',
      hint: 'Use letters, digits, ".", "_", "@" or "-" (max 64).',
    });
  const bad = opts.groups.find((g) => !GROUP_NAME.test(g));
  if (bad !== undefined || opts.groups.length === 0)
    throw new SlipwayError('E_USAGE', `invalid group list "${opts.groups.join(',')}"`, {
      field: 'groups',
      hint: 'Pass --groups viewers,deployers (letters, digits, ".", "_", "-").',
    });
  if (opts.password.length < 8)
    throw new SlipwayError('E_USAGE', 'password too short (minimum 8 characters)', {
      field: 'password',
      hint: 'Pipe the password on stdin: `printf %s "$PW" | slipway user add NAME --groups viewers`.',
    });
  const data = await readUsersFile(opts.usersFile);
  const existing = data.users[opts.name];
  data.users[opts.name] = {
    groups: [...new Set(opts.groups)],
    password: await hashPassword(opts.password),
    tokens: existing?.tokens ?? [],
    createdAt: existing?.createdAt ?? opts.now.toISOString(),
  };
  await writeUsersFile(opts.usersFile, data);
  return { created: !existing };
}

/** Creates a new API token for an existing user; returns the token (shown once) — only its SHA-256 is stored. */
export async function addUserToken(opts: {
  usersFile: string;
  name: string;
  now: Date;
}): Promise<{ token: string; id: string }> {
  const data = await readUsersFile(opts.usersFile);
  const user = data.users[opts.name];
  if (!user)
    throw new SlipwayError('E_NOT_FOUND', `no user "${opts.name}" in ${opts.usersFile}`, {
      hint: 'Create it first with `slipway user add NAME --groups …`.',
    });
  const token = generateToken();
  const id = randomBytes(4).toString('hex');
  user.tokens.push({ id, sha256: hashToken(token), createdAt: opts.now.toISOString() });
  await writeUsersFile(opts.usersFile, data);
  return { token, id };
}

/** File mode bits (e.g. 0o600) or null when the file is missing. */
export async function usersFileMode(file: string): Promise<number | null> {
  try {
    return (await stat(file)).mode & 0o777;
  } catch {
    return null;
  }
}
