/** Limits of the authentication budget: failures per key and fixed window. */
export interface AuthBudgetLimits {
  perUser: number;
  perClient: number;
  windowMs: number;
}

interface Window {
  failures: number;
  startedAt: number;
}

// Keys are user names an attacker can invent, so the map is bounded; past this size expired windows are dropped,
// then the oldest ones (a flood of invented names can only forget other invented names' counts early).
const MAX_KEYS = 20_000;

/**
 * Failed-authentication counters per user name and per client address, in fixed windows of the injected clock.
 * A password check is charged before it runs (so 50 concurrent guesses cannot all slip under the limit) and
 * refunded when it succeeds: only failures stay counted.
 */
export class AuthBudget {
  private windows = new Map<string, Window>();

  constructor(
    private readonly limits: AuthBudgetLimits,
    private readonly clock: () => number,
  ) {}

  /** Seconds until every exhausted key has room again, or 0 when the attempt may go ahead. */
  retryAfterSeconds(keys: readonly BudgetKey[]): number {
    const now = this.clock();
    let waitMs = 0;
    for (const k of keys) {
      const w = this.live(k.key, now);
      if (w && w.failures >= this.limitOf(k)) waitMs = Math.max(waitMs, w.startedAt + this.limits.windowMs - now);
    }
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
  }

  /** Counts one (presumed) failure against every key. */
  charge(keys: readonly BudgetKey[]): void {
    const now = this.clock();
    for (const k of keys) {
      let w = this.live(k.key, now);
      if (!w) {
        if (this.windows.size >= MAX_KEYS) this.prune(now);
        w = { failures: 0, startedAt: now };
        this.windows.set(k.key, w);
      }
      w.failures += 1;
    }
  }

  /** Takes back a charge (the check succeeded, or never ran). */
  refund(keys: readonly BudgetKey[]): void {
    const now = this.clock();
    for (const k of keys) {
      const w = this.live(k.key, now);
      if (w && w.failures > 0) w.failures -= 1;
    }
  }

  private limitOf(k: BudgetKey): number {
    return k.kind === 'user' ? this.limits.perUser : this.limits.perClient;
  }

  private live(key: string, now: number): Window | undefined {
    const w = this.windows.get(key);
    if (w && w.startedAt + this.limits.windowMs <= now) {
      this.windows.delete(key);
      return undefined;
    }
    return w;
  }

  private prune(now: number): void {
    for (const [key, w] of this.windows) if (w.startedAt + this.limits.windowMs <= now) this.windows.delete(key);
    for (const key of this.windows.keys()) {
      if (this.windows.size < MAX_KEYS * 0.9) break;
      this.windows.delete(key);
    }
  }
}

export interface BudgetKey {
  kind: 'user' | 'client';
  key: string;
}

/** The budget keys of an attempt: the client address, and the user name when one was sent. */
export function budgetKeys(client: string, user?: string): BudgetKey[] {
  const keys: BudgetKey[] = [{ kind: 'client', key: `client:${client}` }];
  if (user !== undefined) keys.push({ kind: 'user', key: `user:${user}` });
  return keys;
}
