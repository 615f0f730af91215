/**
 * The one place a deploy-layer run warns about the database role (W_DB_SUPERUSER, src/db/role.ts) before it runs a
 * package's SQL: deploy's migrate step and every database rollback (the undo of a failed deploy, `slipway
 * rollback`, `slipway recover --yes`, the fleet's rollback). Journaled and shown under the step about to run the
 * SQL; a db-rollback warns before its begin line, so nothing is journaled between that line (what recovery decides
 * from) and the SQL.
 */
import { superuserWarning } from '../db/role.js';
import type { Contracts } from './contracts.js';
import type { StepRunner } from './step-runner.js';
import type { DeployStep } from './types.js';

/** Reads the role of `databaseUrl` and warns on `step` when it has superuser power (nothing for PGlite). */
export async function warnIfSuperuser(
  contracts: Pick<Contracts, 'readDatabaseRole'>,
  steps: Pick<StepRunner, 'warn'>,
  step: DeployStep,
  databaseUrl: string,
): Promise<void> {
  const warning = superuserWarning(await contracts.readDatabaseRole(databaseUrl), databaseUrl);
  if (warning) await steps.warn(step, warning);
}
