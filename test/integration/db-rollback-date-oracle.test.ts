import { describe, expect, it } from 'vitest';
import { parseRollbackDate } from '../../src/db/rollback.js';
import { changelogXml } from '../helpers/changelog-xml.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  ourRollback,
  psqlRows,
  useOracleCase,
  type OracleCase,
} from '../helpers/liquibase-oracle.js';

// Liquibase 4.28's rollback-to-date (ExecutedAfterChangeSetFilter) undoes, newest first, the changesets of the
// changelog whose history row's DATEEXECUTED is after the date, both compared as java.util.Date: whole milliseconds,
// so a row at 10:00:00.0004 is not after 10:00:00. Its CLI reads YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS (or a space) and a
// fraction. Slipway had no rollback-to-date.

const table = (id: string) =>
  `  <changeSet id="${id}" author="a"><sql>create table t${id} (id int)</sql><rollback>drop table t${id}</rollback></changeSet>`;
const DATES: Record<string, string> = {
  '1': '2025-06-01 10:00:00',
  '2': '2026-01-01 10:00:00.0004',
  '3': '2026-01-01 10:00:00.002',
  '4': '2026-03-01 08:30:00',
};
const ids = (c: OracleCase, side: 'theirs' | 'ours') =>
  psqlRows(c[side], 'SELECT id FROM databasechangelog ORDER BY orderexecuted');

describe('rollback-to-date against Liquibase 4.28', () => {
  const c = useOracleCase('rb_date', { 'm.xml': changelogXml(['1', '2', '3', '4'].map(table).join('\n')) });

  it('undoes the changesets executed after the date, to whole milliseconds, newest first', async () => {
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'update');
    await applyOurPackage(c.root, 'm.xml', c.ours);
    const dated = Object.entries(DATES)
      .map(([id, at]) => `UPDATE databasechangelog SET dateexecuted = '${at}' WHERE id = '${id}';`)
      .join('\n');
    for (const side of ['theirs', 'ours'] as const) psqlRows(c[side], dated);
    expectSameSchemaAndHistory(c);

    // 3 (10:00:00.002) is after 10:00:00.0019 (…001 ms); 2 (…000 ms) is not
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback-to-date', '--date=2026-01-01 10:00:00.0019');
    expect(await ourRollback(c, 'm.xml', { toDate: '2026-01-01 10:00:00.0019' })).toBe('');
    expect(ids(c, 'theirs')).toEqual(['1', '2']);
    expectSameSchemaAndHistory(c);

    // 2 at 10:00:00.0004 is the same millisecond as 10:00:00: not after it, nothing to undo
    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback-to-date', '--date=2026-01-01T10:00:00');
    expect(await ourRollback(c, 'm.xml', { toDate: '2026-01-01T10:00:00' })).toBe('');
    expect(ids(c, 'theirs')).toEqual(['1', '2']);
    expectSameSchemaAndHistory(c);

    await liquibaseOk(c.root, c.theirs, 'm.xml', 'rollback-to-date', '--date=2026-01-01');
    expect(await ourRollback(c, 'm.xml', { toDate: '2026-01-01' })).toBe('');
    expect(ids(c, 'theirs')).toEqual(['1']);
    expectSameSchemaAndHistory(c);
  }, 600_000);
});

describe('parseRollbackDate', () => {
  it('reads the forms Liquibase reads, to whole milliseconds', () => {
    expect(parseRollbackDate('2026-01-01')).toBe('2026-01-01 00:00:00.000');
    expect(parseRollbackDate('2026-01-01T10:00:00')).toBe('2026-01-01 10:00:00.000');
    expect(parseRollbackDate('2026-01-01 09:59:59.123456789')).toBe('2026-01-01 09:59:59.123');
    expect(parseRollbackDate('2026-01-01 09:59:59.5')).toBe('2026-01-01 09:59:59.500');
  });

  it('refuses what is not a date, and days or hours that do not exist, naming the value', () => {
    for (const bad of [
      '2026-1-1',
      '01/01/2026',
      '2026-01-01T10:00',
      '2026-01-01T10:00:00Z',
      '2026-02-30',
      '2026-01-01T24:00:00',
      "2026-01-01' OR true --",
    ]) {
      expect(() => parseRollbackDate(bad)).toThrow(
        expect.objectContaining({ code: 'E_USAGE', message: `--to-date must be a date: got ${JSON.stringify(bad)}` }),
      );
    }
  });
});
