import { stat } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { readUsersFile, type StoredUser, type UsersFile } from './users-file.js';
import { verifyPassword, hashToken } from './password.js';

export interface Principal {
  name: string;
  groups: string[];
  via: 'basic' | 'bearer' | 'session';
}

// Without a working file watcher (or as a backstop for one that misses an event) the file's identity is re-checked
// at most this often.
const RESTAT_MS = 1000;

/**
 * The users file as the server sees it. A directory watcher marks it stale the moment `slipway user …` replaces it
 * (backstop: a stat of inode/mtime/size at most once a second), so a changed password, changed groups or a removed
 * user take effect without a restart; `onCredentialsChanged` listeners hear which users changed.
 */
export class UserDirectory {
  private data: UsersFile = { version: 1, users: {} };
  private byToken = new Map<string, string>();
  private identity = '';
  private stale = true;
  private statAt = -Infinity;
  private pending: Promise<void> | null = null;
  private watcher: FSWatcher | null = null;
  private closed = false;
  private listeners: ((user: string) => void)[] = [];
  private loads = 0;

  constructor(private readonly file: string) {}

  /** Calls `listener(name)` for every user whose password or groups changed, or who was removed. */
  onCredentialsChanged(listener: (user: string) => void): void {
    this.listeners.push(listener);
  }

  /** Reloads the file if it changed. Concurrent callers wait for the same check, so none sees a half-loaded state. */
  async refresh(): Promise<void> {
    if (this.pending) return this.pending;
    if (this.isCurrent()) return;
    const now = performance.now();
    this.statAt = now;
    this.stale = false;
    this.pending = this.reload().finally(() => {
      this.pending = null;
    });
    return this.pending;
  }

  /**
   * True when what is loaded needs no re-check now (no reload running, no change seen by the watcher, the last stat
   * less than RESTAT_MS ago): `refresh()` would return at once, so a caller may use the loaded data without awaiting.
   */
  isCurrent(): boolean {
    return this.pending === null && !this.stale && performance.now() - this.statAt < RESTAT_MS;
  }

  /** Stops watching the file (server shutdown). */
  close(): void {
    this.closed = true;
    this.watcher?.close();
    this.watcher = null;
  }

  private startWatching(): void {
    if (this.watcher || this.closed) return;
    const base = path.basename(this.file);
    try {
      // The directory, not the file: `slipway user` replaces the file by rename, which a file watch would lose.
      this.watcher = watch(path.dirname(this.file), { persistent: false }, (_event, name) => {
        if (name === null || name === base) this.stale = true;
      });
      this.watcher.on('error', () => {
        this.watcher?.close();
        this.watcher = null;
      });
    } catch {
      this.watcher = null; // directory missing yet: the periodic stat covers it, and the next reload retries
    }
  }

  private async reload(): Promise<void> {
    this.startWatching();
    let identity: string;
    try {
      const st = await stat(this.file);
      identity = `${st.ino}:${st.mtimeMs}:${st.size}`;
    } catch {
      identity = 'missing';
    }
    if (identity === this.identity) return;
    const data = await readUsersFile(this.file);
    const byToken = new Map<string, string>();
    for (const [name, u] of Object.entries(data.users)) for (const t of u.tokens) byToken.set(t.sha256, name);
    const changed = Object.keys(this.data.users).filter(
      (name) => !Object.hasOwn(data.users, name) || stampOf(this.data.users[name]!) !== stampOf(data.users[name]!),
    );
    // Swap everything at once.
    this.data = data;
    this.byToken = byToken;
    this.identity = identity;
    this.loads++;
    for (const name of changed) for (const l of this.listeners) l(name);
  }

  /** How many times a file was loaded: it changes whenever the users, groups or tokens in force may have changed. */
  generation(): number {
    return this.loads;
  }

  userCount(): number {
    return Object.keys(this.data.users).length;
  }

  /** The stored user (as last loaded), or undefined; never a prototype key. */
  lookup(name: string): StoredUser | undefined {
    return Object.hasOwn(this.data.users, name) ? this.data.users[name] : undefined;
  }

  groupsOf(name: string): string[] | null {
    return this.lookup(name)?.groups ?? null;
  }

  /** Checks a name/password pair with scrypt (no cache, no budget: see CredentialChecker); null when wrong. */
  async verifyPassword(name: string, password: string): Promise<Principal | null> {
    await this.refresh();
    const user = this.lookup(name);
    // Unknown users burn comparable time on a dummy hash so response timing does not reveal which names exist.
    const ok = await verifyPassword(password, user?.password ?? DUMMY_HASH);
    return ok && user?.password ? { name, groups: user.groups, via: 'basic' } : null;
  }

  /** Looks up a bearer token by its SHA-256. */
  async verifyToken(token: string): Promise<Principal | null> {
    await this.refresh();
    return this.tokenPrincipal(token);
  }

  /**
   * Looks up a bearer token by its SHA-256 in what is loaded now, without re-checking the file: for callers that saw
   * `isCurrent()` true (or awaited `refresh()`) just before. The map is keyed by the digest, never by the token.
   */
  tokenPrincipal(token: string): Principal | null {
    const name = this.byToken.get(hashToken(token));
    const user = name === undefined ? undefined : this.lookup(name);
    return name !== undefined && user ? { name, groups: user.groups, via: 'bearer' } : null;
  }
}

/** What identifies a user's credentials: a change to either ends their sessions. */
function stampOf(u: StoredUser): string {
  return `${u.password ?? ''}\n${[...u.groups].sort().join(',')}`;
}

// A valid scrypt hash of a random string, used only to spend the same time on unknown user names.
export const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
