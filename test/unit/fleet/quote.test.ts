import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { shJoin, shQuote, shScript } from '../../../src/fleet/quote.js';
import { HOSTILE } from '../../fixtures/fleet/hostile.js';

/** Runs the joined command line through `sh -c` and reads back each argument (NUL-separated). */
function roundTrip(args: string[], shell = 'sh'): string[] {
  const line = shJoin(['printf', '%s\\0', ...args]);
  const out = execFileSync(shell, ['-c', line]);
  return out.toString('utf8').split('\0').slice(0, -1);
}

describe('shQuote / shJoin', () => {
  it('passes every hostile argument through a real sh unchanged', () => {
    expect(roundTrip(HOSTILE)).toEqual(HOSTILE);
  });

  it('passes them through bash too (the usual remote login shell)', () => {
    expect(roundTrip(HOSTILE, 'bash')).toEqual(HOSTILE);
  });

  it('quotes exactly (pure strings)', () => {
    expect(shQuote('releases/20260101T000000Z-abc')).toBe('releases/20260101T000000Z-abc');
    expect(shQuote("it's")).toBe(`'it'\\''s'`);
    expect(shQuote('')).toBe(`''`);
    expect(shQuote('a b')).toBe(`'a b'`);
    expect(shQuote('$x')).toBe(`'$x'`);
    expect(shJoin(['ls', '-la', '/tmp/a b'])).toBe(`ls -la '/tmp/a b'`);
  });

  it('refuses NUL and an empty command', () => {
    expect(() => shQuote('a\0b')).toThrow(/NUL/);
    expect(() => shJoin([])).toThrow(/empty/);
  });

  it('shScript passes inputs as positional parameters, never as script text', () => {
    const line = shScript('printf "%s|" "$@"', HOSTILE);
    const out = execFileSync('sh', ['-c', line]).toString('utf8');
    expect(out).toBe(HOSTILE.map((a) => `${a}|`).join(''));
  });
});
