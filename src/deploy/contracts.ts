/**
 * The other areas' functions deploy calls (team contracts). validatePackage, applySql, probeHealth and
 * waitForHealthy have landed and are imported statically; planRollbackSql (src/db/rollback.ts) is loaded at call
 * time and, until its module lands, replaced by the stand-in in fallbacks.ts. Tests may swap any of them (one seam).
 */
import { validatePackage } from '../manifest/validate.js';
import { applySql } from '../db/apply.js';
import { probeHealth, waitForHealthy } from '../health/probe.js';
import { planRollbackSqlFromIndex } from './fallbacks.js';

export interface ChangeSetKey { id: string; author: string; filename: string }
export interface ChangeSetIndexEntry extends ChangeSetKey { checksum: string; rollback: string[] | null; tag: string | null }

export interface Contracts {
  validatePackage: typeof validatePackage;
  applySql: typeof applySql;
  planRollbackSql: (index: ChangeSetIndexEntry[], keys: ChangeSetKey[]) => string;
  probeHealth: typeof probeHealth;
  waitForHealthy: typeof waitForHealthy;
}

async function importOptional(rel: string): Promise<Record<string, unknown> | null> {
  try {
    return (await import(rel)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load url|does not exist/i.test(String((e as Error).message))) return null;
    throw e;
  }
}

let cached: Promise<Contracts> | null = null;

/** Loads the contract functions once. */
export function loadContracts(): Promise<Contracts> {
  cached ??= (async () => {
    const rollback = await importOptional('../db/rollback.js');
    return {
      validatePackage,
      applySql,
      planRollbackSql: (rollback?.planRollbackSql as Contracts['planRollbackSql'] | undefined) ?? planRollbackSqlFromIndex,
      probeHealth,
      waitForHealthy,
    };
  })();
  return cached;
}
