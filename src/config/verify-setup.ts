import path from 'node:path';
import type { Config } from './schema.js';

/** `database.verifySetup` with its files made absolute (they are written relative to the config file). */
export function verifySetupOf(config: Config): { sql: string[]; files: string[] } {
  const setup = config.database.verifySetup;
  return {
    sql: setup?.sql ?? [],
    files: (setup?.files ?? []).map((f) => path.resolve(config.configDir, f)),
  };
}
