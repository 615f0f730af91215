import { Option, type Command } from 'commander';
import { SlipwayError } from '../errors.js';
import { printWarning, type CliIO } from './output.js';

/**
 * Flags several commands share, so each name has one meaning everywhere (README, "Flags"):
 * `--target NAME` a configured target, `--to-dir DIR` an ad-hoc local target directory, `--release ID` a release id,
 * `--out DIR` an output directory, `--out-file FILE` an output file, `--limit N` the newest N of a listing,
 * `--json` one JSON value on stdout instead of the human result.
 */

export interface TargetFlags {
  target?: string;
  toDir?: string;
}

/** Adds `-t, --target NAME` and `--to-dir DIR` (with exactly one target configured, neither is needed). */
export function withTargetOptions(cmd: Command): Command {
  return cmd
    .option('-t, --target <name>', 'configured target (deploy.targets.<name>); optional when only one is configured')
    .option('--to-dir <dir>', 'a local directory as the target, instead of a configured one');
}

/** Adds `--limit N`: show only the newest N entries of a listing. */
export function withLimitOption(cmd: Command): Command {
  return cmd.option('--limit <n>', 'show only the newest N entries', parseLimit);
}

/** `--limit` value: a positive integer, else E_USAGE naming the value. */
export function parseLimit(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1)
    throw new SlipwayError('E_USAGE', `--limit must be a positive whole number, got "${value}"`, { field: 'limit' });
  return n;
}

/** The newest `limit` items; `newestFirst` says which end of `items` is newest. No limit → all. */
export function takeNewest<T>(items: T[], limit: number | undefined, newestFirst: boolean): T[] {
  if (limit === undefined || items.length <= limit) return items;
  return newestFirst ? items.slice(0, limit) : items.slice(items.length - limit);
}

export interface DeprecatedFlag {
  /** The old spelling as commander declares it, e.g. `--to <dir>`. */
  flags: string;
  /** The option key it now maps to, e.g. `toDir`. */
  replacementKey: string;
  /** The new spelling shown in the warning, e.g. `--to-dir`. */
  replacement: string;
}

/**
 * Keeps an old flag spelling working as a hidden alias of its replacement: it prints
 * `warning: <cmd> --old is deprecated; use --new` on stderr and fills the replacement's value. Both at once → E_USAGE.
 */
export function withDeprecatedOption(cmd: Command, io: CliIO, dep: DeprecatedFlag): Command {
  const option = new Option(dep.flags).hideHelp();
  const key = option.attributeName();
  cmd.addOption(option);
  cmd.hook('preAction', (_self, action) => {
    const opts = action.opts<Record<string, unknown>>();
    if (opts[key] === undefined) return;
    const old = option.long ?? option.short ?? dep.flags;
    if (opts[dep.replacementKey] !== undefined)
      throw new SlipwayError('E_USAGE', `pass ${dep.replacement} only (${old} is its deprecated spelling)`);
    printWarning(io, `${commandPath(action)} ${old} is deprecated; use ${dep.replacement}`);
    action.setOptionValue(dep.replacementKey, opts[key]);
    action.setOptionValue(key, undefined);
  });
  return cmd;
}

/** `slipway db package`: the command's full name for messages. */
function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}
