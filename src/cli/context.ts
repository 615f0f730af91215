import type { CliIO } from './output.js';

/** What every command file receives (its own module, so command files and main.ts do not import each other). */
export interface CommandContext {
  io: CliIO;
  /** A command that completes but reports failure (e.g. `validate` found problems) sets a non-zero code here. */
  setExit: (code: number) => void;
  /** Starts handling SIGINT/SIGTERM for a long-running `what` (deploy, rollback…) and returns its abort signal. */
  interrupts: (what: string) => AbortSignal;
}
