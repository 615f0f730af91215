/**
 * HTTP API error codes (the `code` in `{ error: { code, message } }`). Stable; the web UI and scripts switch on them.
 * E_VALIDATION 400/413/414/431 · E_AUTH 401 · E_FORBIDDEN 403 · E_CSRF 403 · E_NOT_FOUND 404 · E_METHOD 405 ·
 * E_TIMEOUT 408 · E_CONFLICT 409 ·
 * E_RATE_LIMIT 429 · E_UNAVAILABLE 503 · E_INTERNAL 500, plus any SlipwayError code passed through from the library.
 */
export type HttpErrorCode =
  | 'E_VALIDATION'
  | 'E_AUTH'
  | 'E_FORBIDDEN'
  | 'E_CSRF'
  | 'E_NOT_FOUND'
  | 'E_METHOD'
  | 'E_TIMEOUT'
  | 'E_CONFLICT'
  | 'E_RATE_LIMIT'
  | 'E_UNAVAILABLE'
  | 'E_INTERNAL';

/** An error that carries its HTTP status (Hono-style); the error handler renders it as JSON. */
export class HttpError extends Error {
  readonly statusCode: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly headers: Record<string, string>;

  constructor(
    statusCode: number,
    code: HttpErrorCode | string,
    message: string,
    opts: { field?: string; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'HttpError';
    this.statusCode = statusCode;
    this.code = code;
    this.field = opts.field;
    this.headers = opts.headers ?? {};
  }

  toJSON(): { error: { code: string; message: string; field?: string } } {
    return { error: { code: this.code, message: this.message, ...(this.field ? { field: this.field } : {}) } };
  }
}
