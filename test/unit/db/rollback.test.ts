import { describe, expect, it } from 'vitest';
import { planRollbackSql, renderRollbackSql } from '../../../src/db/rollback.js';
import { LOCK_CHECK } from '../../../src/db/render-bookkeeping.js';
import { isSlipwayError } from '../../../src/errors.js';
import { makeChangeSet, makeChangelog } from './make-changeset.js';

const cl = makeChangelog([
  makeChangeSet({ id: '1', rollback: ['DROP TABLE t_1;'] }),
  makeChangeSet({ id: '2', tag: 'v1', rollback: [] }),
  makeChangeSet({ id: '3', rollback: ['DROP TABLE t_3'] }),
  makeChangeSet({ id: '4', rollback: ['DELETE FROM t_1', 'DROP VIEW v'] }),
]);

describe('renderRollbackSql', () => {
  it('rolls back the last N newest first, in one transaction, deleting each history row', () => {
    expect(renderRollbackSql(cl, { count: 2 })).toBe(
      [
        '-- Slipway rollback: 2 changeset(s), newest first, in one transaction',
        '\\set ON_ERROR_STOP on',
        'BEGIN;',
        LOCK_CHECK,
        '',
        '-- rollback db/master.sql::4::alice',
        "SELECT count(*) > 0 AS slipway_applied FROM public.databasechangelog WHERE ID = '4' AND AUTHOR = 'alice' AND FILENAME = 'db/master.sql' \\gset",
        '\\if :slipway_applied',
        'DELETE FROM t_1\n;',
        'DROP VIEW v\n;',
        "DELETE FROM public.databasechangelog WHERE ID = '4' AND AUTHOR = 'alice' AND FILENAME = 'db/master.sql';",
        "\\echo 'slipway: ROLLED BACK' 'db/master.sql::4::alice'",
        '\\endif',
        '',
        '-- rollback db/master.sql::3::alice',
        "SELECT count(*) > 0 AS slipway_applied FROM public.databasechangelog WHERE ID = '3' AND AUTHOR = 'alice' AND FILENAME = 'db/master.sql' \\gset",
        '\\if :slipway_applied',
        'DROP TABLE t_3\n;',
        "DELETE FROM public.databasechangelog WHERE ID = '3' AND AUTHOR = 'alice' AND FILENAME = 'db/master.sql';",
        "\\echo 'slipway: ROLLED BACK' 'db/master.sql::3::alice'",
        '\\endif',
        '',
        'COMMIT;',
        '',
      ].join('\n'),
    );
  });

  it('uses the configured history and lock tables', () => {
    const sql = renderRollbackSql(cl, { count: 1, changelogTable: 'ddm_db_changelog', changelogLockTable: 'ddm_lock' });
    expect(sql).toContain(
      "SELECT count(*) > 0 AS slipway_applied FROM public.ddm_db_changelog WHERE ID = '4' AND AUTHOR = 'alice'",
    );
    expect(sql).toContain("DELETE FROM public.ddm_db_changelog WHERE ID = '4'");
    expect(sql).toContain('FROM public.ddm_lock WHERE ID = 1 FOR UPDATE');
    expect(sql).not.toContain('databasechangelog');
  });

  it('--to-tag rolls back everything after the tagged changeset', () => {
    const sql = renderRollbackSql(cl, { toTag: 'v1' });
    expect(sql.match(/^-- rollback .*$/gm)).toEqual([
      '-- rollback db/master.sql::4::alice',
      '-- rollback db/master.sql::3::alice',
    ]);
  });

  it('throws listing every changeset in range without rollback', () => {
    const bad = makeChangelog([
      makeChangeSet({ id: 'a' }),
      makeChangeSet({ id: 'b', rollback: ['x'] }),
      makeChangeSet({ id: 'c', noRollback: '<sql> has no automatic rollback' }),
    ]);
    try {
      renderRollbackSql(bad, { count: 3 });
      expect.unreachable();
    } catch (e) {
      expect(isSlipwayError(e) && e.code).toBe('E_ROLLBACK');
      expect((e as Error).message).toBe('2 changeset(s) in range have no rollback; nothing was written');
      // The reason the package recorded is said with the changeset (the index keeps it: toIndexEntry).
      expect(isSlipwayError(e) && e.details).toEqual([
        'db/master.sql::a::alice',
        'db/master.sql::c::alice (<sql> has no automatic rollback)',
      ]);
    }
  });

  it('planRollbackSql orders by changelog position whatever order the keys come in, and rejects unknown keys', () => {
    const index = cl.changeSets.map((c) => ({
      id: c.id,
      author: c.author,
      filename: c.filename,
      checksum: c.checksum,
      rollback: c.rollback,
      tag: c.tag,
    }));
    const sql = planRollbackSql(index, [index[0]!, index[2]!]);
    expect(sql.indexOf('::3::')).toBeLessThan(sql.indexOf('::1::'));
    expect(() => planRollbackSql(index, [{ id: 'zz', author: 'a', filename: 'f' }])).toThrow(
      '1 changeset(s) to roll back are not in the changelog',
    );
    expect(() => renderRollbackSql(cl, { toTag: 'nope' })).toThrow('tag "nope" is not in the changelog');
  });
});
