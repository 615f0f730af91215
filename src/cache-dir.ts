import { homedir } from 'node:os';
import path from 'node:path';

/**
 * The user's Slipway cache directory, shared by every project and command: $SLIPWAY_CACHE_DIR, else
 * $XDG_CACHE_HOME/slipway, else ~/.cache/slipway. Never inside a project (what lies there is the same for all of
 * them). Imported by bin/slipway.js before anything else, so it imports nothing of Slipway's.
 */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SLIPWAY_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'slipway');
}
