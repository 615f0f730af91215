import type { Command } from 'commander';
import type { CommandContext } from '../main.js';

/** Registers the build commands. */
export function registerBuildCommands(_program: Command, _ctx: CommandContext): void {
  // Filled in by the build layer.
}
