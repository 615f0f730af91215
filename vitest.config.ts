import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one PostgreSQL server; each file uses its own database, so files may run in parallel.
    pool: 'forks',
    maxWorkers: 2,
  },
});
