/**
 * The other areas' functions deploy calls (team contracts), gathered in one object: the single seam a test may
 * swap (STYLE.md §12), and the one place to look when a contract changes.
 */
import { validatePackage } from '../manifest/validate.js';
import { applySql } from '../db/apply.js';
import { readDatabaseRole } from '../db/role.js';
import { planRollbackSql } from '../db/rollback.js';
import { probeHealth, waitForHealthy } from '../health/probe.js';
import type { ChangeSetIndexEntry } from '../db/index-entry.js';

export type { ChangeSetIndexEntry };
export interface ChangeSetKey {
  id: string;
  author: string;
  filename: string;
}

export interface Contracts {
  validatePackage: typeof validatePackage;
  applySql: typeof applySql;
  readDatabaseRole: typeof readDatabaseRole;
  planRollbackSql: typeof planRollbackSql;
  probeHealth: typeof probeHealth;
  waitForHealthy: typeof waitForHealthy;
}

const contracts: Contracts = {
  validatePackage,
  applySql,
  readDatabaseRole,
  planRollbackSql,
  probeHealth,
  waitForHealthy,
};

/** The contract functions. */
export async function loadContracts(): Promise<Contracts> {
  return contracts;
}
