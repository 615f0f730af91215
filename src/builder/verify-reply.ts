/**
 * The database verification as a request/reply pair, so it can run in a child process (see verify-run.ts; the
 * program entry is src/cli/verify-main.ts): PGlite's WebAssembly heap lives and dies with that process.
 */
import type { Config } from '../config/schema.js';
import type { VerifiablePackage } from '../db/verify.js';
import { isSlipwayError, type ErrorCode } from '../errors.js';
import { verifyDb, type DbVerify } from './package-db.js';

/** What the build sends the verification process. */
export interface VerifyRequest {
  config: Config;
  pkg: VerifiablePackage;
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
export type VerifyReply = { result: DbVerify; maxRssKb: number } | { error: VerifyReplyError };

/** Runs one verification request and returns its reply as plain data (never throws). */
export async function answerVerifyRequest(
  request: VerifyRequest,
): Promise<{ result: DbVerify } | { error: VerifyReplyError }> {
  try {
    return { result: await verifyDb(request.config, request.pkg) };
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
