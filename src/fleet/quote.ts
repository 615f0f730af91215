/**
 * The one POSIX-sh quoting function for remote commands. ssh joins its arguments with spaces and hands the string
 * to the remote login shell, so every remote command is an argv array we quote here, never a string built from
 * input: each argument becomes one single-quoted word (`'` written as `'\''`), which no POSIX shell expands.
 */
import { SlipwayError } from '../errors.js';

/** One argument as a single POSIX-sh word (pure). Refuses NUL, which no argument can carry. */
export function shQuote(arg: string): string {
  if (arg.includes('\0'))
    throw new SlipwayError('E_INTERNAL', `a remote command argument contains a NUL byte: ${JSON.stringify(arg)}`);
  // Words made only of these characters mean the same quoted or not; leaving them bare keeps logs readable.
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** An argv array as one command line for `sh -c` / ssh (pure). */
export function shJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new SlipwayError('E_INTERNAL', 'empty remote command');
  return argv.map(shQuote).join(' ');
}

/**
 * A fixed script run by the remote `sh` with its inputs as positional parameters (`$1`…), so no input ever
 * becomes script text: `sh -c SCRIPT sh ARG1 ARG2…`.
 */
export function shScript(script: string, args: readonly string[]): string {
  return shJoin(['sh', '-c', script, 'sh', ...args]);
}
