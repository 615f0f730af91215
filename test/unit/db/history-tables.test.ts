import { describe, expect, it } from 'vitest';
import { historyTables } from '../../../src/db/history-tables.js';
import { renderPackage } from '../../../src/db/render.js';
import { SlipwayError } from '../../../src/errors.js';
import { historyInserts, firstDifference, slipwayArgs, type CorpusUnit } from '../../helpers/corpus-runner.js';
import { makeChangeSet, makeChangelog } from './make-changeset.js';

const opts = { application: 'a', version: '1', sourceDateEpoch: 0 };

describe('renamed history tables (Liquibase --database-changelog-table-name / -lock-table-name)', () => {
  it('every history and lock statement of the package names the configured tables, never the defaults', () => {
    const cs = makeChangeSet({
      id: '1',
      checksum: '9:0123456789abcdef0123456789abcdef',
      statements: ['select 1'],
      preconditions: {
        onFail: 'MARK_RAN',
        onError: 'HALT',
        operator: 'and',
        location: { file: 'db/master.sql', line: 2 },
        checks: [{ type: 'changeset-executed', attrs: { id: 'x', author: 'y', changeLogFile: 'z' } }],
      },
    });
    const tables = historyTables({ changelogTable: 'ddm_db_changelog', changelogLockTable: 'ddm_db_changelog_lock' });
    const sql = renderPackage(makeChangelog([cs]), { ...opts, tables });
    expect(sql).not.toMatch(/databasechangelog/i);
    expect(sql).toContain(
      'CREATE TABLE IF NOT EXISTS public.ddm_db_changelog_lock (ID INTEGER NOT NULL, LOCKED BOOLEAN NOT NULL, LOCKGRANTED TIMESTAMP WITHOUT TIME ZONE, LOCKEDBY VARCHAR(255), CONSTRAINT ddm_db_changelog_lock_pkey PRIMARY KEY (ID));',
    );
    expect(sql).toContain('CREATE TABLE IF NOT EXISTS public.ddm_db_changelog (ID VARCHAR(255) NOT NULL');
    expect(sql).toContain("EXISTS (SELECT 1 FROM public.ddm_db_changelog WHERE lower(ID) = lower('x')");
    expect(sql).toContain('INSERT INTO public.ddm_db_changelog (ID, AUTHOR, FILENAME');
    const unit = {
      unit: 'u',
      searchRoot: '.',
      changelog: 'x',
      globalArgs: ['--database-changelog-table-name=ddm_db_changelog'],
    } as CorpusUnit;
    expect(historyInserts(unit, sql)).toEqual([
      '1|alice|db/master.sql|9:0123456789abcdef0123456789abcdef|sql||EXECUTED|∅|∅',
    ]);
  });

  it('rejects a name Liquibase would not write unquoted, naming the config key', () => {
    const e = (() => {
      try {
        historyTables({ changelogTable: 'My-Log' });
      } catch (err) {
        return err as SlipwayError;
      }
      return null;
    })();
    expect([e?.code, e?.message, e?.field]).toEqual([
      'E_CONFIG',
      'database.changelogTable "My-Log" is not a lower-case SQL identifier',
      'database.changelogTable',
    ]);
  });
});

describe('corpus runner comparisons', () => {
  it('firstDifference names the first differing line of each side, and null for equal lists', () => {
    expect(firstDifference('x', ['a', 'b'], ['a', 'b'])).toBeNull();
    expect(firstDifference('x', ['a', 'b'], ['a', 'c', 'd'])).toBe(
      'x differs at line 2 (slipway 2 lines, liquibase 3):\n  slipway:   b\n  liquibase: c',
    );
  });

  it('maps --default-schema-name and --liquibase-schema-name onto the package options', () => {
    const unit: CorpusUnit = {
      unit: 'u',
      searchRoot: '.',
      changelog: 'c.xml',
      globalArgs: ['--default-schema-name=ee', '--liquibase-schema-name=public'],
    };
    expect(slipwayArgs(unit, { args: [] }, 'db')).toMatchObject({ defaultSchemaName: 'ee', changelogSchema: 'public' });
  });
});
