/**
 * The other areas' functions deploy calls (signatures from the team contracts). They are written in parallel, so
 * each is loaded at call time and, while its module has not landed, replaced by the small stand-in in
 * fallbacks.ts. Once all have landed these become plain static imports.
 */
import { applySqlWithPsql, planRollbackSqlFromIndex, waitForHealthyByFetch, probeByFetch } from './fallbacks.js';

export interface ChangeSetKey { id: string; author: string; filename: string }
export interface ChangeSetIndexEntry extends ChangeSetKey { checksum: string; rollback: string[] | null; tag: string | null }
export interface ApplyResult { executed: ChangeSetKey[]; skipped: number; ms: number }
export type HealthStatus = 'HEALTHY' | 'DEGRADED' | 'UNHEALTHY';
export interface ProbeResult { status: HealthStatus | 'UNREACHABLE'; httpStatus: number | null; ms: number; reason: string; body: unknown }
export interface WaitResult { ok: boolean; attempts: number; last: ProbeResult; ms: number }
export interface PackageProblem { code: string; message: string; path?: string }
export interface ValidationResult { ok: boolean; problems: PackageProblem[]; sha256: string; bytes: number; entries: number }

export interface Contracts {
  validatePackage: ((file: string, opts?: { expectedSha256?: string }) => Promise<ValidationResult>) | null;
  applySql: (opts: { databaseUrl: string; sql: string; signal?: AbortSignal }) => Promise<ApplyResult>;
  planRollbackSql: (index: ChangeSetIndexEntry[], keys: ChangeSetKey[]) => string;
  probeHealth: (url: string, opts?: { timeoutMs?: number }) => Promise<ProbeResult>;
  waitForHealthy: (opts: { url: string; timeoutMs: number; intervalMs: number; allowDegraded: boolean; signal?: AbortSignal }) => Promise<WaitResult>;
}

async function importOptional(rel: string): Promise<Record<string, unknown> | null> {
  try {
    return (await import(rel)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const msg = String((e as Error).message);
    if (code === 'ERR_MODULE_NOT_FOUND' || /Cannot find module|Failed to load url|does not exist/i.test(msg)) return null;
    throw e;
  }
}

let cached: Promise<Contracts> | null = null;

/** Loads the contract functions once (real implementations where they exist). */
export function loadContracts(): Promise<Contracts> {
  cached ??= (async () => {
    const [manifest, apply, rollback, probe] = await Promise.all([
      importOptional('../manifest/validate.js'),
      importOptional('../db/apply.js'),
      importOptional('../db/rollback.js'),
      importOptional('../health/probe.js'),
    ]);
    return {
      validatePackage: (manifest?.validatePackage as Contracts['validatePackage']) ?? null,
      applySql: (apply?.applySql as Contracts['applySql']) ?? applySqlWithPsql,
      planRollbackSql: (rollback?.planRollbackSql as Contracts['planRollbackSql']) ?? planRollbackSqlFromIndex,
      probeHealth: (probe?.probeHealth as Contracts['probeHealth']) ?? probeByFetch,
      waitForHealthy: (probe?.waitForHealthy as Contracts['waitForHealthy']) ?? waitForHealthyByFetch,
    };
  })();
  return cached;
}
