// The CLI in-process (STYLE.md §13's command code, flag parsing and rendering without a child process): main() with
// captured stdout/stderr, a fixed environment and stdin, not a TTY unless asked.
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/output.js';

export interface MainRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface MainOptions {
  cwd: string;
  /** The whole environment the command sees (nothing is inherited from the test process). */
  env?: Record<string, string>;
  stdin?: string;
  isTTY?: boolean;
}

/** Runs `slipway argv…` in-process and returns its exit code and output. */
export async function runMain(argv: string[], opts: MainOptions): Promise<MainRun> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    isTTY: opts.isTTY ?? false,
    env: { ...(opts.env ?? {}) },
    cwd: opts.cwd,
    readStdin: async () => opts.stdin ?? '',
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}
