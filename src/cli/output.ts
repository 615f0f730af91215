import { isSlipwayError, USAGE_CODES } from '../errors.js';

/** Where the CLI writes; tests pass their own sinks. Human text → stderr, machine output → stdout (STYLE.md §9). */
export interface CliIO {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  isTTY: boolean;
  env: Record<string, string | undefined>;
  cwd: string;
  /** Standard input as text (for `slipway user add`), read lazily. */
  readStdin: () => Promise<string>;
}

export function processIO(): CliIO {
  return {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    isTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    cwd: process.cwd(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const c of process.stdin) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}

export function printJson(io: CliIO, value: unknown): void {
  io.stdout(JSON.stringify(value, null, 2) + '\n');
}

/** Renders an error for humans and returns the exit code (2 usage/config, 1 everything else). */
export function renderError(io: CliIO, error: unknown, json = false): number {
  if (isSlipwayError(error)) {
    if (json) io.stdout(JSON.stringify({ error: error.toJSON() }, null, 2) + '\n');
    const where = error.location ? `${error.location}: ` : '';
    const lines = [
      `error ${error.code}: ${where && !error.message.startsWith(error.location ?? '') ? where : ''}${error.message}`,
    ];
    for (const d of error.details) lines.push(`  ${d}`);
    if (error.hint) lines.push(`hint: ${error.hint}`);
    io.stderr(lines.join('\n') + '\n');
    // Interrupted by a signal: the shell convention 128 + signal number (SIGINT 2, SIGTERM 15).
    if (error.code === 'E_INTERRUPTED') return /\bSIGTERM\b/.test(error.message) ? 143 : 130;
    return USAGE_CODES.has(error.code) ? 2 : 1;
  }
  const stack = error instanceof Error ? (error.stack ?? error.message) : String(error);
  if (json)
    io.stdout(
      JSON.stringify({ error: { code: 'E_INTERNAL', message: String((error as Error)?.message ?? error) } }) + '\n',
    );
  io.stderr(`internal error: ${stack}\nThis is a bug in slipway; please report it with the command you ran.\n`);
  return 1;
}
