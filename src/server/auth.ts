import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify';
import type { ServerConfig } from '../config/sections/server.js';
import { HttpError } from './http-error.js';
import { parseCookies } from './cookies.js';
import { hooksWith } from './route-hooks.js';
import { safeEqual } from './password.js';
import { isAllowed, type Access } from './access.js';
import type { Principal, UserDirectory } from './user-directory.js';
import type { Session, SessionStore } from './sessions.js';
import type { CredentialChecker } from './credential-check.js';

export const SESSION_COOKIE = 'slipway_session';
export const CSRF_COOKIE = 'slipway_csrf';
export const CSRF_HEADER = 'x-csrf-token';

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: Access;
  }
  interface FastifyRequest {
    principal: Principal | null;
    session: Session | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
const BEARER = /^bearer$/i;
// The scheme as nearly every client writes it is compared first: a string compare instead of a regular expression.
const isBearer = (scheme: string) => scheme === 'Bearer' || BEARER.test(scheme);

export interface AuthDeps {
  users: UserDirectory;
  checker: CredentialChecker;
  sessions: SessionStore;
  server: ServerConfig;
}

/**
 * Reads Basic, Bearer or session-cookie credentials; null when none are sent, 401 when they are wrong, 429/503 from
 * the authentication budget (every failure counts against the client, and a password guess against the user too).
 */
export async function authenticate(req: FastifyRequest, deps: AuthDeps): Promise<Principal | null> {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const { scheme, value } = splitAuthorization(header);
    if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon <= 0) {
        deps.checker.failed(req.ip);
        throw unauthorized(req, 'malformed Basic credentials');
      }
      const p = await deps.checker.checkPassword(decoded.slice(0, colon), decoded.slice(colon + 1), req.ip);
      if (!p) throw unauthorized(req, 'wrong user name or password');
      return p;
    }
    if (isBearer(scheme)) {
      const p = await deps.checker.checkToken(value.trim(), req.ip);
      if (!p) throw unauthorized(req, 'unknown or revoked API token');
      return p;
    }
    deps.checker.failed(req.ip);
    throw unauthorized(req, 'unsupported Authorization scheme (use Basic or Bearer)');
  }
  const session = await sessionOf(req, deps);
  if (!session) return null;
  req.session = session;
  return { name: session.user, groups: deps.users.groupsOf(session.user) ?? [], via: 'session' };
}

/** `<scheme> <value>`: the scheme, and the text up to the next space (as `header.split(' ', 2)`, without the array). */
function splitAuthorization(header: string): { scheme: string; value: string } {
  const space = header.indexOf(' ');
  if (space < 0) return { scheme: header, value: '' };
  const end = header.indexOf(' ', space + 1);
  return { scheme: header.slice(0, space), value: header.slice(space + 1, end < 0 ? header.length : end) };
}

/** The live session named by the request's cookie (whatever Authorization header it also carries), else null. */
export async function sessionOf(req: FastifyRequest, deps: AuthDeps): Promise<Session | null> {
  const session = deps.sessions.get(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
  if (!session) return null;
  // Re-read the users file first: a changed password or groups, or a removed user, ends the session at once.
  await deps.users.refresh();
  const groups = deps.users.groupsOf(session.user);
  if (!groups) {
    deps.sessions.delete(session.id);
    return null;
  }
  return deps.sessions.get(session.id);
}

/** 401 with a Basic challenge, except for the web UI's fetches (X-Requested-With) which must not pop up a dialog. */
export function unauthorized(req: FastifyRequest, message: string): HttpError {
  const fromUi = req.headers['x-requested-with'] === 'XMLHttpRequest';
  return new HttpError(
    401,
    'E_AUTH',
    message,
    fromUi ? {} : { headers: { 'www-authenticate': 'Basic realm="slipway", charset="UTF-8"' } },
  );
}

/** The request's own origin, as a browser would write it in the Origin header. */
export function ownOrigin(req: FastifyRequest): string {
  // request.host honours X-Forwarded-Host (and protocol X-Forwarded-Proto) only when server.trustProxy is set.
  return `${req.protocol}://${req.host}`;
}

/** Refuses a cookie-authenticated state change without a matching X-CSRF-Token (and cookie) or from another origin. */
export function checkCsrf(req: FastifyRequest, session: Session): void {
  const header = req.headers[CSRF_HEADER];
  if (typeof header !== 'string' || !safeEqual(header, session.csrfToken)) {
    throw new HttpError(403, 'E_CSRF', 'missing or wrong X-CSRF-Token header; read the token from GET /api/session');
  }
  const cookie = parseCookies(req.headers.cookie)[CSRF_COOKIE];
  if (cookie === undefined || !safeEqual(cookie, header)) {
    throw new HttpError(403, 'E_CSRF', 'CSRF cookie missing or different from the X-CSRF-Token header');
  }
  checkOrigin(req, true);
}

/** Refuses requests whose Origin (or Referer) names another site; `required` also refuses when neither is sent. */
export function checkOrigin(req: FastifyRequest, required: boolean): void {
  let origin = req.headers.origin;
  if (origin === undefined && typeof req.headers.referer === 'string') {
    try {
      origin = new URL(req.headers.referer).origin;
    } catch {
      origin = 'invalid';
    }
  }
  if (origin === undefined) {
    if (required) throw new HttpError(403, 'E_CSRF', 'state-changing browser request without an Origin header');
    return;
  }
  if (origin !== ownOrigin(req)) throw new HttpError(403, 'E_CSRF', 'cross-origin request refused');
}

/**
 * Authenticates and authorises every route by its `config.access`, and checks CSRF. The hook is attached to each
 * protected route when it is added (onRoute), after the global onRequest hooks (the request limits run first, so a
 * 414/413 costs no password check); public routes (health probes, the UI's files) carry no hook at all.
 */
export function registerAuth(app: FastifyInstance, deps: AuthDeps): void {
  app.decorateRequest('principal', null);
  app.decorateRequest('session', null);
  const admitted: AdmittedTokens = new WeakMap();
  app.addHook('onRoute', (route) => {
    const access = route.config?.access ?? 'public';
    if (access === 'public') return;
    route.onRequest = hooksWith(authHook(access, deps, admitted), route.onRequest);
  });
}

/**
 * Per connection (its socket), the Authorization header of a Bearer token it was last admitted with, the users file's
 * generation then, and whose token it is. An API client sends the same header on every request of its keep-alive
 * connection: compared in constant time with the one admitted there, it is not hashed and looked up again (the one-shot
 * SHA-256 and the digest's map lookup were ~7k instructions a request, callgrind). Only what was admitted is kept, on
 * the connection's own entry: a request is never compared with another connection's token, and a connection that
 * carries several clients (a reverse proxy) compares each request's header with the last one admitted there, in
 * constant time, then checks it as before. A reloaded users file (a token revoked, a user removed or regrouped) starts
 * a new generation, and every header is checked again. The entry goes with the connection (weak keys).
 */
type AdmittedTokens = WeakMap<object, { header: string; generation: number; principal: Principal }>;

/**
 * The onRequest hook of a route that needs `access`. A callback hook: a Bearer token checked against a users file
 * that needs no re-check (the common case of an API client) is answered without a promise; everything else
 * (Basic, sessions, a users file to re-read) goes through `authorize`.
 */
function authHook(access: Access, deps: AuthDeps, admitted: AdmittedTokens): onRequestHookHandler {
  return (req, _reply, done) => {
    const header = req.headers.authorization;
    if (header === undefined || !deps.users.isCurrent())
      return void authorize(req, access, deps).then(() => done(), done);
    const connection = req.raw.socket;
    const generation = deps.users.generation();
    const last = admitted.get(connection);
    try {
      let p: Principal | null;
      if (last !== undefined && last.generation === generation && safeEqual(last.header, header)) {
        const { name, groups, via } = last.principal;
        p = { name, groups, via };
      } else {
        const { scheme, value } = splitAuthorization(header);
        if (!isBearer(scheme)) return void authorize(req, access, deps).then(() => done(), done);
        p = deps.checker.checkTokenNow(value.trim(), req);
        if (!p) throw unauthorized(req, 'unknown or revoked API token');
        admitted.set(connection, { header, generation, principal: p });
      }
      admit(req, access, p, deps);
    } catch (e) {
      return done(e as Error);
    }
    done();
  };
}

/**
 * The onRequest hook of a public route that shows more to a caller who may have `access` (GET /api/health with
 * `server.health.public`): a request without credentials passes with no principal; credentials that are sent are
 * checked as on any route (wrong ones are 401 and count against the authentication budget), and set the principal
 * when their groups grant `access` (else the request passes as an anonymous one).
 */
export function optionalAuthHook(access: Access, deps: AuthDeps): onRequestHookHandler {
  return (req, _reply, done) => {
    if (req.headers.authorization === undefined && req.headers.cookie === undefined) return done();
    authenticate(req, deps).then((p) => {
      if (p && isAllowed(access, p.groups, deps.server.groups)) req.principal = p;
      done();
    }, done);
  };
}

async function authorize(req: FastifyRequest, access: Access, deps: AuthDeps): Promise<void> {
  const principal = await authenticate(req, deps);
  if (!principal) throw unauthorized(req, 'authentication required (Basic, Bearer token or session)');
  admit(req, access, principal, deps);
}

/** Sets the request's principal; 403 when its groups do not grant `access`, CSRF checks for a session's changes. */
function admit(req: FastifyRequest, access: Access, principal: Principal, deps: AuthDeps): void {
  req.principal = principal;
  if (!isAllowed(access, principal.groups, deps.server.groups)) {
    throw new HttpError(403, 'E_FORBIDDEN', `this needs the ${access} permission, which your groups do not grant`);
  }
  if (principal.via === 'session' && !SAFE_METHODS.has(req.method) && req.session) checkCsrf(req, req.session);
}
