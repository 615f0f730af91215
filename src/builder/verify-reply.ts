/**
 * The database verification as a request/reply pair, so it can run in a child process (see verify-run.ts; the
 * program entry is src/cli/verify-main.ts): PGlite's WebAssembly heap lives and dies with that process. It imports
 * only what the verification runs (not the config loader nor the changelog parser): its modules load on the
 * build's critical path.
 */
import type { Config } from '../config/schema.js';
import { verifySetupOf } from '../config/verify-setup.js';
import type { SqlSession } from '../db/session.js';
import type { VerifiablePackage, VerifyResult } from '../db/verify.js';
import type { VerifyTarget } from '../db/verify-target.js';
import { isSlipwayError, type ErrorCode } from '../errors.js';

/** The argument that tells the verification process to open its in-memory PGlite before the request comes. */
export const OPEN_PGLITE_ARG = '--open-pglite';

/** What the build sends the verification process. */
export interface VerifyRequest {
  config: Config;
  pkg: VerifiablePackage;
  /** The engine the build resolved (resolveVerifyTarget): the process never probes again. */
  target: VerifyTarget;
}

/** A SlipwayError (code set) or an unexpected error (code null, message with the stack), as plain data. */
export interface VerifyReplyError {
  code: ErrorCode | null;
  message: string;
  hint?: string;
  details?: string[];
  file?: string;
  line?: number;
  column?: number;
}

/** What the verification process answers; `maxRssKb` is its own peak RSS, measured by the entry at the end. */
export type VerifyReply = { result: VerifyResult; maxRssKb: number } | { error: VerifyReplyError };

/** Opens the in-memory PGlite a verification starts from (openVerifyPglite in db/verify.ts), before the request. */
export async function openVerifyPglite(): Promise<SqlSession> {
  const verify = await import('../db/verify.js');
  return verify.openVerifyPglite();
}

/**
 * Runs one verification request (PGlite, or a scratch database on the request's target) and returns its reply
 * as plain data (never throws). `pglite`: the session openVerifyPglite opened ahead, if any.
 */
export async function answerVerifyRequest(
  request: VerifyRequest,
  pglite?: Promise<SqlSession>,
): Promise<{ result: VerifyResult } | { error: VerifyReplyError }> {
  try {
    const { config, pkg, target } = request;
    const { verifyDatabasePackage } = await import('../db/verify.js');
    const result = await verifyDatabasePackage(pkg, {
      ...(target.engine === 'postgresql' ? { databaseUrl: target.url } : {}),
      setup: verifySetupOf(config),
      ...(pglite ? { pglite } : {}),
    });
    return { result };
  } catch (e) {
    if (!isSlipwayError(e)) {
      return { error: { code: null, message: e instanceof Error ? (e.stack ?? e.message) : String(e) } };
    }
    return {
      error: {
        code: e.code,
        message: e.message,
        hint: e.hint,
        details: e.details,
        file: e.file,
        line: e.line,
        column: e.column,
      },
    };
  }
}
