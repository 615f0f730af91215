import { readChangelog, type ChangelogInput } from './read-changelog.js';
import { readHistory } from './delta.js';
import { historyTables, type HistoryTableNames } from './history-tables.js';
import { planStatus, type StatusResult } from './status-plan.js';

export type { ChangeSetStatus, StatusResult } from './status-plan.js';
export { planStatus, isAcceptedChecksum } from './status-plan.js';

/** Renamed or moved history/lock tables (HistoryTableNames: Liquibase `--database-changelog-table-name`…). */
export interface StatusOptions extends ChangelogInput, HistoryTableNames {
  databaseUrl: string;
}

/** applied / pending / drift / unknown for a live database, like `liquibase status` + `validate` or `flyway info`. */
export async function getStatus(opts: StatusOptions): Promise<StatusResult> {
  const { parsed, selected } = await readChangelog(opts);
  return planStatus(selected, parsed.changeSets, await readHistory(opts.databaseUrl, historyTables(opts)));
}
