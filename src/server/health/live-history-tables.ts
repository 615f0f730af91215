import { access } from 'node:fs/promises';
import path from 'node:path';
import { historyTables, type HistoryTables } from '../../db/history-tables.js';
import { readHistoryTables } from '../../deploy/db-rollback.js';
import type { ServerContext } from '../context.js';
import { targetOf } from '../routes/releases.js';

/**
 * The history tables the health check counts: the ones the live release's package writes (its
 * version-compatibility.json), else — no deploy target or nothing live — the config's database.changelogTable….
 */
export async function liveHistoryTables(ctx: Pick<ServerContext, 'config' | 'deps'>): Promise<HistoryTables> {
  const configured = historyTables(ctx.config.database);
  let live: string;
  try {
    live = path.join(targetOf(ctx).root, 'current');
  } catch {
    return configured; // no deploy target this server shows
  }
  const ok = await access(path.join(live, 'version-compatibility.json')).then(
    () => true,
    () => false,
  );
  return ok ? readHistoryTables(live) : configured;
}
