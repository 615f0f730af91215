import { randomInt as cryptoRandomInt } from 'node:crypto';

export interface SeededRandom {
  seed: number;
  /** A whole number in [min, max), like crypto.randomInt. */
  int: (min: number, max: number) => number;
}

/**
 * A reproducible random source for tests: the seed comes from SLIPWAY_TEST_SEED, else is drawn once; the caller
 * prints it (`label: seed N`), so a failing run can be repeated exactly with SLIPWAY_TEST_SEED=N.
 * mulberry32: a tiny, well-known 32-bit generator; statistical quality is ample for choosing test cases.
 */
export function seededRandom(label: string, env: NodeJS.ProcessEnv = process.env): SeededRandom {
  const fromEnv = env.SLIPWAY_TEST_SEED;
  const seed = fromEnv !== undefined && /^\d+$/.test(fromEnv) ? Number(fromEnv) >>> 0 : cryptoRandomInt(0, 2 ** 31);
  console.log(`${label}: seed ${seed} (repeat with SLIPWAY_TEST_SEED=${seed})`);
  let a = seed;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { seed, int: (min, max) => min + Math.floor(next() * (max - min)) };
}
