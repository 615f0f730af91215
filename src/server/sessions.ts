import { randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  user: string;
  groups: string[];
  csrfToken: string;
  expiresAt: number;
}

const MAX_SESSIONS = 10_000;

/** In-memory browser sessions (lost on restart, which just means logging in again). */
export class SessionStore {
  private sessions = new Map<string, Session>();

  constructor(
    private readonly ttlMs: number,
    private readonly clock: () => number,
  ) {}

  create(user: string, groups: string[]): Session {
    const now = this.clock();
    if (this.sessions.size >= MAX_SESSIONS) this.sweep(now);
    const s: Session = {
      id: randomBytes(32).toString('base64url'),
      user,
      groups,
      csrfToken: randomBytes(32).toString('base64url'),
      expiresAt: now + this.ttlMs,
    };
    this.sessions.set(s.id, s);
    return s;
  }

  get(id: string | undefined): Session | null {
    if (!id) return null;
    const s = this.sessions.get(id);
    if (!s) return null;
    if (s.expiresAt <= this.clock()) {
      this.sessions.delete(id);
      return null;
    }
    return s;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  private sweep(now: number): void {
    for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
    // Still full: drop the oldest (Map iterates in insertion order).
    for (const id of this.sessions.keys()) {
      if (this.sessions.size < MAX_SESSIONS) break;
      this.sessions.delete(id);
    }
  }
}
