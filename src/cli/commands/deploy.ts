import type { Command } from 'commander';
import type { CommandContext } from '../main.js';

/** Registers the deploy commands. */
export function registerDeployCommands(_program: Command, _ctx: CommandContext): void {
  // Filled in by the deploy layer.
}
