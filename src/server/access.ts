import type { ServerConfig } from '../config/sections/server.js';
import type { Permissions } from './session-info.js';

/** Route access levels: read = viewers, deploy = deployers, admin = admins. */
export type Access = 'public' | 'read' | 'deploy' | 'admin';

export type { Permissions };

/**
 * What a user's groups allow. Admins implicitly have everything; deployers can also read (a deployer must see the
 * releases they roll back). Pure, so the web UI can show exactly what the server will allow.
 */
export function permissionsOf(groups: readonly string[], g: ServerConfig['groups']): Permissions {
  const admin = groups.includes(g.admin);
  const deploy = admin || groups.includes(g.deploy);
  const read = deploy || groups.includes(g.read);
  return { read, deploy, admin };
}

/** True when `groups` grant `access`. */
export function isAllowed(access: Access, groups: readonly string[], g: ServerConfig['groups']): boolean {
  if (access === 'public') return true;
  return permissionsOf(groups, g)[access];
}
