import { randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  user: string;
  groups: string[];
  csrfToken: string;
  expiresAt: number;
}

/**
 * In-memory browser sessions (lost on restart, which just means logging in again). Each user holds at most
 * `maxPerUser`; a new login evicts that user's oldest session, never anyone else's, so memory is bounded by the
 * users file and no login storm can sign an admin out.
 */
export class SessionStore {
  private sessions = new Map<string, Session>();
  // Session ids per user in creation order (a Set iterates in insertion order).
  private byUser = new Map<string, Set<string>>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number,
    private readonly maxPerUser = 10,
  ) {}

  create(user: string, groups: string[]): Session {
    const now = this.clock();
    let ids = this.byUser.get(user);
    if (!ids) this.byUser.set(user, (ids = new Set()));
    for (const id of ids) if (this.sessions.get(id)!.expiresAt <= now) this.delete(id);
    for (const id of ids) {
      if (ids.size < this.maxPerUser) break;
      this.delete(id);
    }
    const s: Session = {
      id: randomBytes(32).toString('base64url'),
      user,
      groups,
      csrfToken: randomBytes(32).toString('base64url'),
      expiresAt: now + this.ttlMs,
    };
    this.sessions.set(s.id, s);
    this.byUser.set(user, ids.add(s.id));
    return s;
  }

  get(id: string | undefined): Session | null {
    if (!id) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    if (s.expiresAt <= this.clock()) {
      this.delete(id);
      return null;
    }
    return s;
  }

  delete(id: string): void {
    const s = this.sessions.get(id);
    if (!s) return;
    this.sessions.delete(id);
    const ids = this.byUser.get(s.user);
    ids?.delete(id);
    if (ids?.size === 0) this.byUser.delete(s.user);
  }

  /** Ends every session of `user` (password or groups changed, user removed). */
  deleteUser(user: string): void {
    for (const id of this.byUser.get(user) ?? []) this.sessions.delete(id);
    this.byUser.delete(user);
  }

  /** Live sessions of `user` (for tests and `slipway user list` parity). */
  countOf(user: string): number {
    return this.byUser.get(user)?.size ?? 0;
  }
}
