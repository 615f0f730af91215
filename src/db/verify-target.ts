/**
 * Where a verification runs: a scratch database on a PostgreSQL server, or PGlite in memory. The one place that turns
 * database.verifyUrl (or `db verify --database-url`) and, for `auto`, the libpq environment and a probe of the local
 * server into that decision and the reason for it. Everything that verifies (the build, `slipway package`,
 * `db verify`) and the dry-run plan asks here.
 */
import { existsSync } from 'node:fs';
import { userInfo } from 'node:os';
import path from 'node:path';
import { maskUrl } from '../errors.js';

/** The value of database.verifyUrl that asks for a probe of the local PostgreSQL server. */
export const VERIFY_URL_AUTO = 'auto';

/** The engine a verification runs on and why; `url` may hold a password (print `reason`, or maskUrl(url)). */
export type VerifyTarget = { engine: 'postgresql'; url: string; reason: string } | { engine: 'pglite'; reason: string };

/** The libpq variables the `auto` probe reads, as psql would; anything else in the environment is ignored. */
export type LibpqEnv = Partial<Record<'PGHOST' | 'PGPORT' | 'PGUSER' | 'PGDATABASE' | 'PGPASSWORD', string>>;

export interface ResolveVerifyTargetOptions {
  /** The environment of the command (default process.env). */
  env?: Record<string, string | undefined>;
  /** libpq's default user (default the OS user, as psql). */
  osUser?: string;
  /** Connect and query timeout of each probe (default 1000 ms: a local server answers in milliseconds). */
  timeoutMs?: number;
  /** Where `configured` came from, for the reason (default `database.verifyUrl`). */
  source?: string;
  /** Unix-socket directories tried when PGHOST is unset (default libpq's: /var/run/postgresql, /tmp). */
  socketDirs?: string[];
}

const DEFAULT_SOCKET_DIRS = ['/var/run/postgresql', '/tmp'];

/** What the config says before any probe: a known target, or `auto` (resolveVerifyTarget probes). */
export function configuredVerifyTarget(
  configured: string | undefined,
  source = 'database.verifyUrl',
): VerifyTarget | 'auto' {
  if (configured === VERIFY_URL_AUTO) return 'auto';
  if (configured) return { engine: 'postgresql', url: configured, reason: `${source} is ${maskUrl(configured)}` };
  return { engine: 'pglite', reason: `${source} is not set: a postgres:// URL or auto verifies on PostgreSQL` };
}

/** The verify engine as the dry-run plan states it (no probe: a plan touches nothing). */
export function describeConfiguredVerifyTarget(configured: string | undefined): string {
  const t = configuredVerifyTarget(configured);
  if (t === 'auto')
    return (
      'database.verifyUrl auto: a scratch database on the local PostgreSQL server (libpq environment, else ' +
      '127.0.0.1:5432) if it answers and its role may CREATE DATABASE, else PGlite in memory'
    );
  return t.engine === 'postgresql' ? `scratch database on ${maskUrl(t.url)}` : 'PGlite in memory';
}

/**
 * The servers `auto` probes, in order: the libpq environment's (PGHOST, which may be a socket directory; PGPORT,
 * PGUSER, PGPASSWORD; PGDATABASE, else `postgres`, the database createdb connects to) when PGHOST or PGPORT is set,
 * else 127.0.0.1:5432 and then libpq's default socket directories that hold a socket. Pure but for the socket check.
 */
export function autoProbeUrls(
  env: LibpqEnv | Record<string, string | undefined>,
  osUser: string,
  socketDirs: string[] = DEFAULT_SOCKET_DIRS,
): string[] {
  const user = env.PGUSER || osUser;
  const port = env.PGPORT || '5432';
  const db = env.PGDATABASE || 'postgres';
  const auth = encodeURIComponent(user) + (env.PGPASSWORD ? `:${encodeURIComponent(env.PGPASSWORD)}` : '');
  // A socket directory goes in the host part percent-encoded (pg-connection-string decodes it; a leading / means a
  // Unix socket to pg), so the URL still parses with new URL() and the scratch database can replace its path.
  const url = (host: string) =>
    `postgres://${auth}@${host.startsWith('/') ? encodeURIComponent(host) : host.includes(':') ? `[${host}]` : host}` +
    `:${port}/${encodeURIComponent(db)}`;
  if (env.PGHOST) return env.PGHOST.split(',').map((h) => url(h.trim()));
  const sockets = socketDirs.filter((d) => existsSync(path.join(d, `.s.PGSQL.${port}`)));
  return [url('127.0.0.1'), ...sockets.map(url)];
}

/** Why `url` cannot take a scratch database, or null when it answers and its role may CREATE DATABASE. */
async function probe(url: string, timeoutMs: number): Promise<string | null> {
  // Loaded here: the dry-run plan reads this module and opens nothing.
  const { openSession } = await import('./session.js');
  let session;
  try {
    session = await openSession(url, { connectTimeoutMs: timeoutMs, queryTimeoutMs: timeoutMs });
  } catch (e) {
    const cause = (e as { cause?: Error }).cause ?? (e as Error);
    return `no local PostgreSQL answered at ${where(url)} (${cause.message || (cause as { code?: string }).code})`;
  }
  try {
    const { rows } = await session.query(
      'SELECT current_user AS role, (rolcreatedb OR rolsuper) AS may FROM pg_roles WHERE rolname = current_user',
    );
    const row = rows[0];
    return row?.may === 't'
      ? null
      : `the local PostgreSQL at ${where(url)} answered, but role ${row?.role ?? '?'} may not CREATE DATABASE (no CREATEDB, not superuser)`;
  } catch (e) {
    return `the local PostgreSQL at ${where(url)} answered, but its roles could not be read (${(e as Error).message})`;
  } finally {
    await session.close().catch(() => session.destroy());
  }
}

/** libpq's default user: the OS user (USER/LOGNAME when the passwd entry is missing, as in some containers). */
function osUserName(env: Record<string, string | undefined>): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER || env.LOGNAME || 'postgres';
  }
}

/** `127.0.0.1:5432` or `/var/run/postgresql:5432` (no user, no password). */
function where(url: string): string {
  const u = new URL(url);
  return `${decodeURIComponent(u.hostname)}:${u.port || '5432'}`;
}

/**
 * The target for database.verifyUrl (or a flag's value) `configured`: a postgres:// URL is that server, unset is
 * PGlite, `auto` probes the local server (autoProbeUrls, each with a short timeout) and takes the first that answers
 * and may CREATE DATABASE, else PGlite with the reason. Never throws: a probe that fails is a reason.
 */
export async function resolveVerifyTarget(
  configured: string | undefined,
  opts: ResolveVerifyTargetOptions = {},
): Promise<VerifyTarget> {
  const source = opts.source ?? 'database.verifyUrl';
  const known = configuredVerifyTarget(configured, source);
  if (known !== 'auto') return known;
  const env = opts.env ?? process.env;
  const urls = autoProbeUrls(env, opts.osUser ?? osUserName(env), opts.socketDirs);
  const reasons: string[] = [];
  for (const url of urls) {
    const why = await probe(url, opts.timeoutMs ?? 1000);
    if (why === null) {
      return {
        engine: 'postgresql',
        url,
        reason: `${source} auto: the local PostgreSQL at ${maskUrl(url)} answered and may CREATE DATABASE`,
      };
    }
    reasons.push(why);
  }
  return { engine: 'pglite', reason: `${source} auto: ${reasons.join('; ')}` };
}
