import { isatty } from 'node:tty';
import { isSlipwayError, maskSecrets, USAGE_CODES, type ErrorCode } from '../errors.js';
import { mapStack } from './stack-map.js';

/**
 * Where the CLI writes; tests pass their own sinks. The shared output conventions (STYLE.md §9), used by every command:
 * - the command's result (a table, a path, a final summary, or with `--json` one JSON value) → `stdout`;
 * - progress, warnings and diagnostics → `stderr`;
 * - colours only when `colorEnabled` says so; a closed stdout (EPIPE, `slipway history | head`) ends quietly.
 */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  /** Whether stderr is a terminal (progress animates, colours are allowed). */
  isTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Standard input as text (for `slipway user add`), read lazily. */
  readStdin: () => Promise<string>;
  /** Present when standard input is a terminal: prompts on stderr and reads a line without echo. */
  promptSecret?: (prompt: string) => Promise<string>;
}

// Errors a write to an already closed pipe raises. Ignoring them is what `git log | head` users expect: the reader
// has everything it wanted, so there is nothing to report and nothing to fail.
const CLOSED_PIPE = new Set(['EPIPE', 'ERR_STREAM_DESTROYED', 'ERR_STREAM_WRITE_AFTER_END']);

/** A writer for a process stream that drops output once the reader has gone (EPIPE) instead of crashing. */
export function pipeSafeWriter(stream: NodeJS.WriteStream): (text: string) => void {
  let closed = false;
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (CLOSED_PIPE.has(e.code ?? '')) closed = true;
    else throw e;
  });
  return (text) => {
    if (closed || stream.destroyed) return;
    stream.write(text);
  };
}

export function processIO(): CliIO {
  return {
    stdout: pipeSafeWriter(process.stdout),
    stderr: pipeSafeWriter(process.stderr),
    isTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    // isatty(0), not process.stdin.isTTY: touching process.stdin builds its stream, which most commands never read.
    ...(isatty(0)
      ? {
          promptSecret: async (prompt: string) =>
            (await import('./prompt-secret.js')).promptSecret(prompt, process.stdin, process.stderr),
        }
      : {}),
  };
}

/** One JSON value on stdout (`--json`). */
export function printJson(io: CliIO, value: unknown): void {
  io.stdout(JSON.stringify(value, null, 2) + '\n');
}

/** A command's result on stdout: `value` as JSON with `--json`, else the human rendering (rendered only then). */
export function printResult(io: CliIO, flags: { json?: boolean | undefined }, value: unknown, human: () => string) {
  if (flags.json) printJson(io, value);
  else io.stdout(human());
}

/** A warning on stderr (`warning: …`), yellow when colours are on. */
export function printWarning(io: CliIO, text: string): void {
  io.stderr(`${colors(io).yellow('warning:')} ${text}\n`);
}

/**
 * Colours on when FORCE_COLOR asks (any value but 0/false), off when NO_COLOR is set to anything non-empty
 * (https://no-color.org), else only on a terminal that is not `dumb`.
 */
export function colorEnabled(io: Pick<CliIO, 'env' | 'isTTY'>): boolean {
  const force = io.env.FORCE_COLOR;
  if (force !== undefined) return force !== '0' && force.toLowerCase() !== 'false';
  if (io.env.NO_COLOR) return false;
  return io.isTTY && io.env.TERM !== 'dumb';
}

export interface Colors {
  enabled: boolean;
  red: (s: string) => string;
  green: (s: string) => string;
  yellow: (s: string) => string;
  bold: (s: string) => string;
  dim: (s: string) => string;
}

// Five SGR codes are all the CLI uses; a colour library would add a dependency for less than this.
const sgr = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const identity = (s: string) => s;

/** The colour functions for this output: real SGR codes when `colorEnabled`, else identity functions. */
export function colors(io: Pick<CliIO, 'env' | 'isTTY'>): Colors {
  if (!colorEnabled(io))
    return { enabled: false, red: identity, green: identity, yellow: identity, bold: identity, dim: identity };
  return {
    enabled: true,
    red: sgr(31, 39),
    green: sgr(32, 39),
    yellow: sgr(33, 39),
    bold: sgr(1, 22),
    dim: sgr(2, 22),
  };
}

/**
 * Exit codes, decided here and applied only by main.ts: 0 ok, 1 failed, 2 usage or configuration error,
 * 3 authentication failed (credentials missing or rejected), 130/143 interrupted by SIGINT/SIGTERM. Documented in docs/errors.md and README.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, auth: 3 } as const;

/** The exit code for an error (its code, and for E_INTERRUPTED the signal its message names). */
export function exitCodeFor(code: ErrorCode, message = ''): number {
  // Interrupted by a signal: the shell convention 128 + signal number (SIGINT 2, SIGTERM 15).
  if (code === 'E_INTERRUPTED') return /\bSIGTERM\b/.test(message) ? 143 : 130;
  if (USAGE_CODES.has(code)) return EXIT.usage;
  if (code === 'E_AUTH') return EXIT.auth;
  return EXIT.failed;
}

/** Renders an error for humans (stderr; with `--json` also `{ error }` on stdout) and returns its exit code. */
export function renderError(io: CliIO, error: unknown, json = false): number {
  const c = colors(io);
  if (isSlipwayError(error)) {
    if (json) io.stdout(JSON.stringify({ error: error.toJSON() }, null, 2) + '\n');
    const where = error.location ? `${error.location}: ` : '';
    const lines = [
      `${c.red(`error ${error.code}:`)} ${where && !error.message.startsWith(error.location ?? '') ? where : ''}${error.message}`,
    ];
    for (const d of error.details) lines.push(`  ${d}`);
    if (error.hint) lines.push(`hint: ${error.hint}`);
    io.stderr(lines.join('\n') + '\n');
    return exitCodeFor(error.code, error.message);
  }
  // An unexpected error's text (a driver's message, a stack) may still quote a URL: masked like every message.
  const stack = maskSecrets(error instanceof Error ? mapStack(error.stack ?? error.message) : String(error));
  if (json)
    io.stdout(
      JSON.stringify({
        error: { code: 'E_INTERNAL', message: maskSecrets(String((error as Error)?.message ?? error)) },
      }) + '\n',
    );
  io.stderr(
    `${c.red('internal error:')} ${stack}\nThis is a bug in slipway; please report it with the command you ran.\n`,
  );
  return EXIT.failed;
}
