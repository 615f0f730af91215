import { describe, expect, it } from 'vitest';
import { batchSize, planBatches } from '../../../src/fleet/rollout-plan.js';

const r = (x: Partial<{ batch: number | string; canary: number; maxUnavailable: number }>) => ({
  batch: 1,
  canary: 0,
  pauseMs: 0,
  ...x,
});

describe('planBatches', () => {
  it('4 hosts, batches of 2, one canary', () => {
    expect(planBatches(4, r({ batch: 2, canary: 1 }))).toEqual([[0], [1, 2], [3]]);
  });
  it('percentages round up; maxUnavailable caps the batch', () => {
    expect(batchSize(8, r({ batch: '25%' }))).toBe(2);
    expect(batchSize(3, r({ batch: '25%' }))).toBe(1);
    expect(batchSize(10, r({ batch: '100%', maxUnavailable: 3 }))).toBe(3);
    expect(planBatches(5, r({ batch: '50%' }))).toEqual([
      [0, 1, 2],
      [3, 4],
    ]);
  });
  it('one host at a time by default; a single host is its own canary', () => {
    expect(planBatches(3, r({}))).toEqual([[0], [1], [2]]);
    expect(planBatches(1, r({ canary: 1 }))).toEqual([[0]]);
  });
});
