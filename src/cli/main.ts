import { Command, CommanderError } from 'commander';
import { processIO, renderError, type CliIO } from './output.js';
import type { CommandContext } from './context.js';
import { SLIPWAY_VERSION } from '../version.js';
import { killRunningCommands } from '../deploy/running-commands.js';

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

  const held: Array<{ dispose: () => void; fired: () => string | null }> = [];
  const ctx: CommandContext = {
    io,
    setExit,
    interrupts: (what) => {
      const l = listenForInterrupts(io, what);
      held.push(l);
      return l.signal;
    },
  };
  for (const group of commandGroupsFor(argv)) (await COMMAND_GROUPS[group]())(program, ctx);

  try {
    await program.parseAsync(argv, { from: 'user' });
    // A signal that arrived after the run had already finished changed nothing: say so rather than stay silent.
    for (const l of held) {
      const sig = l.fired();
      if (sig) io.stderr(`${sig} arrived after the run had completed: nothing was undone\n`);
    }
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; everything else commander rejects is a usage error.
      return error.exitCode === 0 ? 0 : 2;
    }
    const json = argv.includes('--json');
    return renderError(io, error, json);
  } finally {
    for (const l of held) l.dispose();
  }
  return exitCode;
}

/**
 * SIGINT/SIGTERM during a deploy, rollback or recovery: the first one aborts the run's signal (the library
 * finishes or undoes the current step, puts the target back and throws E_INTERRUPTED); a second one exits at once
 * (the next run completes the recovery).
 */
export function listenForInterrupts(
  io: CliIO,
  what: string,
): { signal: AbortSignal; dispose: () => void; fired: () => string | null } {
  const ctl = new AbortController();
  const on = (sig: 'SIGINT' | 'SIGTERM') => {
    if (ctl.signal.aborted) {
      io.stderr(`${sig} again: exiting now; the next deploy, rollback or \`slipway recover\` completes the recovery\n`);
      killRunningCommands();
      process.exit(sig === 'SIGTERM' ? 143 : 130);
    }
    io.stderr(
      `${sig} received: stopping the ${what}; the previous release comes back unless the run already finished (Ctrl-C again exits at once)\n`,
    );
    ctl.abort(sig);
  };
  const onInt = () => on('SIGINT');
  const onTerm = () => on('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return {
    signal: ctl.signal,
    fired: () => (ctl.signal.aborted ? String(ctl.signal.reason) : null),
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
    },
  };
}

type Register = (program: Command, ctx: CommandContext) => void;

// Each group's module pulls in its whole library (esbuild, Fastify, PGlite…); loading only the group a command
// needs keeps start-up short for every command (`slipway db package` is dominated by start-up otherwise).
export const COMMAND_GROUPS = {
  build: async (): Promise<Register> => (await import('./commands/build.js')).registerBuildCommands,
  db: async (): Promise<Register> => (await import('./commands/db.js')).registerDbCommands,
  deploy: async (): Promise<Register> => (await import('./commands/deploy.js')).registerDeployCommands,
  serve: async (): Promise<Register> => (await import('./commands/serve.js')).registerServeCommands,
} as const;
type Group = keyof typeof COMMAND_GROUPS;

const GROUP_OF: Record<string, Group> = {
  init: 'build',
  stage: 'build',
  compile: 'build',
  package: 'build',
  manifest: 'build',
  validate: 'build',
  build: 'build',
  db: 'db',
  deploy: 'deploy',
  rollback: 'deploy',
  releases: 'deploy',
  history: 'deploy',
  recover: 'deploy',
  unlock: 'deploy',
  serve: 'serve',
  health: 'serve',
  user: 'serve',
  token: 'serve',
};

/** The command groups to register: only the one the first word names, or all (help, unknown words, no command). */
export function commandGroupsFor(argv: string[]): Group[] {
  const first = argv.find((a) => !a.startsWith('-'));
  if (first === undefined && (argv.includes('--version') || argv.includes('-V'))) return [];
  const group = first === undefined ? undefined : GROUP_OF[first];
  return group ? [group] : (Object.keys(COMMAND_GROUPS) as Group[]);
}
