/**
 * Least privilege for package code (restart/stop commands, smoke tests): an allowlisted environment instead of
 * the deployer's (whose secrets — database passwords, tokens, cloud keys — a package must never see), and
 * optionally another OS user (`runAs`). Documented in README.md, "Package security".
 */
import { readFileSync } from 'node:fs';
import { SlipwayError } from '../errors.js';

/** Variables passed through from the deployer's environment: the locale and PATH, nothing secret. */
export const PASSED_THROUGH = ['PATH', 'LANG', 'LC_ALL', 'LC_CTYPE', 'LC_MESSAGES', 'TZ', 'TERM'] as const;

export interface CommandUser {
  uid: number;
  gid: number;
  name: string;
  home: string;
}

/** One /etc/passwd line by name or uid (`name:x:uid:gid:gecos:home:shell`). */
function lookupPasswd(match: (f: string[]) => boolean): CommandUser | null {
  let text = '';
  try {
    text = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return null;
  }
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length >= 7 && match(f)) return { name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! };
  }
  return null;
}

/**
 * Resolves `runAs` (a user name, a uid, or `uid:gid`) to ids. Only root can switch users, so anything else is a
 * configuration error unless it names the current user.
 */
export function resolveRunAs(spec: string | number | undefined, setting = 'runAs'): CommandUser | null {
  if (spec === undefined) return null;
  const text = String(spec);
  const m = /^(\d+)(?::(\d+))?$/.exec(text);
  const user = m
    ? (() => {
        const byUid = lookupPasswd((f) => f[2] === m[1]);
        return {
          uid: Number(m[1]),
          gid: m[2] !== undefined ? Number(m[2]) : (byUid?.gid ?? Number(m[1])),
          name: byUid?.name ?? m[1]!,
          home: byUid?.home ?? '/',
        };
      })()
    : lookupPasswd((f) => f[0] === text);
  if (!user)
    throw new SlipwayError('E_CONFIG', `${setting}: no user ${JSON.stringify(text)} in /etc/passwd`, {
      field: `deploy.targets.*.${setting}`,
      hint: 'Name an existing user (e.g. nobody) or give a numeric uid[:gid].',
    });
  const me = process.getuid?.();
  if (me !== undefined && me !== 0 && me !== user.uid)
    throw new SlipwayError(
      'E_CONFIG',
      `${setting}: ${user.name} needs a deploy running as root (this one runs as uid ${me})`,
      {
        field: `deploy.targets.*.${setting}`,
        hint: `Run the deploy as root, or remove ${setting} to run package commands as the deploying user.`,
      },
    );
  return user;
}

/**
 * The whole environment a package command gets: PASSED_THROUGH from the deployer, HOME/USER/LOGNAME of the user
 * it runs as, Slipway's own SLIPWAY_* variables, then the target's `env:` (which may pass a deployer variable on
 * purpose with `${VAR}` interpolation in the config). Nothing else of the deployer's environment.
 */
export function packageCommandEnv(
  slipwayVars: Record<string, string>,
  configured: Record<string, string>,
  user: CommandUser | null,
  deployerEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of PASSED_THROUGH) {
    const v = deployerEnv[k];
    if (v !== undefined) env[k] = v;
  }
  env.PATH ??= '/usr/local/bin:/usr/bin:/bin';
  if (user) {
    env.HOME = user.home;
    env.USER = env.LOGNAME = user.name;
  } else {
    for (const k of ['HOME', 'USER', 'LOGNAME']) if (deployerEnv[k] !== undefined) env[k] = deployerEnv[k]!;
  }
  return { ...env, ...slipwayVars, ...configured };
}
