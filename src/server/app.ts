import path from 'node:path';
import { readFile } from 'node:fs/promises';
import Fastify, {
  type FastifyInstance,
  type FastifyError,
  type FastifyRequest,
  type FastifyReply,
  type onResponseHookHandler,
  type onSendHookHandler,
} from 'fastify';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import type { Config } from '../config/schema.js';
import type { TrustProxySetting } from '../config/sections/trust-proxy.js';
import { isSlipwayError, type ErrorCode } from '../errors.js';
import { WEB_DIR } from '../package-root.js';
import { defaultDeps, type ServerDeps } from './deps.js';
import { HttpError } from './http-error.js';
import {
  API_PATH,
  API_SECURITY_HEADERS,
  applySecurityHeaders,
  securityHeadersFor,
  UI_SECURITY_HEADERS,
} from './security-headers.js';
import { toSafeJson } from './safe-json.js';
import { allowedMethods, BODY_LIMITS, closeIdleSockets, registerRequestLimits, serverOptions } from './http-limits.js';
import { registerAuth } from './auth.js';
import { hooksWith } from './route-hooks.js';
import { registerRateLimit } from './rate-limit.js';
import { createAuditLogger, writeAudit, type AuditLog } from './audit.js';
import { secretSafeLogOptions } from './log-options.js';
import { InfoGatedLogController, lazyLogger } from './request-logger.js';
import { createMetrics, HEALTH_VALUE, routeRecorder } from './metrics.js';
import { RequestStats } from './request-stats.js';
import { UserDirectory } from './user-directory.js';
import { SessionStore } from './sessions.js';
import { CredentialChecker } from './credential-check.js';
import { defaultScryptConcurrency } from './scrypt-concurrency.js';
import { usersFileMode } from './users-file.js';
import { HealthService } from './health/service.js';
import { liveHistoryTables } from './health/live-history-tables.js';
import type { ServerContext } from './context.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerDbRoutes } from './routes/db.js';
import { registerReleaseRoutes } from './routes/releases.js';
import { registerReportRoute } from './routes/report.js';
import { registerSessionRoutes } from './routes/session.js';
import { registerMetricsRoutes } from './routes/metrics.js';
import { registerStaticRoutes } from './routes/static.js';

export interface CreateAppOptions {
  config: Config;
  /** Replace library calls (tests inject stand-ins for modules not landed yet; `clock` is the test seam). */
  deps?: Partial<ServerDeps>;
  /** Audit log destination; default server.auditLog (relative to the config file). */
  audit?: string | DestinationStream;
  /** Web UI directory; default <package>/dist/web. */
  staticDir?: string;
  /** Fastify's own logger for unexpected errors (pino options or false); default off. */
  logger?: boolean | Record<string, unknown>;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Write an audit line even though the route is public (login, logout). */
    audit?: boolean;
  }
  interface FastifyRequest {
    auditUser: string | null;
  }
}

// SlipwayError codes from the library, as HTTP statuses.
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  E_USAGE: 400,
  E_NOT_FOUND: 404,
  E_AUTH: 401,
  E_LOCKED: 409,
  E_ROLLBACK: 409,
  E_COMPAT: 409,
  E_CONFIG: 409,
  E_CHANGELOG: 422,
  E_CHECKSUM: 409,
  E_DB_CONNECT: 503,
  E_SERVER: 503,
  E_HEALTH: 503,
  // A host of an ssh target could not be reached (a fleet rollback refuses before changing anything).
  E_SSH: 502,
};

/** Builds the Fastify app (not listening). One seam: `deps.clock`; everything else is the real library. */
export async function createApp(options: CreateAppOptions): Promise<FastifyInstance> {
  const { config } = options;
  const deps: ServerDeps = { ...(await defaultDeps()), ...options.deps };
  const clock = deps.clock;
  const app = Fastify({
    // req.log made only when a request writes a line (most write none at the server's level): src/server/request-logger.ts.
    ...(options.logger
      ? { loggerInstance: lazyLogger(serverLogger(options.logger)), logController: new InfoGatedLogController() }
      : { logger: false }),
    bodyLimit: BODY_LIMITS.default,
    return503OnClosing: true,
    ...serverOptions(config.server.http),
    trustProxy: trustedProxies(config.server.trustProxy),
  });
  const auditDest = options.audit ?? path.resolve(config.configDir, config.server.auditLog);
  const audit: AuditLog = createAuditLogger(auditDest);
  const stats = new RequestStats(clock);
  const metrics = createMetrics();
  const users = new UserDirectory(path.resolve(config.configDir, config.server.usersFile));
  const sessions = new SessionStore(config.server.sessionTtlMs, clock, config.server.auth.maxSessionsPerUser);
  users.onCredentialsChanged((name) => sessions.deleteUser(name));
  const { rateLimit: limits, auth } = config.server;
  const checker = new CredentialChecker({
    users,
    clock,
    limits: { perUser: limits.authFailuresPerUser, perClient: limits.authFailuresPerClient, windowMs: limits.windowMs },
    cacheTtlMs: auth.credentialCacheMs,
    scryptConcurrency: auth.scryptConcurrency ?? defaultScryptConcurrency(),
    scryptQueue: auth.scryptQueue,
  });
  closeIdleSockets(app.server, config.server.http.idleTimeoutMs);
  let connections = 0;
  app.server.on('connection', (socket) => {
    connections++;
    socket.once('close', () => connections--);
  });
  let routes = 0;
  app.addHook('onRoute', (r) => {
    // Endpoints as a client sees them: Fastify's automatic HEAD twins and static wildcards are not counted.
    const methods = Array.isArray(r.method) ? r.method : [r.method];
    if (!r.url.includes('*')) routes += methods.filter((m) => m !== 'HEAD').length;
  });
  const health = new HealthService({
    config,
    clock,
    stats,
    security: async () => {
      await users.refresh();
      return {
        users: users.userCount(),
        fileMode: await usersFileMode(path.resolve(config.configDir, config.server.usersFile)),
      };
    },
    endpointsCount: () => routes,
    historyTables: () => liveHistoryTables({ config, deps }),
    ...(deps.aggregateHealth ? { aggregate: deps.aggregateHealth } : {}),
    onMeasured: (s) => {
      metrics.healthStatus.set({ component: 'overall' }, HEALTH_VALUE[s.status]);
      for (const [k, c] of Object.entries(s.components))
        metrics.healthStatus.set({ component: k }, HEALTH_VALUE[c.status]);
      if (s.database)
        metrics.dbCheck.observe({ outcome: s.database.ok ? 'ok' : 'failed' }, s.database.responseTimeMs / 1000);
    },
  });
  const ctx: ServerContext = {
    config,
    deps,
    health,
    metrics,
    users,
    sessions,
    checker,
    audit,
    startedAt: clock(),
    activeConnections: () => connections,
  };

  // JSON only, and `<`, `>`, `&` escaped as \u003c… so no JSON body can ever be sniffed or rendered as HTML.
  app.setReplySerializer(toSafeJson);
  // Only JSON bodies: a text/plain or form POST (sent cross-site without a preflight) is refused with 415.
  app.removeContentTypeParser(['text/plain']);
  app.decorateRequest('auditUser', null);
  registerRequestLimits(app, config.server.http); // before authentication: a 414/413 costs no password check
  registerAuth(app, { users, checker, sessions, server: config.server });
  await registerRateLimit(app, clock);

  // The security headers by what a route answers (src/server/security-headers.ts): the API's set on API paths, the web
  // UI's on its files, chosen once per route when it is added. A callback hook, not an async one: it runs on every
  // request, and an async hook costs a promise and a tick. Requests that match no route get theirs in the not-found
  // and error handlers below (route hooks do not run for them).
  app.addHook('onRoute', (r) => {
    const set = securityHeadersFor(r.url);
    const hook: onSendHookHandler =
      set === API_SECURITY_HEADERS
        ? (_req, reply, payload, done) => {
            applySecurityHeaders(reply, API_SECURITY_HEADERS);
            done(null, payload);
          }
        : // The UI's files are served by a wildcard route that also answers every unknown path (a JSON 404 or 405,
          // an error of the request limits): a JSON answer there is an API answer and gets the API's set.
          (_req, reply, payload, done) => {
            applySecurityHeaders(reply, isJson(reply) ? API_SECURITY_HEADERS : UI_SECURITY_HEADERS);
            done(null, payload);
          };
    r.onSend = hooksWith(hook, r.onSend);
  });
  // The response's bookkeeping — metrics, the live request stats, the audit line of a protected or audited route — in
  // a hook attached to each route when it is added, with what the route's options decide (its label, whether it is
  // audited) worked out once: reading req.routeOptions per request builds a new options object on every access.
  const recordResponse = (route: string, audited: boolean): onResponseHookHandler => {
    const record = routeRecorder(metrics, route);
    return (req, reply, done) => {
      const ms = reply.elapsedTime; // a getter that reads the clock: once
      const status = reply.statusCode;
      record(req.method, status, ms / 1000);
      stats.record(status, ms);
      if (audited) {
        const p = req.principal;
        writeAudit(
          audit,
          p
            ? { user: p.name, method: req.method, route, outcome: status, ip: req.ip, via: p.via }
            : { user: req.auditUser, method: req.method, route, outcome: status, ip: req.ip },
        );
      }
      done();
    };
  };
  app.addHook('onRoute', (r) => {
    const cfg = r.config;
    const audited = (cfg?.access !== undefined && cfg.access !== 'public') || cfg?.audit === true;
    r.onResponse = hooksWith(recordResponse(r.url, audited), r.onResponse);
  });

  app.setErrorHandler((err: FastifyError | HttpError | Error, req, reply) => {
    const { status, body, headers } = renderError(err);
    if (status >= 500 && !(err instanceof HttpError) && !isSlipwayError(err)) req.log.error({ err }, 'unhandled error');
    // An error is a JSON answer: the API's headers (also for a request that matched no route, which has no route hook).
    applySecurityHeaders(reply, API_SECURITY_HEADERS);
    reply.code(status).headers(headers).type('application/json; charset=utf-8').send(body);
  });

  const staticDir = options.staticDir ?? WEB_DIR;
  registerHealthRoutes(app, ctx);
  registerDbRoutes(app, ctx);
  registerReleaseRoutes(app, ctx);
  registerReportRoute(app, ctx);
  registerSessionRoutes(app, ctx);
  registerMetricsRoutes(app, ctx);
  const hasUi = await registerStaticRoutes(app, ctx, staticDir);

  app.addHook('onClose', async () => {
    users.close();
    await audit.close();
  });
  // Requests that matched no route (404s, and 405s from the not-found handler) have no route hooks: they are counted
  // by an onResponse hook of their own encapsulation context, in which the not-found handler is set, so Fastify runs
  // it only for them (its 404 context takes the hooks of the instance that set the handler). As a global hook it ran
  // on every request to ask `req.is404`.
  await app.register(async (unmatchedScope) => {
    unmatchedScope.addHook('onResponse', recordResponse('unmatched', false));
    unmatchedScope.setNotFoundHandler(notFound);
  });
  return app;

  async function notFound(req: FastifyRequest, reply: FastifyReply) {
    // Client-side routes of the web UI (/releases, /database…) get index.html; API paths get a JSON 404.
    if (
      hasUi &&
      req.method === 'GET' &&
      !API_PATH.test(req.url) &&
      String(req.headers.accept ?? '').includes('text/html')
    ) {
      applySecurityHeaders(reply, UI_SECURITY_HEADERS);
      return reply.type('text/html; charset=utf-8').send(await readFile(path.join(staticDir, 'index.html')));
    }
    applySecurityHeaders(reply, API_SECURITY_HEADERS);
    const allow = allowedMethods(app, req.url);
    if (allow.length > 0) {
      reply.code(405).header('allow', allow.join(', '));
      return { error: { code: 'E_METHOD', message: 'method not allowed' } };
    }
    reply.code(404);
    return { error: { code: 'E_NOT_FOUND', message: 'no such route' } };
  }
}

const isJson = (reply: FastifyReply): boolean => String(reply.getHeader('content-type')).startsWith('application/json');

/** Turns any error into a status and a JSON body without a stack trace or internal detail. */
export function renderError(err: unknown): { status: number; body: unknown; headers: Record<string, string> } {
  if (err instanceof HttpError) return { status: err.statusCode, body: err.toJSON(), headers: err.headers };
  if (isSlipwayError(err)) {
    const status = STATUS_BY_CODE[err.code] ?? 500;
    const json = err.toJSON();
    delete json.file; // absolute paths on the server are nobody's business
    return { status, body: { error: json }, headers: {} };
  }
  const e = err as FastifyError;
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status < 500) {
    // Fastify's own messages can quote the request (e.g. its content type), so only a fixed text per status; a body
    // Fastify could not parse (FST_ERR_CTP_*: invalid or empty JSON, a length that does not match) says so.
    const message =
      status === 400 && e.code?.startsWith('FST_ERR_CTP_') ? BODY_MESSAGE : (CLIENT_MESSAGES[status] ?? 'bad request');
    return { status, body: { error: { code: CLIENT_CODES[status] ?? 'E_VALIDATION', message } }, headers: {} };
  }
  return {
    status: 500,
    body: { error: { code: 'E_INTERNAL', message: 'internal error; the server log has the details' } },
    headers: {},
  };
}

/**
 * The server's pino logger, as Fastify would make it from the `logger` option: secret-safe options under the caller's,
 * level info unless given, written to `stream` (or `file`) or else stdout, and Fastify's `res` serializer (its `req`
 * and `err` are replaced by the secret-safe ones).
 */
function serverLogger(setting: true | Record<string, unknown>): Logger {
  const { stream, file, ...given } = setting === true ? ({} as Record<string, unknown>) : setting;
  const safe = secretSafeLogOptions();
  const opts = { level: 'info', ...safe, ...given } as LoggerOptions;
  opts.serializers = {
    res: (reply: { statusCode: number }) => ({ statusCode: reply.statusCode }),
    ...opts.serializers,
  };
  const dest =
    (stream as DestinationStream | undefined) ?? (typeof file === 'string' ? pino.destination(file) : undefined);
  return dest ? pino(opts, dest) : pino(opts);
}

/**
 * Fastify's trustProxy for server.trustProxy. A list of addresses and CIDR ranges goes to Fastify as it is (proxy-addr:
 * walking back from the peer, each listed address is a proxy; the first one not listed is the client, so a client that
 * reaches the server directly is its own peer address whatever X-Forwarded-For it sends). `true`: one proxy; N: a
 * chain of N, whatever their addresses. Never Fastify's own `true`, which trusts every hop, so the client is the
 * leftmost X-Forwarded-For entry — the one the client writes itself (a new one per request bought a fresh per-client
 * auth budget and put any address in the audit log). Not Fastify's number either (5.x trusts nothing for one). The
 * peer and the next N-1 addresses are proxies; the client is the address the farthest of them appended.
 */
export function trustedProxies(
  setting: TrustProxySetting,
): false | string[] | ((addr: string, hop: number) => boolean) {
  if (setting === false) return false;
  if (Array.isArray(setting)) return [...setting];
  const hops = setting === true ? 1 : setting;
  return (_addr, hop) => hop < hops;
}

const BODY_MESSAGE = 'malformed request (the body must be valid JSON)';
const CLIENT_MESSAGES: Record<number, string> = {
  400: 'malformed request',
  403: 'forbidden path', // the web UI's files: a dotfile, a path leading out of the directory
  404: 'no such route',
  405: 'method not allowed',
  408: 'request not received in time',
  413: 'request body too large',
  414: 'request URL too long',
  431: 'request headers too large',
  415: 'unsupported content type: send application/json',
};
const CLIENT_CODES: Record<number, string> = { 403: 'E_FORBIDDEN', 404: 'E_NOT_FOUND' };
