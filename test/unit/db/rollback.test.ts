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
  it('rolls back the newest N recorded rows of the changelog, decided when it runs, newest first in one transaction', () => {
    const keys =
      "('4', 'alice', 'db/master.sql', 'db/master.sql::4::alice'), ('3', 'alice', 'db/master.sql', 'db/master.sql::3::alice'), ('2', 'alice', 'db/master.sql', 'db/master.sql::2::alice'), ('1', 'alice', 'db/master.sql', 'db/master.sql::1::alice')";
    const newest = "(DATEEXECUTED, ORDEREXECUTED) >= (:'slipway_since_date', :slipway_since_order)";
    const sql = renderRollbackSql(cl, { count: 2 });
    const head =
      [
        "-- Slipway rollback: the newest 2 recorded of 4 changeset(s) (as Liquibase's rollback-count), newest first, in one transaction",
        '\\set ON_ERROR_STOP on',
        'BEGIN;',
        LOCK_CHECK,
        `SELECT coalesce(x.d, '-infinity') AS slipway_since_date, coalesce(x.o, 0) AS slipway_since_order FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT h.DATEEXECUTED AS d, h.ORDEREXECUTED AS o FROM public.databasechangelog AS h JOIN (VALUES ${keys}) AS k (id, author, filename, key) ON h.ID = k.id AND h.AUTHOR = k.author AND h.FILENAME = k.filename ORDER BY h.DATEEXECUTED DESC, h.ORDEREXECUTED DESC LIMIT 1 OFFSET 1) AS x ON true \\gset`,
        '',
        '-- rollback db/master.sql::4::alice',
        `SELECT count(*) > 0 AS slipway_applied FROM public.databasechangelog WHERE ID = '4' AND AUTHOR = 'alice' AND FILENAME = 'db/master.sql' AND ${newest} \\gset`,
        '\\if :slipway_applied',
        'DELETE FROM t_1\n;',
        'DROP VIEW v\n;',
        "DELETE FROM public.databasechangelog WHERE ID = '4' AND AUTHOR = 'alice' AND FILENAME = 'db/master.sql';",
        "\\echo 'slipway: ROLLED BACK' 'db/master.sql::4::alice'",
        '\\endif',
        '',
        '-- rollback db/master.sql::3::alice',
        `SELECT count(*) > 0 AS slipway_applied FROM public.databasechangelog WHERE ID = '3' AND AUTHOR = 'alice' AND FILENAME = 'db/master.sql' AND ${newest} \\gset`,
        '\\if :slipway_applied',
        'DROP TABLE t_3\n;',
        "DELETE FROM public.databasechangelog WHERE ID = '3' AND AUTHOR = 'alice' AND FILENAME = 'db/master.sql';",
        "\\echo 'slipway: ROLLED BACK' 'db/master.sql::3::alice'",
        '\\endif',
      ].join('\n') + '\n';
    // Blocks for 2 and 1 follow: which ones are the newest N is read from the history when the SQL runs.
    expect(sql.slice(0, head.length)).toBe(head);
    expect(sql.endsWith("'db/master.sql::1::alice'\n\\endif\n\nCOMMIT;\n")).toBe(true);
    expect(sql.match(/^-- rollback .*$/gm)).toHaveLength(4);
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

  it('--to-tag decides from the history when it runs: after the oldest row with the tag, ignoring case', () => {
    const sql = renderRollbackSql(cl, { toTag: "v'1" });
    const range =
      "((DATEEXECUTED, ORDEREXECUTED) > (:'slipway_since_date', :slipway_since_order) OR (:'slipway_since_incl' AND (DATEEXECUTED, ORDEREXECUTED) = (:'slipway_since_date', :slipway_since_order)))";
    const tagRow = "FROM public.databasechangelog AS h WHERE lower(h.TAG) = lower(current_setting('slipway.tag'))";
    expect(sql.split('\n').slice(4, 7)).toEqual([
      "SELECT set_config('slipway.tag', 'v''1', true) AS slipway_tag \\gset",
      `DO $slipway$ BEGIN IF NOT EXISTS (SELECT 1 ${tagRow}) THEN RAISE EXCEPTION 'Could not find tag ''%'' in the database', current_setting('slipway.tag') USING HINT = 'slipway: nothing was rolled back'; END IF; END $slipway$;`,
      `SELECT h.DATEEXECUTED AS slipway_since_date, h.ORDEREXECUTED AS slipway_since_order, trim(coalesce(h.DESCRIPTION, '')) = 'tagDatabase' AS slipway_since_incl ${tagRow} ORDER BY h.DATEEXECUTED, h.ORDEREXECUTED LIMIT 1 \\gset`,
    ]);
    // Every changeset has its block: which ones are after the tag is read from the history.
    expect(sql.match(/^-- rollback .*$/gm)).toHaveLength(4);
    expect(sql).toContain(
      `SELECT count(*) > 0 AS slipway_applied FROM public.databasechangelog WHERE ID = '3' AND AUTHOR = 'alice' AND FILENAME = 'db/master.sql' AND ${range} \\gset`,
    );
  });

  it('throws listing the changesets when none of the candidates has rollback', () => {
    const bad = makeChangelog([
      makeChangeSet({ id: 'a' }),
      makeChangeSet({ id: 'c', noRollback: '<sql> has no automatic rollback' }),
    ]);
    try {
      renderRollbackSql(bad, { count: 2 });
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

  it('leaves the others to run time: a recorded changeset without rollback among the newest N fails the script', () => {
    const mixed = makeChangelog([
      makeChangeSet({ id: 'a' }),
      makeChangeSet({ id: 'b', rollback: ['x'] }),
      makeChangeSet({ id: 'c', noRollback: '<sql> has no automatic rollback' }),
    ]);
    const sql = renderRollbackSql(mixed, { count: 3 });
    expect(sql).toContain(
      "SELECT set_config('slipway.no_rollback', coalesce(string_agg(k.key, ', ' ORDER BY h.ORDEREXECUTED DESC), ''), true) AS slipway_no_rollback FROM public.databasechangelog AS h JOIN (VALUES ('c', 'alice', 'db/master.sql', 'db/master.sql::c::alice'), ('a', 'alice', 'db/master.sql', 'db/master.sql::a::alice')) AS k (id, author, filename, key) ON h.ID = k.id AND h.AUTHOR = k.author AND h.FILENAME = k.filename WHERE (h.DATEEXECUTED, h.ORDEREXECUTED) >= (:'slipway_since_date', :slipway_since_order) \\gset",
    );
    expect(sql).toContain(
      "RAISE EXCEPTION 'slipway: recorded changeset(s) to roll back have no rollback; nothing was rolled back: %'",
    );
    // The check comes before the first block, so nothing runs before it fails.
    expect(sql.indexOf('RAISE EXCEPTION')).toBeLessThan(sql.indexOf('-- rollback '));
    expect(sql.match(/^-- rollback .*$/gm)).toEqual(['-- rollback db/master.sql::b::alice']);
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
  });
});
