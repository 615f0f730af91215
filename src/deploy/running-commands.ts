// The process groups of the commands runCommand (run-command.ts) started and that still run, apart from it so the CLI's
// signal handling (src/cli/main.ts) can stop them without loading node:child_process into every command.

const running = new Set<number>();

/** Records a command's process group while it runs (runCommand), so killRunningCommands can stop it. */
export function trackRunningCommand(pgid: number): void {
  running.add(pgid);
}

/** Forgets a command's process group once it exited. */
export function untrackRunningCommand(pgid: number): void {
  running.delete(pgid);
}

/** Sends SIGKILL to the process group of every command still running (for the CLI's immediate exit). */
export function killRunningCommands(): void {
  for (const pgid of running) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  running.clear();
}
