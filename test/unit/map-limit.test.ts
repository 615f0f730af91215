import { describe, expect, it } from 'vitest';
import { mapLimit, mapSettled } from '../../src/map-limit.js';

describe('mapSettled / mapLimit', () => {
  it('never runs more than `limit` at once and keeps input order', async () => {
    let running = 0;
    let most = 0;
    const release: (() => void)[] = [];
    const done = mapLimit([5, 4, 3, 2, 1, 0], 2, async (n) => {
      running++;
      most = Math.max(most, running);
      await new Promise<void>((r) => release.push(r));
      running--;
      return n * 10;
    });
    // Let the calls start one by one, in any order the pool picks, until all have run.
    for (let freed = 0; freed < 6; freed++) {
      while (release.length === 0) await new Promise((r) => setImmediate(r));
      release.shift()!();
    }
    expect(await done).toEqual([50, 40, 30, 20, 10, 0]);
    expect(most).toBe(2);
  });

  it('settles every call; mapLimit throws the first failure in input order after all have ended', async () => {
    const ended: number[] = [];
    const fn = async (n: number) => {
      await new Promise((r) => setImmediate(r));
      ended.push(n);
      if (n % 2) throw new Error(`odd ${n}`);
      return n;
    };
    const settled = await mapSettled([1, 2, 3], 3, fn);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled', 'rejected']);
    ended.length = 0;
    await expect(mapLimit([2, 3, 5], 1, fn)).rejects.toThrow('odd 3');
    expect(ended).toEqual([2, 3, 5]);
    expect(await mapLimit([], 4, fn)).toEqual([]);
  });
});
