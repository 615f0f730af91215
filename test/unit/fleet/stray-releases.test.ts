import { describe, expect, it } from 'vitest';
import { strayReleases } from '../../../src/fleet/fleet-recover-plan.js';
import type { JournalEntry } from '../../../src/deploy/types.js';

const line = (
  run: string,
  step: JournalEntry['step'],
  status: JournalEntry['status'],
  release: string,
  data?: Record<string, unknown>,
): JournalEntry => ({
  at: '2026-12-07T00:00:00.000Z',
  run,
  kind: 'deploy',
  step,
  status,
  release,
  ...(data ? { data } : {}),
});

describe('strayReleases: release dirs whose install the host journal never records as finished', () => {
  const entries = [
    line('r1', 'run', 'begin', 'A', { previous: null }),
    line('r1', 'extract', 'begin', 'A'),
    line('r1', 'extract', 'ok', 'A'),
    line('r1', 'run', 'ok', 'A'),
    line('r2', 'run', 'begin', 'B', { previous: 'A' }),
    line('r2', 'extract', 'begin', 'B'),
    line('r2', 'run', 'failed', 'B'),
    line('r3', 'run', 'begin', 'C', { previous: 'A' }),
    line('r3', 'extract', 'begin', 'C'),
  ];

  it('names an install begun and never recorded ok, and only that', () => {
    expect(strayReleases({ current: 'A', entries, dirs: ['A', 'B', 'C', 'D'] })).toEqual([
      { release: 'B', run: 'r2' },
      { release: 'C', run: 'r3' },
    ]);
  });

  it('never names current, nor a release a run started from or returns to', () => {
    const more = [...entries, line('r4', 'run', 'begin', 'A', { from: 'B', to: 'A' })];
    expect(strayReleases({ current: 'C', entries: more, dirs: ['A', 'B', 'C'] })).toEqual([]);
  });
});
