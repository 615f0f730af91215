import { Command, CommanderError } from 'commander';
import { processIO, renderError, type CliIO } from './output.js';
import { registerBuildCommands } from './commands/build.js';
import { registerDbCommands } from './commands/db.js';
import { registerDeployCommands } from './commands/deploy.js';
import { registerServeCommands } from './commands/serve.js';
import { SLIPWAY_VERSION } from '../version.js';

/** Runs the CLI with `argv` (without node and script) and returns the exit code. The only place that decides it. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let exitCode = 0;
  const setExit = (code: number) => {
    exitCode = Math.max(exitCode, code);
  };
  const program = new Command('slipway')
    .description('Build, package and deploy database-backed applications.')
    .version(SLIPWAY_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: io.stdout, writeErr: io.stderr })
    .showHelpAfterError('(run with --help for usage)');

  const ctx = { io, setExit };
  registerBuildCommands(program, ctx);
  registerDbCommands(program, ctx);
  registerDeployCommands(program, ctx);
  registerServeCommands(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; everything else commander rejects is a usage error.
      return error.exitCode === 0 ? 0 : 2;
    }
    const json = argv.includes('--json');
    return renderError(io, error, json);
  }
  return exitCode;
}

/** What every command file receives. */
export interface CommandContext {
  io: CliIO;
  /** A command that completes but reports failure (e.g. `validate` found problems) sets a non-zero code here. */
  setExit: (code: number) => void;
}
