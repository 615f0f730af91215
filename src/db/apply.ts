import { openSession } from './session.js';
import { checkPsqlScript, runPsqlScript } from './psql-runner.js';
import { DROP_CHANGESET_CHECK } from './render-bookkeeping.js';

export interface ApplyResult {
  executed: { id: string; author: string; filename: string }[];
  /** Changesets of the package the database already had (not run). */
  alreadyApplied: number;
  /** Changesets that failed and were left unrecorded (failOnError false), and skipped by a precondition (CONTINUE). */
  failed: number;
  preconditionSkipped: number;
  ms: number;
  /** Statement errors the package tolerated (failOnError:false changesets), as messages with their location. */
  tolerated?: string[];
}

export interface ApplySqlOptions {
  databaseUrl: string;
  sql: string;
  signal?: AbortSignal;
  /** Receives each `\echo` line as the script runs (the CLI prints them to stderr). */
  onEcho?: (text: string) => void;
  /** The script's file, named in errors found before anything runs. */
  file?: string;
}

/**
 * What became of the package's changesets that this run did not record, in words: each count as the script reported
 * it (render-changeset.ts's outcome lines), never inferred from the total alone.
 */
export function notRecordedSummary(r: Pick<ApplyResult, 'alreadyApplied' | 'failed' | 'preconditionSkipped'>): string {
  const parts = [`${r.alreadyApplied} already applied`];
  if (r.failed) parts.push(`${r.failed} failed and not recorded (failOnError false)`);
  if (r.preconditionSkipped) parts.push(`${r.preconditionSkipped} skipped by a precondition (CONTINUE)`);
  return parts.join(', ');
}

/** Runs a package (or rollback SQL) with psql semantics (ON_ERROR_STOP); `executed` = changesets recorded by this run. */
export async function applySql(opts: ApplySqlOptions): Promise<ApplyResult> {
  const started = performance.now();
  // Refused before it connects: a script the runner could not finish must not be half-applied.
  checkPsqlScript(opts.sql, opts.file);
  const session = await openSession(opts.databaseUrl);
  try {
    const r = await runPsqlScript(session, opts.sql, {
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.onEcho ? { onEcho: opts.onEcho } : {}),
    });
    return {
      executed: r.executed.map(({ id, author, filename }) => ({ id, author, filename })),
      alreadyApplied: Math.max(0, r.changeSetsSeen - r.executed.length - r.failed - r.preconditionSkipped),
      failed: r.failed,
      preconditionSkipped: r.preconditionSkipped,
      ms: Math.round(performance.now() - started),
      ...(r.errors.length
        ? { tolerated: r.errors.map((e) => (e.location ? `${e.location}: ${e.message}` : e.message)) }
        : {}),
    };
  } catch (error) {
    // psql leaves an open transaction to die with the connection; say so explicitly (PGlite keeps the session).
    await session.query('ROLLBACK').catch(() => undefined);
    // The changesets committed before the failure did not wait for their WAL flush (changeSetCheck): this
    // synchronous commit flushes them before the failure is reported, as the end of psql's session does.
    await session.query(DROP_CHANGESET_CHECK).catch(() => undefined);
    throw error;
  } finally {
    await session.close().catch(() => undefined);
  }
}
