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
  | 'E_SSH'
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
    // Messages quote URLs and driver errors: secrets never reach a terminal, a log or an HTTP body through them.
    super(maskSecrets(message), info.cause === undefined ? undefined : { cause: info.cause });
    this.name = 'SlipwayError';
    this.code = code;
    this.hint = info.hint === undefined ? undefined : maskSecrets(info.hint);
    this.file = info.file;
    this.line = info.line;
    this.column = info.column;
    this.field = info.field;
    this.details = (info.details ?? []).map(maskSecrets);
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

const MASK = '***';

/**
 * Names of URL query parameters and libpq conninfo keywords whose value is a secret (case-insensitive). `passfile`
 * is a path, not a secret, and stays visible.
 */
const SECRET_KEYS =
  'password|passwd|sslpassword|pgpassword|passphrase|secret|client_secret|token|access_token|api_?key';
const SECRET_PARAM = new RegExp(`([?&;](?:${SECRET_KEYS})=)[^&#;\\s]*`, 'gi');
// conninfo `password=secret`, `password = 'it\'s quoted'`, env dumps `PGPASSWORD=…`, JSON `"password":"…"`.
const SECRET_ASSIGNMENT = new RegExp(
  `(?<![A-Za-z0-9_])((?:${SECRET_KEYS})\\s*=\\s*)('(?:[^'\\\\]|\\\\.)*'?|"(?:[^"\\\\]|\\\\.)*"?|[^\\s'"&;]+)`,
  'gi',
);
const SECRET_JSON = new RegExp(`("(?:${SECRET_KEYS})"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`, 'gi');
const URL_IN_TEXT = /[a-z][a-z0-9+.-]*:\/\/[^\s"<>`]+/gi;

/**
 * Masks the secrets of one URL: the userinfo password (up to the last `@` before the host, so a password holding `@`,
 * `/` or `?` is masked whole) and password-like query parameters (`?password=`, `&sslpassword=`…).
 * `postgres://u:p@ss@h/db?sslpassword=x` → `postgres://u:***@h/db?sslpassword=***`.
 */
export function maskUrl(url: string): string {
  const start = url.indexOf('//');
  if (start < 0) return url.replace(SECRET_PARAM, `$1${MASK}`);
  const rest = url.slice(start + 2);
  const at = userinfoEnd(rest);
  let head = url.slice(0, start + 2);
  let tail = rest;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    head += colon >= 0 ? `${userinfo.slice(0, colon)}:${MASK}@` : `${userinfo}@`;
    tail = rest.slice(at + 1);
  }
  return head + tail.replace(SECRET_PARAM, `$1${MASK}`);
}

/**
 * Where the userinfo of `rest` (a URL after `//`) ends: the last `@` with no `?`/`#` before it (a query may quote an
 * address, `?user=a@b`), else the last `@` at all (a password holding `?`); -1 when there is none. Masking too much
 * is safe, too little is a leak.
 */
function userinfoEnd(rest: string): number {
  const firstMark = rest.search(/[?#]/);
  const before = firstMark < 0 ? rest : rest.slice(0, firstMark);
  const at = before.lastIndexOf('@');
  return at >= 0 ? at : rest.lastIndexOf('@');
}

/**
 * The one secret-masking function for text (messages, health reasons, logs, journal and audit lines): every URL in it
 * goes through maskUrl, and conninfo / environment / JSON assignments of password-like keys are masked
 * (`host=h password='p w' dbname=d` → `host=h password=*** dbname=d`).
 */
export function maskSecrets(text: string): string {
  // Every pattern below needs a `:` (URL, JSON key) or a `=` (parameter, assignment): most log and audit strings have
  // neither, and skip the three scans.
  if (!text.includes(':') && !text.includes('=')) return text;
  return text
    .replace(URL_IN_TEXT, (u) => maskUrl(u))
    .replace(SECRET_JSON, `$1"${MASK}"`)
    .replace(SECRET_ASSIGNMENT, (_m, key: string, value: string) => (value === MASK ? key + value : key + MASK));
}

/** maskSecrets applied to every string inside a JSON-like value (journal entries, log objects). */
export function maskSecretsDeep<T>(v: T): T {
  if (typeof v === 'string') return maskSecrets(v) as T;
  if (Array.isArray(v)) return v.map(maskSecretsDeep) as T;
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, maskSecretsDeep(x)])) as T;
  return v;
}

/** A caret excerpt of `source` at 1-based line/column, for error details. */
export function caretExcerpt(source: string, line: number, column = 1): string[] {
  const lines = source.split(/\r?\n/);
  const text = lines[line - 1];
  if (text === undefined) return [];
  const gutter = `${line} | `;
  return [gutter + text, ' '.repeat(gutter.length + Math.max(0, column - 1)) + '^'];
}
