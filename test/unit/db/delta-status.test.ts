import { describe, expect, it } from 'vitest';
import { selectMissing, selectSince, selectSinceTag, type RecordedRow } from '../../../src/db/delta.js';
import { planStatus } from '../../../src/db/status-plan.js';
import { makeChangeSet } from './make-changeset.js';

const A = '9:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa';
const B = '9:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb';
const list = [
  makeChangeSet({ id: '1', checksum: A }),
  makeChangeSet({ id: '2', checksum: A, tag: 'v1' }),
  makeChangeSet({ id: '3', checksum: A, runOnChange: true }),
  makeChangeSet({ id: '4', checksum: A, runAlways: true }),
  makeChangeSet({ id: '5', checksum: A, author: 'bob', filename: 'db/other.sql' }),
];
const row = (id: string, md5sum: string | null, over: Partial<RecordedRow> = {}): RecordedRow => ({
  id,
  author: 'alice',
  filename: 'db/master.sql',
  md5sum,
  dateexecuted: '2025-01-01 00:00:00',
  orderexecuted: Number(id) || 9,
  exectype: 'EXECUTED',
  ...over,
});
const ids = (cs: { id: string }[]) => cs.map((c) => c.id);

describe('delta selection', () => {
  it('sinceTag and since are exclusive', () => {
    expect(ids(selectSinceTag(list, 'v1'))).toEqual(['3', '4', '5']);
    expect(ids(selectSince(list, '3'))).toEqual(['4', '5']);
    expect(ids(selectSince(list, '4::alice'))).toEqual(['5']);
    expect(ids(selectSince(list, 'db/master.sql::1::alice'))).toEqual(['2', '3', '4', '5']);
    expect(() => selectSince(list, '9')).toThrow('changeset "9" is not in the changelog');
    expect(() => selectSinceTag(list, 'v9')).toThrow('tag "v9" is not in the changelog');
    // The tag's case counts, as in Liquibase 4.28's update-to-tag on a changelog (UpToTagChangeSetFilter's equals;
    // measured: `update-to-tag --tag=V1` on a fresh database with tagDatabase v1 warns "not found" and runs them all).
    expect(() => selectSinceTag(list, 'V1')).toThrow('tag "V1" is not in the changelog');
  });

  it('databaseUrl: what the database lacks, runAlways, and runOnChange with a new checksum', () => {
    expect(ids(selectMissing(list, [row('1', A), row('2', A), row('3', B), row('4', A)]))).toEqual(['3', '4', '5']);
    expect(
      ids(
        selectMissing(list, [
          row('1', A),
          row('2', A),
          row('3', A),
          row('4', A),
          row('5', A, { author: 'bob', filename: 'db/other.sql' }),
        ]),
      ),
    ).toEqual(['4']);
  });
});

describe('planStatus', () => {
  it('classifies applied, pending, drift (unless validCheckSum / 8: / NULL) and unknown rows', () => {
    const withValid = [...list, makeChangeSet({ id: '6', checksum: A, validCheckSums: [B] })];
    const r = planStatus(withValid, withValid, [
      row('1', B),
      row('2', '8:cccccccccccccccccccccccccccccccc'),
      row('3', B),
      row('4', null),
      row('6', B),
      row('gone', A),
    ]);
    // runAlways ('4') is pending on every run, as `liquibase status` lists it.
    expect(r.changeSets.map((c) => [c.id, c.state])).toEqual([
      ['1', 'drift'],
      ['2', 'applied'],
      ['3', 'pending'],
      ['4', 'pending'],
      ['5', 'pending'],
      ['6', 'applied'],
      ['gone', 'unknown'],
    ]);
    expect([r.applied, r.pending, r.drift, r.unknown]).toEqual([2, 3, 1, 1]);
    // Drift shows both sums; tags come from the changelog (or the row, for unknown ones).
    expect(r.changeSets.map((c) => [c.id, c.checksum, c.expectedChecksum, c.tag])).toEqual([
      ['1', B, A, null],
      ['2', '8:cccccccccccccccccccccccccccccccc', A, 'v1'],
      ['3', B, A, null],
      ['4', null, A, null],
      ['5', A, A, null],
      ['6', B, A, null],
      ['gone', A, null, null],
    ]);
  });

  it('runAlways is pending whatever its recorded checksum, never drift', () => {
    const always = [makeChangeSet({ id: '1', checksum: A, runAlways: true })];
    for (const sum of [A, B, null])
      expect(planStatus(always, always, [row('1', sum)]).changeSets.map((c) => c.state)).toEqual(['pending']);
  });

  it('an "8:" row is checked against the v8 checksum when the parser computed it', () => {
    const v8 = '8:dddddddddddddddddddddddddddddddd';
    const cs = [
      makeChangeSet({ id: '1', checksum: A, checksumV8: v8 }),
      makeChangeSet({ id: '2', checksum: A, checksumV8: v8 }),
    ];
    const r = planStatus(cs, cs, [row('1', v8), row('2', '8:eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee')]);
    expect(r.changeSets.map((c) => [c.id, c.state])).toEqual([
      ['1', 'applied'],
      ['2', 'drift'],
    ]);
  });

  it('a recorded changeset filtered out by contexts is neither pending nor unknown', () => {
    const r = planStatus([list[0]!], list, [row('1', A), row('2', A)]);
    expect(r.changeSets.map((c) => [c.id, c.state])).toEqual([['1', 'applied']]);
  });
});
