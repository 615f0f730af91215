import { parseChangelog, selectChangeSets } from './changelog/index.js';
import { readHistory } from './delta.js';
import { planStatus, type StatusResult } from './status-plan.js';

export type { ChangeSetStatus, StatusResult } from './status-plan.js';
export { planStatus, isAcceptedChecksum } from './status-plan.js';

export interface StatusOptions {
  databaseUrl: string;
  rootDir: string;
  changelog: string;
  contexts?: string[];
  labels?: string;
  properties?: Record<string, string>;
}

/** applied / pending / drift / unknown for a live database, like `liquibase status` + `validate` or `flyway info`. */
export async function getStatus(opts: StatusOptions): Promise<StatusResult> {
  const parsed = await parseChangelog({
    rootDir: opts.rootDir,
    changelog: opts.changelog,
    ...(opts.properties ? { properties: opts.properties } : {}),
  });
  const selected = selectChangeSets(parsed.changeSets, {
    ...(opts.contexts?.length ? { contexts: opts.contexts } : {}),
    ...(opts.labels ? { labels: opts.labels } : {}),
    dbms: 'postgresql',
  });
  return planStatus(selected, parsed.changeSets, await readHistory(opts.databaseUrl));
}
