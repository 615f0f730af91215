import type { Config } from '../config/schema.js';
import type { TargetConfig } from '../config/sections/deploy.js';
import { SlipwayError } from '../errors.js';
import { watchConfigSchema, type WatchConfig } from '../health/watch-thresholds.js';

/** The target's watch-window settings (HEALTH's schema), E_CONFIG naming the field when invalid. */
export function watchSettings(t: TargetConfig): WatchConfig {
  const parsed = watchConfigSchema.safeParse(t.watch ?? {});
  if (!parsed.success) {
    throw new SlipwayError('E_CONFIG', 'invalid deploy.targets.<name>.watch settings', {
      field: 'deploy.targets.*.watch',
      details: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
    });
  }
  return parsed.data;
}

/** The database a deploy to `t` migrates: the target's own URL, else `database.url`; null when none. */
export function targetDatabaseUrl(config: Config, t: TargetConfig): string | null {
  return t.databaseUrl ?? config.database.url ?? null;
}
