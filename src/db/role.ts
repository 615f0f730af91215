/**
 * Who a deploy's SQL runs as. A superuser (or a role that may `SET ROLE` to one) can run `COPY … PROGRAM`, read
 * server files and bypass every grant, so a package applied with it has the whole server; deploy and `db apply`
 * warn about it (docs/errors.md, W_DB_SUPERUSER); the deploy layer through deploy/role-warning.ts (migrate and every
 * database rollback: `slipway rollback`, `recover`, the undo of a failed deploy).
 */
import { maskUrl } from '../errors.js';
import { openSession, type SqlSession } from './session.js';

export interface DatabaseRole {
  /** current_user of the session. */
  name: string;
  /** pg_roles.rolsuper of current_user. */
  superuser: boolean;
  /** A superuser role current_user is a member of (it may `SET ROLE` to it), when it is not one itself. */
  memberOfSuperuser: string | null;
}

// pg_has_role(…, 'MEMBER') ignores NOINHERIT: membership alone lets the role SET ROLE to the superuser.
// (For a superuser pg_has_role is true of every role, so it is asked only of the others.)
const ROLE_SQL = `SELECT r.rolname AS name, r.rolsuper AS superuser,
  CASE WHEN NOT r.rolsuper THEN (SELECT s.rolname FROM pg_roles s
     WHERE s.rolsuper AND pg_has_role(r.oid, s.oid, 'MEMBER') ORDER BY s.rolname LIMIT 1) END AS via
FROM pg_roles r WHERE r.rolname = current_user`;

/** Reads the role of an open session (PostgreSQL only: PGlite runs in-process and has no OS shell to reach). */
export async function readSessionRole(session: SqlSession): Promise<DatabaseRole | null> {
  if (session.engine !== 'postgresql') return null;
  const row = (await session.query(ROLE_SQL)).rows[0];
  if (!row) return null;
  return { name: row.name ?? '', superuser: row.superuser === 't', memberOfSuperuser: row.via ?? null };
}

/** Connects to `url`, reads the role, closes; null for PGlite. */
export async function readDatabaseRole(
  url: string,
  opts: { connectTimeoutMs?: number } = {},
): Promise<DatabaseRole | null> {
  const session = await openSession(url, opts);
  try {
    return await readSessionRole(session);
  } finally {
    await session.close().catch(() => undefined);
  }
}

/** The one-line warning (with its hint) when the role has superuser power, else null. */
export function superuserWarning(role: DatabaseRole | null, url: string): string | null {
  if (!role || (!role.superuser && !role.memberOfSuperuser)) return null;
  const what = role.superuser
    ? `role "${role.name}" is a superuser`
    : `role "${role.name}" may SET ROLE to superuser "${role.memberOfSuperuser}"`;
  return (
    `W_DB_SUPERUSER: ${what} on ${maskUrl(url)}: the package's SQL can run shell commands on the database host ` +
    `and bypass every grant; hint: deploy with a non-superuser role that owns the application's schema ` +
    `(CREATE ROLE … LOGIN NOSUPERUSER)`
  );
}
