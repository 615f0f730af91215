import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { HealthSnapshot } from '../health/service.js';
import type { ServerContext } from '../context.js';
import { accessFor } from '../context.js';
import { renderHealthJson, renderPublicHealthJson } from '../health/body.js';
import { optionalAuthHook } from '../auth.js';
import { httpCodeForStatus, toIetfStatus } from '../../health/status.js';

export const SEED_HEALTH_PATH = '/rest/scriptrunner/latest/custom/databaseVersions/health';

/** GET /api/health (+ the seed's ScriptRunner path), /health/live, /health/ready. */
export function registerHealthRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const access = accessFor(ctx.config.server.health.public, 'read');
  const body = (snap: HealthSnapshot, req: FastifyRequest, reply: FastifyReply): string => {
    const now = ctx.deps.clock();
    reply
      .code(httpCodeForStatus(snap.status, { degradedCode: ctx.config.server.degradedStatus }))
      .type('application/json; charset=utf-8');
    // A public route (server.health.public) answering a caller without credentials (or whose groups do not grant
    // read): the statuses alone. Everything else about the server is for viewers.
    if (access === 'public' && !req.principal) return renderPublicHealthJson(snap, now);
    // Readable at viewer level: a check's reason may quote a connection string, so the body masks every string of the
    // body (once per measured snapshot). Already JSON text (escaped as the reply serializer would): sent as it is.
    return renderHealthJson(snap, {
      version: ctx.config.version,
      serviceId: ctx.config.name,
      now,
      startedAt: ctx.startedAt,
      activeConnections: ctx.activeConnections(),
    });
  };
  // Not an async function: with a snapshot at hand (nearly every request, checks being cached) the body is returned
  // as it is, without a promise; only a request that must wait for a measurement gets one.
  const full = (req: FastifyRequest, reply: FastifyReply): string | Promise<string> => {
    const snap = ctx.health.current();
    return snap ? body(snap, req, reply) : ctx.health.snapshot().then((s) => body(s, req, reply));
  };
  // Public: the caller who sends credentials that grant read gets the full body, anyone else the statuses.
  const onRequest =
    access === 'public'
      ? optionalAuthHook('read', {
          users: ctx.users,
          checker: ctx.checker,
          sessions: ctx.sessions,
          server: ctx.config.server,
        })
      : undefined;
  const opts = { config: { access }, ...(onRequest ? { onRequest } : {}) };
  app.get('/api/health', opts, full);
  app.get(SEED_HEALTH_PATH, opts, full);

  // Liveness: the process answers. Never touches the database, so a slow database does not get the pod killed.
  app.get('/health/live', { config: { access: 'public' } }, async () => ({
    status: 'pass',
    uptime: Math.round((ctx.deps.clock() - ctx.startedAt) / 1000),
  }));

  // Readiness: the measured status, without the details (public, for load balancers and deploy gates).
  app.get('/health/ready', { config: { access: 'public' } }, async (_req, reply) => {
    const snap = await ctx.health.snapshot();
    reply.code(httpCodeForStatus(snap.status, { degradedCode: ctx.config.server.degradedStatus }));
    return { status: toIetfStatus(snap.status), overall: { status: snap.status } };
  });
}
