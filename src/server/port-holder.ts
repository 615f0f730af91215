import { execFile } from 'node:child_process';

/**
 * Who listens on a TCP port, as `name (pid N)`, when the system can tell us (Linux `ss -ltnp`); otherwise undefined.
 * Best effort for an error message only: no `ss`, another user's process or a timeout all give undefined.
 */
export async function describePortHolder(port: number): Promise<string | undefined> {
  const out = await new Promise<string>((resolve) => {
    execFile('ss', ['-ltnpH', `sport = :${port}`], { timeout: 2000 }, (error, stdout) => resolve(error ? '' : stdout));
  });
  // users:(("node",pid=1234,fd=21)) — the first process named is enough to say who to stop.
  const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(out);
  return m ? `${m[1]} (pid ${m[2]})` : undefined;
}
