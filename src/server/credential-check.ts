import { randomBytes } from 'node:crypto';
import { hmacSha256Hex } from '../fileset/hash.js';
import { HttpError } from './http-error.js';
import { verifyPassword } from './password.js';
import { AuthBudget, budgetKeys, type AuthBudgetLimits } from './auth-budget.js';
import { WorkPool, PoolBusyError } from './work-pool.js';
import { DUMMY_HASH, type Principal, type UserDirectory } from './user-directory.js';

export interface CredentialCheckOptions {
  users: UserDirectory;
  clock: () => number;
  limits: AuthBudgetLimits;
  /** How long a verified password is remembered; 0 turns the cache off. */
  cacheTtlMs: number;
  scryptConcurrency: number;
  scryptQueue: number;
}

const CACHE_MAX = 1000;

/**
 * Every password and token check of the server goes through here: the authentication budget (failures per user and
 * per client → 429 + Retry-After), a short-lived cache of verified passwords (so valid users cost no scrypt), and a
 * bounded pool for the scrypt work itself (full → 503 at once), so a flood of bogus credentials cannot starve
 * valid requests.
 */
export class CredentialChecker {
  readonly budget: AuthBudget;
  readonly pool: WorkPool;
  // Keyed by HMAC(name, password, stored hash) under a per-process random key: the cache holds no password and no
  // offline-guessable digest of one, and a changed password (new stored hash) misses it.
  private readonly cacheKey = randomBytes(32);
  private verified = new Map<string, number>();

  constructor(private readonly opts: CredentialCheckOptions) {
    this.budget = new AuthBudget(opts.limits, opts.clock);
    this.pool = new WorkPool(opts.scryptConcurrency, opts.scryptQueue);
  }

  /** A name/password pair: the principal, null when wrong; throws 429 (budget spent) or 503 (scrypt pool full). */
  async checkPassword(name: string, password: string, client: string): Promise<Principal | null> {
    const { users, clock } = this.opts;
    await users.refresh();
    const user = users.lookup(name);
    const stored = user?.password ?? null;
    const key = stored === null ? null : hmacSha256Hex(this.cacheKey, `${name}\0${password}\0${stored}`);
    const now = clock();
    if (key !== null && user && (this.verified.get(key) ?? -Infinity) > now) {
      return { name, groups: user.groups, via: 'basic' };
    }
    const keys = budgetKeys(client, name);
    this.refuseIfSpent(keys);
    this.budget.charge(keys);
    let ok: boolean;
    try {
      ok = await this.pool.run(() => verifyPassword(password, stored ?? DUMMY_HASH));
    } catch (e) {
      // A refused check stays charged: a flood then meets the budget's 429 after a few attempts instead of
      // knocking on the full pool forever.
      if (e instanceof PoolBusyError)
        throw new HttpError(503, 'E_UNAVAILABLE', 'too many password checks in progress; retry in a second', {
          headers: { 'retry-after': '1' },
        });
      throw e;
    }
    // Re-read after the wait: the user may have been removed or changed meanwhile.
    const current = users.lookup(name);
    if (!ok || !current || current.password !== stored || stored === null) return null;
    this.budget.refund(keys);
    if (this.opts.cacheTtlMs > 0 && key !== null) {
      if (this.verified.size >= CACHE_MAX) this.sweep(now);
      this.verified.set(key, now + this.opts.cacheTtlMs);
    }
    return { name, groups: current.groups, via: 'basic' };
  }

  /** A bearer token: the principal, null when unknown; an unknown token counts against the client's budget. */
  async checkToken(token: string, client: string): Promise<Principal | null> {
    if (token) await this.opts.users.refresh();
    return this.checkTokenNow(token, { ip: client });
  }

  /**
   * checkToken without re-checking the users file: only when `users.isCurrent()` is true (the request path's
   * promise-free case). The same budget: an unknown token counts against the client, 429 once spent. The client's
   * address is read only then (the request itself is passed: its `ip` is a getter that asks the socket).
   */
  checkTokenNow(token: string, client: { readonly ip: string }): Principal | null {
    const p = token ? this.opts.users.tokenPrincipal(token) : null;
    if (p) return p;
    this.failed(client.ip);
    return null;
  }

  /** Counts a failure that needed no password check (malformed credentials, unknown token); 429 when spent. */
  failed(client: string): void {
    const keys = budgetKeys(client);
    this.refuseIfSpent(keys);
    this.budget.charge(keys);
  }

  private refuseIfSpent(keys: ReturnType<typeof budgetKeys>): void {
    const wait = this.budget.retryAfterSeconds(keys);
    if (wait > 0)
      throw new HttpError(429, 'E_RATE_LIMIT', `too many failed sign-in attempts; retry in ${wait} s`, {
        headers: { 'retry-after': String(wait) },
      });
  }

  private sweep(now: number): void {
    for (const [k, until] of this.verified) if (until <= now) this.verified.delete(k);
    if (this.verified.size >= CACHE_MAX) this.verified.clear();
  }
}
