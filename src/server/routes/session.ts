import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { ServerContext } from '../context.js';
import { parseInput } from '../validate.js';
import { HttpError } from '../http-error.js';
import { serializeCookie } from '../cookies.js';
import { authenticate, checkCsrf, checkOrigin, sessionOf, CSRF_COOKIE, SESSION_COOKIE } from '../auth.js';
import { permissionsOf } from '../access.js';
import { USER_NAME } from '../users-file.js';
import { BODY_LIMITS } from '../http-limits.js';
import type { Session } from '../sessions.js';
import { signedOutSession } from '../session-info.js';

const loginBody = z
  .object({
    username: z.string().min(1).max(64).regex(USER_NAME, 'a user name'),
    password: z.string().min(1).max(1024),
  })
  .strict();

/** POST /api/login, POST /api/logout, GET /api/session, GET /api/csrf — browser sessions for the web UI. */
export function registerSessionRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const secure = ctx.config.server.secureCookies;
  const authDeps = { users: ctx.users, checker: ctx.checker, sessions: ctx.sessions, server: ctx.config.server };
  const setCookies = (reply: FastifyReply, s: Session | null) => {
    const maxAgeSeconds = s ? Math.floor(ctx.config.server.sessionTtlMs / 1000) : 0;
    reply.header('set-cookie', [
      serializeCookie(SESSION_COOKIE, s?.id ?? '', { maxAgeSeconds, httpOnly: true, secure }),
      // Readable by the page on purpose: double-submit CSRF token, echoed in X-CSRF-Token.
      serializeCookie(CSRF_COOKIE, s?.csrfToken ?? '', { maxAgeSeconds, httpOnly: false, secure }),
    ]);
  };
  const describe = (name: string, groups: string[], s: Session | null) => ({
    authenticated: true,
    user: name,
    groups,
    permissions: permissionsOf(groups, ctx.config.server.groups),
    csrfToken: s?.csrfToken ?? null,
    expiresAt: s ? new Date(s.expiresAt).toISOString() : null,
  });

  app.post(
    '/api/login',
    {
      bodyLimit: BODY_LIMITS.login,
      config: {
        access: 'public',
        audit: true,
        rateLimit: {
          max: ctx.config.server.rateLimit.loginPerMinute,
          timeWindow: ctx.config.server.rateLimit.windowMs,
          groupId: 'login',
        },
      },
    },
    async (req, reply) => {
      checkOrigin(req, false); // login CSRF: a foreign page must not sign the browser in as someone else
      const body = parseInput(loginBody, req.body, 'body');
      req.auditUser = body.username;
      const p = await ctx.checker.checkPassword(body.username, body.password, req.ip);
      if (!p) throw new HttpError(401, 'E_AUTH', 'wrong user name or password');
      const s = ctx.sessions.create(p.name, p.groups);
      setCookies(reply, s);
      return describe(p.name, p.groups, s);
    },
  );

  app.post(
    '/api/logout',
    { bodyLimit: BODY_LIMITS.logout, config: { access: 'public', audit: true } },
    async (req, reply) => {
      // The cookie's session ends whatever Authorization header comes with it (that header is not checked here).
      const s = await sessionOf(req, authDeps);
      if (s) {
        checkCsrf(req, s);
        req.auditUser = s.user;
        ctx.sessions.delete(s.id);
      }
      setCookies(reply, null);
      return { authenticated: false };
    },
  );

  const session = async (req: FastifyRequest) => {
    // 200 with authenticated:false rather than 401, so the UI's first call does not log a console error.
    const p = await authenticate(req, authDeps);
    if (!p) return signedOutSession();
    return describe(p.name, p.groups, req.session);
  };
  app.get('/api/session', { config: { access: 'public' } }, session);
  app.get('/api/csrf', { config: { access: 'public' } }, async (req) => ({
    csrfToken: (await session(req)).csrfToken,
  }));
}
