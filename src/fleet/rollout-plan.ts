import type { RolloutConfig } from '../config/sections/ssh-target.js';

/** The batch size a rollout uses for `n` hosts (pure): `batch` (a count or a percentage, rounded up), capped by maxUnavailable. */
export function batchSize(n: number, r: RolloutConfig): number {
  const size = typeof r.batch === 'number' ? r.batch : Math.ceil((n * Number(r.batch.slice(0, -1))) / 100);
  return Math.max(1, Math.min(size, r.maxUnavailable ?? size, Math.max(n, 1)));
}

/**
 * The order hosts are switched in (pure): the first `canary` hosts alone, then the rest in batches of batchSize,
 * in config order. Returns host indexes.
 */
export function planBatches(n: number, r: RolloutConfig): number[][] {
  const all = Array.from({ length: n }, (_, i) => i);
  const canary = Math.min(r.canary, n);
  const batches: number[][] = canary > 0 ? [all.slice(0, canary)] : [];
  const rest = all.slice(canary);
  const size = batchSize(n, r);
  for (let i = 0; i < rest.length; i += size) batches.push(rest.slice(i, i + size));
  return batches;
}
