import { z } from 'zod';
import { trustProxySchema } from './trust-proxy.js';

export const serverSchema = z
  .object({
    host: z.string().default('127.0.0.1'),
    port: z.number().int().min(0).max(65535).default(8088),
    /** File holding users, their scrypt password hashes and groups (written by `slipway user add`). */
    usersFile: z.string().default('.slipway/users.json'),
    groups: z
      .object({
        read: z.string().default('viewers'),
        deploy: z.string().default('deployers'),
        admin: z.string().default('admins'),
      })
      .strict()
      .prefault({}),
    rateLimit: z
      .object({
        packagePerMinute: z.number().int().positive().default(30),
        /** Failed + successful login attempts per client IP and minute (brute-force brake). */
        loginPerMinute: z.number().int().positive().default(10),
        /** Window length; 60 s in production, shorter in tests. */
        windowMs: z.number().int().positive().default(60_000),
        /**
         * Failed authentications (Basic, Bearer, login form) per user name and window; beyond it, password checks
         * for that name answer 429 (credentials already verified and cached keep working).
         */
        authFailuresPerUser: z.number().int().positive().default(10),
        /** Failed authentications per client address and window, whatever the user name. */
        authFailuresPerClient: z.number().int().positive().default(30),
      })
      .strict()
      .prefault({}),
    auth: z
      .object({
        /** How long a verified password is remembered (keyed by an HMAC, never the password), so it costs no scrypt. */
        credentialCacheMs: z.number().int().min(0).max(3_600_000).default(60_000),
        /**
         * Password hashes (scrypt, ~32 MiB and tens of ms of CPU each) computed at once. Unset: half the cores
         * (os.availableParallelism), at least 1 and at most libuv's thread pool size minus 1 (see
         * src/server/scrypt-concurrency.ts), so the other cores and a pool thread stay free for requests that need
         * no password check.
         */
        scryptConcurrency: z.number().int().min(1).max(16).optional(),
        /** Password checks allowed to wait for the pool; beyond it the server answers 503 at once. */
        scryptQueue: z.number().int().min(0).max(1000).default(4),
        /** Browser sessions per user; a new login evicts that user's oldest session, never someone else's. */
        maxSessionsPerUser: z.number().int().min(1).max(1000).default(10),
      })
      .strict()
      .prefault({}),
    /** Slow and oversized clients: every limit answers with the security headers and a JSON body, then closes. */
    http: z
      .object({
        /** The request line and headers must arrive within this (Slowloris); 408, then the connection is closed. */
        headersTimeoutMs: z.number().int().min(50).max(600_000).default(10_000),
        /** The whole request, body included, must arrive within this (slow bodies); 408, then closed. */
        requestTimeoutMs: z.number().int().min(50).max(3_600_000).default(30_000),
        /**
         * An idle keep-alive connection is closed after this. Fastify's 72 s: longer than a load balancer's idle timeout
         * (60 s on AWS ALB), so the balancer never reuses a connection the server is closing (intermittent 502s).
         */
        keepAliveTimeoutMs: z.number().int().min(50).max(600_000).default(72_000),
        /** A connection silent this long with no request in flight is closed (a handler still working is not cut). */
        idleTimeoutMs: z.number().int().min(50).max(3_600_000).default(60_000),
        /** Longest request target (path + query) in bytes; longer is 414. */
        maxUrlBytes: z.number().int().min(256).max(65_536).default(8192),
        /** Largest request line + headers in bytes; larger is 431 (414 when the URL alone is over maxUrlBytes). */
        maxHeaderBytes: z.number().int().min(1024).max(65_536).default(16_384),
      })
      .strict()
      .prefault({}),
    /** HTTP status for DEGRADED health: 206 as in the seed, or 200 for load balancers that treat 206 as down. */
    degradedStatus: z.union([z.literal(200), z.literal(206)]).default(206),
    auditLog: z.string().default('.slipway/audit.log'),
    /** Deploy target whose releases the server shows. */
    target: z.string().optional(),
    health: z
      .object({
        /** How long measured checks are reused; keeps the endpoint cheap under load-balancer polling. */
        cacheMs: z.number().int().min(0).max(60_000).default(1000),
        /** Per-check timeout; the whole response stays under 2 s even when the database hangs. */
        checkTimeoutMs: z.number().int().positive().max(1900).default(1500),
        /** Disk usage (percent of the project root's filesystem) above which health is DEGRADED. */
        diskDegradedPercent: z.number().min(1).max(100).default(90),
        /** Serve /api/health (and the seed path) without credentials. /health/live|ready are always public. */
        public: z.boolean().default(false),
      })
      .strict()
      .prefault({}),
    /** Serve /metrics without credentials (for a Prometheus scraper on a trusted network). */
    publicMetrics: z.boolean().default(false),
    /** Browser session lifetime. */
    sessionTtlMs: z
      .number()
      .int()
      .positive()
      .default(8 * 3600_000),
    /**
     * Trust X-Forwarded-For/-Proto/-Host from reverse proxies (client IP for the auth budget, rate limits and the
     * audit log; origin for CSRF): `true` is one proxy, a number that many in a chain, a list the proxies' addresses
     * and CIDR ranges. The client is the address the farthest trusted proxy appended, never a value the client wrote
     * itself (see trustedProxies in src/server/app.ts).
     */
    trustProxy: trustProxySchema,
    /** Mark the session cookie Secure (set when served over HTTPS or behind a TLS proxy). */
    secureCookies: z.boolean().default(false),
  })
  .strict();

export type ServerConfig = z.infer<typeof serverSchema>;
