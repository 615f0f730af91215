/**
 * For the child processes of the interruption tests (fault-runner, fleet-runner): counts each progress key, prints it
 * as "<key>#<n>" on stdout, and when that is `at` sends this process `signal` (the event's journal line is written
 * by then). Returns the function to call with each event's key.
 */
export function progressTrigger(at: string, signal: NodeJS.Signals): (key: string) => void {
  const seen = new Map<string, number>();
  return (key) => {
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    process.stdout.write(`${key}#${n}\n`);
    if (`${key}#${n}` === at) process.kill(process.pid, signal);
  };
}
