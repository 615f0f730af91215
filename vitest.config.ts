import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits on a condition; its 1 s default is too short on a loaded 2-core CI machine.
    expect: { poll: { timeout: 15_000, interval: 50 } },
    // Integration tests share one PostgreSQL server; each file uses its own database, so files may run in parallel.
    pool: 'forks',
    maxWorkers: 2,
  },
});
