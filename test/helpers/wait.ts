import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** Give up after this long; generous, because a loaded CI machine is slow (default 30 s). */
  timeoutMs?: number;
  /** Poll interval (default 25 ms). */
  intervalMs?: number;
}

/**
 * Polls `check` until it returns a value other than undefined/false and returns that value; after the deadline
 * throws an Error naming `what` and the last value or error seen. Tests wait on conditions with this, never on sleeps.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  opts: WaitOptions = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (e) {
      last = e;
    }
    if (Date.now() >= deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what} (last: ${last instanceof Error ? last.message : String(last)})`,
      );
    await sleep(opts.intervalMs ?? 25);
  }
}

/** Polls `check` until it returns true or `timeoutMs` passes (a condition with a generous deadline, never a sleep). */
export async function waitUntil(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  await waitFor(what, check, { timeoutMs, intervalMs: 20 });
}
