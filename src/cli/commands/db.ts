import type { Command } from 'commander';
import type { CommandContext } from '../main.js';

/** Registers the db commands. */
export function registerDbCommands(_program: Command, _ctx: CommandContext): void {
  // Filled in by the db layer.
}
