import { readChangelog, type ChangelogInput } from './read-changelog.js';
import { readHistory } from './delta.js';
import { historyTables } from './history-tables.js';
import { planStatus, type StatusResult } from './status-plan.js';

export type { ChangeSetStatus, StatusResult } from './status-plan.js';
export { planStatus, isAcceptedChecksum } from './status-plan.js';

export interface StatusOptions extends ChangelogInput {
  databaseUrl: string;
  /** Renamed history/lock tables (Liquibase `--database-changelog-table-name`…). */
  changelogTable?: string;
  changelogLockTable?: string;
}

/** applied / pending / drift / unknown for a live database, like `liquibase status` + `validate` or `flyway info`. */
export async function getStatus(opts: StatusOptions): Promise<StatusResult> {
  const { parsed, selected } = await readChangelog(opts);
  return planStatus(selected, parsed.changeSets, await readHistory(opts.databaseUrl, historyTables(opts)));
}
