/**
 * Runs `fn` over `items` with at most `limit` calls at once; the results in input order, each settled (never
 * throws). The one bounded-concurrency helper (hosts of a fleet, files to hash or fsync). Hand-written: ten lines,
 * and p-limit/p-map would add a dependency that only queues the same way.
 */
export async function mapSettled<T, R>(
  items: readonly T[],
  limit: number,
  fn: (x: T, index: number) => Promise<R>,
): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      try {
        out[i] = { status: 'fulfilled', value: await fn(items[i]!, i) };
      } catch (reason) {
        out[i] = { status: 'rejected', reason };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return out;
}

/** mapSettled, then the values in input order, or the first failure (in input order) once every call has ended. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (x: T, index: number) => Promise<R>,
): Promise<R[]> {
  const settled = await mapSettled(items, limit, fn);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<R>).value);
}
