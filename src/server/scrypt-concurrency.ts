import { availableParallelism } from 'node:os';

/**
 * How many scrypt hashes the server computes at once when `server.auth.scryptConcurrency` is unset: half the cores
 * (1 on a 2-core machine), at least 1, and at most libuv's thread pool size minus 1. scrypt runs on that pool, which
 * also serves every fs call and the other crypto work of the requests that need no password check (the users file
 * stat behind a token check): a thread is always left for them, and the pool's queue never holds more scrypt jobs
 * than this.
 */
export function defaultScryptConcurrency(
  cores = availableParallelism(),
  threadPool = Number(process.env.UV_THREADPOOL_SIZE) || 4,
): number {
  return Math.max(1, Math.min(Math.floor(cores / 2), threadPool - 1));
}
