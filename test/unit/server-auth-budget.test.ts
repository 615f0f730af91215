import { describe, expect, it } from 'vitest';
import { AuthBudget, budgetKeys } from '../../src/server/auth-budget.js';
import { WorkPool, PoolBusyError } from '../../src/server/work-pool.js';
import { SessionStore } from '../../src/server/sessions.js';
import { defaultScryptConcurrency } from '../../src/server/scrypt-concurrency.js';

describe('AuthBudget', () => {
  it('counts failures per user and per client in fixed windows of the injected clock', () => {
    let now = 0;
    const b = new AuthBudget({ perUser: 2, perClient: 3, windowMs: 60_000 }, () => now);
    const ann = budgetKeys('10.0.0.1', 'ann');
    b.charge(ann);
    expect(b.retryAfterSeconds(ann)).toBe(0);
    b.charge(ann);
    expect(b.retryAfterSeconds(ann)).toBe(60);
    // Another user from the same client is limited only by the client's count (2 of 3).
    expect(b.retryAfterSeconds(budgetKeys('10.0.0.1', 'bob'))).toBe(0);
    b.charge(budgetKeys('10.0.0.1', 'bob'));
    expect(b.retryAfterSeconds(budgetKeys('10.0.0.1', 'cy'))).toBe(60);
    expect(b.retryAfterSeconds(budgetKeys('10.0.0.2', 'cy'))).toBe(0);
    now = 59_001;
    expect(b.retryAfterSeconds(ann)).toBe(1);
    now = 60_000;
    expect(b.retryAfterSeconds(ann)).toBe(0);
  });
  it('refunds a charge (a successful check counts nothing)', () => {
    const b = new AuthBudget({ perUser: 1, perClient: 10, windowMs: 1000 }, () => 0);
    const k = budgetKeys('c', 'u');
    b.charge(k);
    b.refund(k);
    expect(b.retryAfterSeconds(k)).toBe(0);
  });
});

describe('WorkPool', () => {
  it('runs at most `concurrency` tasks, queues `queueMax`, and refuses the rest at once', async () => {
    const pool = new WorkPool(1, 2);
    const gates: (() => void)[] = [];
    const task = () => new Promise<string>((resolve) => gates.push(() => resolve('done')));
    const a = pool.run(task);
    const b = pool.run(task);
    const c = pool.run(task);
    await expect(pool.run(task)).rejects.toBeInstanceOf(PoolBusyError);
    expect(pool.load()).toEqual({ running: 1, waiting: 2 });
    expect(gates).toHaveLength(1);
    gates[0]!();
    await a;
    await new Promise((r) => setImmediate(r));
    expect(gates).toHaveLength(2); // the slot went straight to the next waiter
    gates[1]!();
    await b;
    await new Promise((r) => setImmediate(r));
    gates[2]!();
    expect(await c).toBe('done');
    expect(pool.load()).toEqual({ running: 0, waiting: 0 });
  });
  it('frees the slot when a task throws', async () => {
    const pool = new WorkPool(1, 0);
    await expect(pool.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await pool.run(async () => 1)).toBe(1);
  });
});

describe('SessionStore caps', () => {
  it('evicts the oldest session of the same user only, and ends all of a user’s sessions on demand', () => {
    const s = new SessionStore(60_000, () => 0, 2);
    const other = s.create('admin', ['admins']);
    const [a, b, c] = [s.create('u', []), s.create('u', []), s.create('u', [])];
    expect(s.get(a.id)).toBeNull();
    expect(s.get(b.id)?.user).toBe('u');
    expect(s.get(c.id)?.user).toBe('u');
    expect(s.get(other.id)?.user).toBe('admin');
    s.deleteUser('u');
    expect(s.get(b.id)).toBeNull();
    expect(s.countOf('u')).toBe(0);
    expect(s.countOf('admin')).toBe(1);
  });
});

describe('defaultScryptConcurrency', () => {
  it('is half the cores, at least 1, and leaves a libuv pool thread free', () => {
    expect(defaultScryptConcurrency(1, 4)).toBe(1);
    expect(defaultScryptConcurrency(2, 4)).toBe(1);
    expect(defaultScryptConcurrency(4, 4)).toBe(2);
    expect(defaultScryptConcurrency(16, 4)).toBe(3);
    expect(defaultScryptConcurrency(16, 16)).toBe(8);
    expect(defaultScryptConcurrency(8, 1)).toBe(1);
  });
});
