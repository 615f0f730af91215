/**
 * What GET /api/session and POST /api/login answer. Kept free of imports so the web UI shares it (src/web type-checks
 * without Node's types).
 */

/** What a user's groups allow (src/server/access.ts permissionsOf decides it). */
export interface Permissions {
  read: boolean;
  deploy: boolean;
  admin: boolean;
}

export interface SessionInfo {
  authenticated: boolean;
  user: string | null;
  groups: string[];
  permissions: Permissions;
  csrfToken: string | null;
  expiresAt: string | null;
}

/** The session of a request without valid credentials: what the server answers and the UI shows once signed out. */
export function signedOutSession(): SessionInfo {
  return {
    authenticated: false,
    user: null,
    groups: [],
    permissions: { read: false, deploy: false, admin: false },
    csrfToken: null,
    expiresAt: null,
  };
}
