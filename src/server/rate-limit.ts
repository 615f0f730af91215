import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { HttpError } from './http-error.js';

interface Window {
  current: number;
  ttl: number;
  startedAt: number;
}

/**
 * Fixed-window counter store for @fastify/rate-limit that reads the injected clock (the server's one test seam),
 * so tests can cross a window boundary without sleeping. Same semantics as the plugin's LocalStore.
 */
function clockStore(clock: () => number) {
  // One map for all routes: keys carry the route group (groupId), so routes in one group share their counter.
  const windows = new Map<string, Window>();
  return class ClockStore {
    constructor(private readonly options: Record<string, unknown> = {}) {}
    incr(
      key: string,
      cb: (err: Error | null, res: { current: number; ttl: number }) => void,
      timeWindow: number,
    ): void {
      const now = clock();
      let w = windows.get(key);
      if (!w || w.startedAt + timeWindow <= now) {
        if (windows.size > 10_000) windows.clear();
        w = { current: 0, ttl: timeWindow, startedAt: now };
        windows.set(key, w);
      }
      w.current += 1;
      w.ttl = w.startedAt + timeWindow - now;
      cb(null, { current: w.current, ttl: w.ttl });
    }
    child(routeOptions: Record<string, unknown>) {
      return new ClockStore({ ...this.options, ...routeOptions });
    }
  };
}

/** Registers @fastify/rate-limit for the routes that opt in (config.rateLimit), after authentication. */
export async function registerRateLimit(app: FastifyInstance, clock: () => number): Promise<void> {
  await app.register(rateLimit, {
    global: false,
    hook: 'preHandler',
    store: clockStore(clock) as never,
    errorResponseBuilder: (_req: FastifyRequest, ctx: { after: string; ttl: number; max: number }) => {
      const seconds = Math.max(1, Math.ceil(ctx.ttl / 1000));
      return new HttpError(
        429,
        'E_RATE_LIMIT',
        `rate limit of ${ctx.max} requests per window reached; retry in ${seconds} s`,
        { headers: { 'retry-after': String(seconds) } },
      );
    },
  });
}

/** Rate-limit key: the authenticated user, else the client address. */
export function userKey(req: FastifyRequest): string {
  return req.principal ? `user:${req.principal.name}` : `ip:${req.ip}`;
}
