import { describe, expect, it } from 'vitest';
import { colorEnabled, colors, exitCodeFor } from '../../src/cli/output.js';
import { parseLimit, takeNewest } from '../../src/cli/common-flags.js';
import { SlipwayError } from '../../src/errors.js';

describe('colorEnabled', () => {
  const cases: [Record<string, string>, boolean, boolean][] = [
    [{}, true, true],
    [{}, false, false],
    [{ TERM: 'dumb' }, true, false],
    [{ NO_COLOR: '1' }, true, false],
    [{ NO_COLOR: '' }, true, true], // no-color.org: only a non-empty value counts
    [{ FORCE_COLOR: '1' }, false, true],
    [{ FORCE_COLOR: '0' }, true, false],
    [{ FORCE_COLOR: 'false' }, true, false],
    [{ FORCE_COLOR: '1', NO_COLOR: '1' }, false, true], // an explicit FORCE_COLOR wins, as in Node and chalk
  ];
  it.each(cases)('env %j, TTY %s → %s', (env, isTTY, want) => {
    expect(colorEnabled({ env, isTTY })).toBe(want);
  });

  it('colors() wraps in SGR codes only when enabled', () => {
    expect(colors({ env: {}, isTTY: false }).red('x')).toBe('x');
    expect(colors({ env: { FORCE_COLOR: '1' }, isTTY: false }).red('x')).toBe('\x1b[31mx\x1b[39m');
  });
});

describe('--limit', () => {
  it('accepts positive whole numbers only, naming the bad value', () => {
    expect(parseLimit('3')).toBe(3);
    for (const bad of ['0', '-1', '1.5', 'x', '', '1e3'])
      expect(() => parseLimit(bad)).toThrow(`--limit must be a positive whole number, got "${bad}"`);
  });

  it('keeps the newest N at whichever end they are', () => {
    expect(takeNewest([5, 4, 3], 2, true)).toEqual([5, 4]);
    expect(takeNewest([1, 2, 3], 2, false)).toEqual([2, 3]);
    expect(takeNewest([1, 2], undefined, false)).toEqual([1, 2]);
    expect(takeNewest([1, 2], 5, true)).toEqual([1, 2]);
  });
});

describe('exit codes', () => {
  it('2 for usage/config, 3 for authentication, 1 otherwise', () => {
    expect(exitCodeFor('E_USAGE')).toBe(2);
    expect(exitCodeFor('E_CONFIG')).toBe(2);
    expect(exitCodeFor('E_AUTH')).toBe(3);
    expect(exitCodeFor(new SlipwayError('E_DEPLOY', 'x').code)).toBe(1);
  });
});
