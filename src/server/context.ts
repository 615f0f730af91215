import type { Config } from '../config/schema.js';
import type { ServerDeps } from './deps.js';
import type { HealthService } from './health/service.js';
import type { ServerMetrics } from './metrics.js';
import type { UserDirectory } from './user-directory.js';
import type { SessionStore } from './sessions.js';
import type { CredentialChecker } from './credential-check.js';
import type { Access } from './access.js';
import type { AuditLog } from './audit.js';

/** Everything route modules need, built once by createApp. */
export interface ServerContext {
  config: Config;
  deps: ServerDeps;
  health: HealthService;
  metrics: ServerMetrics;
  users: UserDirectory;
  sessions: SessionStore;
  checker: CredentialChecker;
  audit: AuditLog;
  startedAt: number;
  activeConnections: () => number;
}

/** `public` when the config opens a normally protected route, else `fallback`. */
export function accessFor(open: boolean, fallback: Access): Access {
  return open ? 'public' : fallback;
}
