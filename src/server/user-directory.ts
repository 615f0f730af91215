import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { readUsersFile, type UsersFile } from './users-file.js';
import { verifyPassword, hashToken } from './password.js';

export interface Principal {
  name: string;
  groups: string[];
  via: 'basic' | 'bearer' | 'session';
}

const RELOAD_CHECK_MS = 1000;
const VERIFIED_TTL_MS = 5 * 60_000;
const VERIFIED_MAX = 1000;

/**
 * The users file as the server sees it: re-read when its mtime changes (checked at most once a second), so
 * `slipway user add` takes effect without a restart.
 */
export class UserDirectory {
  private data: UsersFile = { version: 1, users: {} };
  private byToken = new Map<string, string>();
  private mtimeMs = -1;
  private checkedAt = -Infinity;
  private pending: Promise<void> | null = null;
  // scrypt costs ~60 ms of CPU; CI gates send Basic credentials on every request, so a successful check is
  // remembered (keyed by a SHA-256 of name, password and stored hash) for a few minutes. Changing the password
  // changes the stored hash and so invalidates the entry.
  private verified = new Map<string, number>();

  constructor(
    private readonly file: string,
    private readonly clock: () => number,
  ) {}

  /** Reloads the file if it changed. Concurrent callers wait for the same check, so none sees a half-loaded state. */
  async refresh(): Promise<void> {
    const now = this.clock();
    if (this.pending) return this.pending;
    if (now - this.checkedAt < RELOAD_CHECK_MS) return;
    this.checkedAt = now;
    this.pending = this.reload().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  private async reload(): Promise<void> {
    let mtime: number;
    try {
      mtime = (await stat(this.file)).mtimeMs;
    } catch {
      mtime = 0;
    }
    if (mtime === this.mtimeMs) return;
    const data = await readUsersFile(this.file);
    const byToken = new Map<string, string>();
    for (const [name, u] of Object.entries(data.users)) for (const t of u.tokens) byToken.set(t.sha256, name);
    // Swap everything at once.
    this.data = data;
    this.byToken = byToken;
    this.mtimeMs = mtime;
    this.verified.clear();
  }

  userCount(): number {
    return Object.keys(this.data.users).length;
  }

  groupsOf(name: string): string[] | null {
    return Object.hasOwn(this.data.users, name) ? this.data.users[name]!.groups : null;
  }

  /** Verifies a name/password pair; null when unknown or wrong. */
  async verifyPassword(name: string, password: string): Promise<Principal | null> {
    await this.refresh();
    const user = Object.hasOwn(this.data.users, name) ? this.data.users[name] : undefined;
    if (!user?.password) {
      // Burn comparable time for unknown users so response timing does not reveal which names exist.
      await verifyPassword(password, DUMMY_HASH);
      return null;
    }
    const key = createHash('sha256').update(`${name}\0${password}\0${user.password}`).digest('hex');
    const now = this.clock();
    const until = this.verified.get(key);
    if (until !== undefined && until > now) return { name, groups: user.groups, via: 'basic' };
    if (!(await verifyPassword(password, user.password))) return null;
    if (this.verified.size >= VERIFIED_MAX) this.verified.clear();
    this.verified.set(key, now + VERIFIED_TTL_MS);
    return { name, groups: user.groups, via: 'basic' };
  }

  /** Looks up a bearer token by its SHA-256. */
  async verifyToken(token: string): Promise<Principal | null> {
    await this.refresh();
    const name = this.byToken.get(hashToken(token));
    const user = name === undefined ? undefined : this.data.users[name];
    return name !== undefined && user ? { name, groups: user.groups, via: 'bearer' } : null;
  }
}

// A valid scrypt hash of a random string, used only to spend the same time on unknown user names.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
