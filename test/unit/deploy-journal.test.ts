import { afterAll, describe, expect, it } from 'vitest';
import { readFile, stat, writeFile, chmod } from 'node:fs/promises';
import path from 'node:path';
import {
  appendJournal,
  formatJournalLine,
  parseJournal,
  readJournal,
  setAsideTornTail,
} from '../../src/deploy/journal.js';
import { planRecovery } from '../../src/deploy/recover.js';
import type { JournalEntry } from '../../src/deploy/types.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const dirs: string[] = [];
const tmp = async () => {
  const d = await makeTree({});
  dirs.push(d);
  return d;
};
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

const A = '20261124T200000Z-aaaaaaaaaaaa';
const B = '20261124T200100Z-bbbbbbbbbbbb';
const e = (
  step: JournalEntry['step'],
  status: JournalEntry['status'],
  data?: Record<string, unknown>,
): JournalEntry => ({
  at: '2026-11-24T20:01:00.000Z',
  run: 'd2',
  kind: 'deploy',
  step,
  status,
  release: B,
  ...(data ? { data } : {}),
});
/** Every line a complete deploy of B over A writes, in order (the migrate lines carry the changesets). */
const COMPLETE: JournalEntry[] = [
  e('run', 'begin', { previous: A }),
  ...(['verify', 'extract', 'compat', 'precheck', 'backup'] as const).flatMap((s) => [e(s, 'begin'), e(s, 'ok')]),
  e('migrate', 'begin', { pending: [{ id: '2', author: 't', filename: 'c.sql' }] }),
  e('migrate', 'ok', { executed: [{ id: '2', author: 't', filename: 'c.sql' }] }),
  ...(['switch', 'restart', 'health', 'smoke', 'retention'] as const).flatMap((s) => [e(s, 'begin'), e(s, 'ok')]),
  e('run', 'ok'),
];
const HISTORY = [
  { ...e('run', 'begin'), run: 'd1', release: A },
  { ...e('run', 'ok'), run: 'd1', release: A },
];
const text = (entries: JournalEntry[]) => entries.map((x) => formatJournalLine(x) + '\n').join('');

describe('journal lines carry a checksum', () => {
  it('round-trips, and a flipped byte in the middle is reported and skipped, not taken as history', async () => {
    const buf = Buffer.from(text([...HISTORY, ...COMPLETE]));
    expect(parseJournal(buf).entries).toEqual([...HISTORY, ...COMPLETE]);
    expect(parseJournal(buf).tail).toBeNull();
    const second = buf.indexOf('\n') + 1;
    const flipped = Buffer.from(buf);
    flipped[second + 20] = flipped[second + 20] === 0x30 ? 0x31 : 0x30; // inside the "at" timestamp
    const r = parseJournal(flipped);
    expect(r.problems).toEqual([
      { line: 2, offset: second, bytes: buf.indexOf('\n', second) - second, reason: 'checksum mismatch' },
    ]);
    expect(r.entries.length).toBe(HISTORY.length + COMPLETE.length - 1);
    expect(r.tail).toBeNull();
  });

  it('lines written by an older slipway (no sum) are still read', () => {
    const r = parseJournal(Buffer.from(JSON.stringify(HISTORY[0]) + '\n'));
    expect(r.entries).toEqual([HISTORY[0]]);
  });

  it('is created 0600, tightened to 0600 if it was wider, and URL passwords are masked', async () => {
    const j = path.join(await tmp(), '.slipway/journal.jsonl');
    await appendJournal(j, {
      run: 'r',
      kind: 'deploy',
      step: 'migrate',
      status: 'begin',
      message: 'apply to postgres://u:pw@h/db',
    });
    expect((await stat(j)).mode & 0o777).toBe(0o600);
    await chmod(j, 0o644);
    await appendJournal(j, {
      run: 'r',
      kind: 'deploy',
      step: 'migrate',
      status: 'ok',
      data: { url: 'postgresql://a:b@c/d' },
    });
    expect((await stat(j)).mode & 0o777).toBe(0o600);
    const raw = await readFile(j, 'utf8');
    expect(raw).not.toMatch(/:pw@|:b@/);
    expect((await readJournal(j)).entries.map((x) => x.message ?? x.data?.url)).toEqual([
      'apply to postgres://u:***@h/db',
      'postgresql://a:***@c/d',
    ]);
  });
});

describe('a torn tail, at every byte offset of the last line, at every step boundary', () => {
  it('is detected as the tail, and the recovery decision is the one the valid history alone gives', () => {
    let cases = 0;
    for (let n = 1; n <= COMPLETE.length; n++) {
      const valid = text([...HISTORY, ...COMPLETE.slice(0, n - 1)]);
      const last = formatJournalLine(COMPLETE[n - 1]!);
      // current as the run left it: B once its switch was journaled ok
      const switched = COMPLETE.slice(0, n).some((x) => x.step === 'switch' && x.status === 'ok');
      const current = switched ? B : A;
      const withoutLast = planRecovery([...HISTORY, ...COMPLETE.slice(0, n - 1)], current).actions;
      for (let k = 1; k < last.length + 1; k++) {
        const buf = Buffer.from(valid + last.slice(0, k));
        const r = parseJournal(buf);
        if (k === last.length) {
          // only the newline is missing: the line is whole and valid
          expect(r.tail).toBeNull();
          expect(r.entries.length).toBe(HISTORY.length + n);
        } else {
          expect(r.tail, `line ${n} cut at ${k}`).toEqual({ offset: Buffer.byteLength(valid), bytes: k, lines: 1 });
          expect(r.entries.length).toBe(HISTORY.length + n - 1);
          expect(planRecovery(r.entries, current, r).actions).toEqual(withoutLast);
        }
        cases++;
      }
    }
    // the last line of a completed deploy torn: the deploy had passed its gates and is live → kept, never switched
    const torn = parseJournal(Buffer.from(text([...HISTORY, ...COMPLETE]).slice(0, -40)));
    const plan = planRecovery(torn.entries, B, torn);
    expect(plan.tail).not.toBeNull();
    expect(plan.actions).toMatchObject([{ run: 'd2', decision: 'keep', to: B }]);
    process.stderr.write(`torn-tail check: ${cases} (boundary, byte offset) cases\n`);
  });

  it('cut before the gates passed: the run is settled back on the previous release with its changesets', () => {
    const upToRestart = COMPLETE.slice(0, COMPLETE.findIndex((x) => x.step === 'restart' && x.status === 'ok') + 1);
    const plan = planRecovery([...HISTORY, ...upToRestart], B);
    expect(plan.actions).toMatchObject([
      {
        decision: 'settle',
        to: A,
        restart: true,
        undo: { release: B, candidates: [{ id: '2', author: 't', filename: 'c.sql' }] },
        at: 'restart (ok)',
      },
    ]);
  });

  it('a run whose own undo did not complete (settled.complete false) is settled again; a complete recovery ends that', () => {
    const upToHealth = COMPLETE.slice(0, COMPLETE.findIndex((x) => x.step === 'health' && x.status === 'begin') + 1);
    const failed = e('run', 'failed', { interrupted: false, settled: { to: A, current: null, complete: false } });
    const plan = planRecovery([...HISTORY, ...upToHealth, e('health', 'failed'), failed], null);
    expect(plan.actions).toMatchObject([
      {
        decision: 'settle',
        to: A,
        restart: true,
        unsettled: true,
        interrupted: false,
        undo: { release: B, candidates: [{ id: '2', author: 't', filename: 'c.sql' }] },
      },
    ]);
    const recovered = e('run', 'failed', { interrupted: false, settled: { to: A, current: A, complete: true } });
    expect(planRecovery([...HISTORY, ...upToHealth, failed, recovered], A).actions).toEqual([]);
    // an undo that completed never comes back
    const done = e('run', 'failed', { settled: { to: A, current: A, complete: true } });
    expect(planRecovery([...HISTORY, ...upToHealth, done], A).actions).toEqual([]);
  });

  it('is moved aside (kept for inspection) and the journal truncated to its last valid entry', async () => {
    const j = path.join(await tmp(), 'journal.jsonl');
    const whole = text([...HISTORY, ...COMPLETE]);
    await writeFile(j, whole.slice(0, -40));
    const r = await readJournal(j);
    const aside = await setAsideTornTail(j, r.tail!);
    expect(aside).toBe(`${j}.torn-${r.tail!.offset}`);
    expect(await readFile(aside, 'utf8')).toBe(whole.slice(r.tail!.offset, -40));
    expect((await stat(aside)).mode & 0o777).toBe(0o600);
    const after = await readJournal(j);
    expect(after.tail).toBeNull();
    expect(after.problems).toEqual([]);
    expect(after.entries.length).toBe(HISTORY.length + COMPLETE.length - 1);
  });
});
