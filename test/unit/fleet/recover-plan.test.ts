// planFleetRecovery: what recovery decides from the fleet journal and each host's journal and current (pure).
import { describe, expect, it } from 'vitest';
import { planFleetRecovery } from '../../../src/fleet/fleet-recover-plan.js';
import type { JournalEntry } from '../../../src/deploy/types.js';

const at = '2026-12-05T09:00:00.000Z';
const e = (x: Partial<JournalEntry> & Pick<JournalEntry, 'step' | 'status'>): JournalEntry => ({
  at,
  run: 'r1',
  kind: 'deploy',
  release: 'B',
  ...x,
});
const H = ['h1', 'h2', 'h3'];
const fleetBegin = e({
  step: 'run',
  status: 'begin',
  data: { previous: 'A', hosts: H.map((host) => ({ host, previous: 'A' })), batches: [['h1'], ['h2', 'h3']] },
});
const migrate = e({ step: 'migrate', status: 'begin', data: { pending: [{ id: '2', author: 'a', path: 'p' }] } });
const live = [
  e({ step: 'run', status: 'begin', data: { previous: 'A' } }),
  e({ step: 'switch', status: 'begin' }),
  e({ step: 'switch', status: 'ok' }),
  e({ step: 'health', status: 'ok' }),
  e({ step: 'smoke', status: 'ok' }),
];
const waiting = [e({ step: 'run', status: 'begin', data: { previous: 'A' } })];

describe('planFleetRecovery', () => {
  it('a rollout stopped after the canary: every host back to its previous release, reverse order, database undone', () => {
    const [a] = planFleetRecovery(
      [fleetBegin, migrate],
      [
        { label: 'h1', current: 'B', entries: live },
        { label: 'h2', current: 'A', entries: waiting },
        { label: 'h3', current: 'A', entries: waiting },
      ],
    );
    expect(a).toMatchObject({ decision: 'settle', fleetTo: 'A', missing: [] });
    expect(a!.undo).toEqual({ release: 'B', candidates: [{ id: '2', author: 'a', path: 'p' }] });
    expect(a!.hosts.map((h) => [h.host, h.to, h.restart, h.open])).toEqual([
      ['h3', 'A', false, true],
      ['h2', 'A', false, true],
      ['h1', 'A', true, true],
    ]);
  });

  it('every host switched and passed its gates (only the closing lines missing): kept', () => {
    const hosts = H.map((label) => ({ label, current: 'B', entries: live }));
    const [a] = planFleetRecovery([fleetBegin, migrate], hosts);
    expect(a).toMatchObject({ decision: 'keep', fleetTo: 'B', undo: null });
    expect(a!.hosts.every((h) => h.to === 'B' && !h.restart)).toBe(true);
    // A kept candidate that fails its probe now: back as one.
    const [b] = planFleetRecovery([fleetBegin, migrate], hosts, { back: new Set(['r1']) });
    expect(b).toMatchObject({ decision: 'settle', fleetTo: 'A' });
    expect(b!.hosts.every((h) => h.to === 'A' && h.restart)).toBe(true);
  });

  it('every host closed its run (only the fleet record missing): kept, no host touched, even one moved on since', () => {
    // The deploy's finish closes each host's run and gives its lock back in one command, before the fleet journal
    // closes the fleet run: a controller stopped in between leaves the hosts free, and another controller may have
    // deployed to one of them since.
    const closed = [...live, e({ step: 'retention', status: 'ok' }), e({ step: 'run', status: 'ok' })];
    const later = [...closed, e({ run: 'r2', release: 'C', step: 'run', status: 'begin' })];
    const [a] = planFleetRecovery(
      [fleetBegin, migrate],
      [
        { label: 'h1', current: 'B', entries: closed },
        { label: 'h2', current: 'C', entries: later },
        { label: 'h3', current: 'B', entries: closed },
      ],
    );
    expect(a).toMatchObject({ decision: 'keep', fleetTo: 'B', undo: null, hosts: [], missing: [] });
    // One host whose run is not closed: the rule of the fleet as one applies (h2 is not on B: back as one).
    const [b] = planFleetRecovery(
      [fleetBegin, migrate],
      [
        { label: 'h1', current: 'B', entries: closed },
        { label: 'h2', current: 'C', entries: live },
        { label: 'h3', current: 'B', entries: closed },
      ],
    );
    expect(b).toMatchObject({ decision: 'settle', fleetTo: 'A' });
  });

  it('a host of the run that cannot be read is missing (recovery refuses)', () => {
    const [a] = planFleetRecovery(
      [fleetBegin],
      [
        { label: 'h1', current: 'A', entries: [] },
        { label: 'h3', current: 'A', entries: [] },
      ],
    );
    expect(a!.missing).toEqual(['h2']);
  });

  it('a fleet rollback: back to where each host came from, unless the database undo began (then forward)', () => {
    const rb = (x: Partial<JournalEntry> & Pick<JournalEntry, 'step' | 'status'>) =>
      e({ kind: 'rollback', release: 'A', run: 'r2', ...x });
    const begin = rb({
      step: 'run',
      status: 'begin',
      data: { from: 'B', hosts: [{ host: 'h1' }, { host: 'h2' }], batches: [['h1', 'h2']] },
    });
    const hostDone = [
      rb({ step: 'run', status: 'begin', data: { from: 'B' } }),
      rb({ step: 'rollback', status: 'ok' }),
    ];
    const hosts = [
      { label: 'h1', current: 'A', entries: hostDone },
      { label: 'h2', current: 'B', entries: [] },
    ];
    const [back] = planFleetRecovery([begin], hosts);
    expect(back).toMatchObject({ decision: 'settle', fleetTo: 'B', undo: null });
    // h2 had not begun: it stays where it is; h1 goes back to B.
    expect(back!.hosts.map((h) => [h.host, h.to, h.restart])).toEqual([
      ['h2', 'B', false],
      ['h1', 'B', true],
    ]);
    const db = rb({ step: 'db-rollback', status: 'begin', data: { of: 'B', changesets: [{ id: '2' }] } });
    const [fwd] = planFleetRecovery([begin, db], hosts);
    expect(fwd).toMatchObject({ fleetTo: 'A', undo: { release: 'B', candidates: [{ id: '2' }] } });
    expect(fwd!.hosts.map((h) => [h.host, h.to, h.restart])).toEqual([
      ['h2', 'A', true],
      ['h1', 'A', false],
    ]);
  });
});
