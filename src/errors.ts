/**
 * The one error type Slipway throws for expected failures (STYLE.md §7).
 * `code` is stable (documented in docs/errors.md); `message` says what failed and the value involved;
 * `hint` says what to do next; `file`/`line`/`column`/`field` say where.
 */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_CONFIG'
  | 'E_CONFIG_NOT_FOUND'
  | 'E_IO'
  | 'E_SCAN'
  | 'E_CHECK_FAILED'
  | 'E_SYNTAX'
  | 'E_PACKAGE'
  | 'E_VALIDATE'
  | 'E_MANIFEST'
  | 'E_CHANGELOG'
  | 'E_CHECKSUM'
  | 'E_DB'
  | 'E_DB_CONNECT'
  | 'E_ROLLBACK'
  | 'E_DEPLOY'
  | 'E_LOCKED'
  | 'E_UNSAFE_ARCHIVE'
  | 'E_SIGN'
  | 'E_UNSAFE_SQL'
  | 'E_SIGNATURE'
  | 'E_HEALTH'
  | 'E_COMPAT'
  | 'E_NOT_READY'
  | 'E_SERVER'
  | 'E_AUTH'
  | 'E_NOT_FOUND'
  | 'E_INTERRUPTED'
  | 'E_INTERNAL';

/** Error codes that are the caller's fault (usage or configuration): the CLI exits 2 for these. */
export const USAGE_CODES: ReadonlySet<ErrorCode> = new Set(['E_USAGE', 'E_CONFIG', 'E_CONFIG_NOT_FOUND']);

export interface ErrorDetails {
  hint?: string;
  file?: string;
  line?: number;
  column?: number;
  field?: string;
  /** Extra lines shown under the message (e.g. a caret excerpt, or one line per problem). */
  details?: string[];
  cause?: unknown;
}

export class SlipwayError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly file: string | undefined;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly field: string | undefined;
  readonly details: string[];

  constructor(code: ErrorCode, message: string, info: ErrorDetails = {}) {
    super(message, info.cause === undefined ? undefined : { cause: info.cause });
    this.name = 'SlipwayError';
    this.code = code;
    this.hint = info.hint;
    this.file = info.file;
    this.line = info.line;
    this.column = info.column;
    this.field = info.field;
    this.details = info.details ?? [];
  }

  /** `file:line:col` where known, else undefined. */
  get location(): string | undefined {
    if (!this.file) return undefined;
    let loc = this.file;
    if (this.line !== undefined) loc += `:${this.line}`;
    if (this.line !== undefined && this.column !== undefined) loc += `:${this.column}`;
    return loc;
  }

  /** Plain JSON for `--json` output and HTTP error bodies (never includes the stack or the cause). */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.file ? { file: this.file } : {}),
      ...(this.line !== undefined ? { line: this.line } : {}),
      ...(this.column !== undefined ? { column: this.column } : {}),
      ...(this.field ? { field: this.field } : {}),
      ...(this.details.length ? { details: this.details } : {}),
    };
  }
}

export function isSlipwayError(e: unknown): e is SlipwayError {
  return e instanceof SlipwayError;
}

/** Masks the password in a connection URL (`postgres://u:secret@h/db` → `postgres://u:***@h/db`). */
export function maskUrl(url: string): string {
  return url.replace(/(\/\/[^:/@\s]+:)([^@\s]*)@/, '$1***@');
}

/** A caret excerpt of `source` at 1-based line/column, for error details. */
export function caretExcerpt(source: string, line: number, column = 1): string[] {
  const lines = source.split(/\r?\n/);
  const text = lines[line - 1];
  if (text === undefined) return [];
  const gutter = `${line} | `;
  return [gutter + text, ' '.repeat(gutter.length + Math.max(0, column - 1)) + '^'];
}
