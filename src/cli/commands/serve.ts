import type { Command } from 'commander';
import type { CommandContext } from '../main.js';

/** Registers the serve commands. */
export function registerServeCommands(_program: Command, _ctx: CommandContext): void {
  // Filled in by the serve layer.
}
