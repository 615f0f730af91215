import type { Config } from '../config/schema.js';
import type { TargetConfig } from '../config/sections/deploy.js';

/** The database a deploy to `t` migrates: the target's own URL, else `database.url`; null when none. */
export function targetDatabaseUrl(config: Config, t: TargetConfig): string | null {
  return t.databaseUrl ?? config.database.url ?? null;
}
