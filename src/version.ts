import { readFileSync } from 'node:fs';

/** Slipway's own version, read from its package.json (works from src/ under vitest and from dist/). */
export const SLIPWAY_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
