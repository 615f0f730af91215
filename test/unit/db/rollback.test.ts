import { describe, expect, it } from 'vitest';
import { parseTagVersion, planRollbackSql, renderRollbackSql } from '../../../src/db/rollback.js';
import { CHANGELOG_PATH_FUNCTION, LOCK_CHECK } from '../../../src/db/render-bookkeeping.js';
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
    const seqKeys =
      "('4', 'alice', 'db/master.sql', 'db/master.sql::4::alice', 0), ('3', 'alice', 'db/master.sql', 'db/master.sql::3::alice', 1), ('2', 'alice', 'db/master.sql', 'db/master.sql::2::alice', 2), ('1', 'alice', 'db/master.sql', 'db/master.sql::1::alice', 3)";
    const newest = "(DATEEXECUTED, ORDEREXECUTED) >= (:'slipway_since_date', :slipway_since_order)";
    const sql = renderRollbackSql(cl, { count: 2 });
    const head =
      [
        "-- Slipway rollback: the newest 2 recorded of 4 changeset(s) (as Liquibase's rollback-count), newest first (by changelog position), in one transaction",
        '\\set ON_ERROR_STOP on',
        'BEGIN;',
        // the package's advisory lock, until COMMIT: never at the same time as a package being applied
        'SELECT pg_advisory_xact_lock(1936484720) IS NOT NULL AS slipway_advisory_lock \\gset',
        LOCK_CHECK,
        CHANGELOG_PATH_FUNCTION,
        `SELECT coalesce(x.d, '-infinity') AS slipway_since_date, coalesce(x.o, 0) AS slipway_since_order FROM (SELECT 1) AS one LEFT JOIN LATERAL (SELECT h.DATEEXECUTED AS d, h.ORDEREXECUTED AS o FROM public.databasechangelog AS h JOIN (VALUES ${keys}) AS k (id, author, filename, key) ON h.ID = k.id AND h.AUTHOR = k.author AND (h.FILENAME = k.filename OR lower(pg_temp.slipway_changelog_path(pg_temp.slipway_changelog_path(h.FILENAME))) = lower(pg_temp.slipway_changelog_path(k.filename))) ORDER BY h.DATEEXECUTED DESC, h.ORDEREXECUTED DESC LIMIT 1 OFFSET 1) AS x ON true \\gset`,
        // Before anything is undone: the blocks' order (4, 3, 2, 1: seq 0…3) against the order the history ran them.
        `SELECT set_config('slipway.out_of_order', coalesce((SELECT x.newer || ' after ' || x.key FROM (SELECT k.key, k.seq, lag(k.key) OVER w AS newer, lag(k.seq) OVER w AS newer_seq, row_number() OVER w AS n FROM public.databasechangelog AS h JOIN (VALUES ${seqKeys}) AS k (id, author, filename, key, seq) ON h.ID = k.id AND h.AUTHOR = k.author AND (h.FILENAME = k.filename OR lower(pg_temp.slipway_changelog_path(pg_temp.slipway_changelog_path(h.FILENAME))) = lower(pg_temp.slipway_changelog_path(k.filename))) WHERE (h.DATEEXECUTED, h.ORDEREXECUTED) >= (:'slipway_since_date', :slipway_since_order) WINDOW w AS (ORDER BY h.DATEEXECUTED DESC, h.ORDEREXECUTED DESC)) AS x WHERE x.newer_seq > x.seq ORDER BY x.n LIMIT 1), ''), true) AS slipway_out_of_order \\gset`,
        "DO $slipway$ BEGIN IF current_setting('slipway.out_of_order') <> '' THEN RAISE EXCEPTION 'slipway: the database ran %, but this rollback SQL undoes them in changelog order, the other way round (Liquibase undoes the newest by DATEEXECUTED, ORDEREXECUTED first); nothing was rolled back', current_setting('slipway.out_of_order') USING HINT = 'write the rollback SQL from this database''s history: slipway db rollback-sql --database-url URL (same options)'; END IF; END $slipway$;",
        '',
        '-- rollback db/master.sql::4::alice',
        `SELECT count(*) > 0 AS slipway_applied FROM public.databasechangelog WHERE ID = '4' AND AUTHOR = 'alice' AND (FILENAME = 'db/master.sql' OR lower(pg_temp.slipway_changelog_path(pg_temp.slipway_changelog_path(FILENAME))) = 'db/master.sql') AND ${newest} \\gset`,
        '\\if :slipway_applied',
        'DELETE FROM t_1\n;',
        'DROP VIEW v\n;',
        "DELETE FROM public.databasechangelog WHERE ID = '4' AND AUTHOR = 'alice' AND (FILENAME = 'db/master.sql' OR lower(pg_temp.slipway_changelog_path(pg_temp.slipway_changelog_path(FILENAME))) = 'db/master.sql');",
        "\\echo 'slipway: ROLLED BACK' 'db/master.sql::4::alice'",
        '\\endif',
        '',
        '-- rollback db/master.sql::3::alice',
        `SELECT count(*) > 0 AS slipway_applied FROM public.databasechangelog WHERE ID = '3' AND AUTHOR = 'alice' AND (FILENAME = 'db/master.sql' OR lower(pg_temp.slipway_changelog_path(pg_temp.slipway_changelog_path(FILENAME))) = 'db/master.sql') AND ${newest} \\gset`,
        '\\if :slipway_applied',
        'DROP TABLE t_3\n;',
        "DELETE FROM public.databasechangelog WHERE ID = '3' AND AUTHOR = 'alice' AND (FILENAME = 'db/master.sql' OR lower(pg_temp.slipway_changelog_path(pg_temp.slipway_changelog_path(FILENAME))) = 'db/master.sql');",
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
    expect(sql.split('\n').slice(6, 9)).toEqual([
      "SELECT set_config('slipway.tag', 'v''1', true) AS slipway_tag \\gset",
      `DO $slipway$ BEGIN IF NOT EXISTS (SELECT 1 ${tagRow}) THEN RAISE EXCEPTION 'Could not find tag ''%'' in the database', current_setting('slipway.tag') USING HINT = 'slipway: nothing was rolled back'; END IF; END $slipway$;`,
      `SELECT h.DATEEXECUTED AS slipway_since_date, h.ORDEREXECUTED AS slipway_since_order, trim(coalesce(h.DESCRIPTION, '')) = 'tagDatabase' AS slipway_since_incl ${tagRow} ORDER BY h.DATEEXECUTED, h.ORDEREXECUTED LIMIT 1 \\gset`,
    ]);
    // Every changeset has its block: which ones are after the tag is read from the history.
    expect(sql.match(/^-- rollback .*$/gm)).toHaveLength(4);
    expect(sql).toContain(
      `SELECT count(*) > 0 AS slipway_applied FROM public.databasechangelog WHERE ID = '3' AND AUTHOR = 'alice' AND (FILENAME = 'db/master.sql' OR lower(pg_temp.slipway_changelog_path(pg_temp.slipway_changelog_path(FILENAME))) = 'db/master.sql') AND ${range} \\gset`,
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
      "SELECT set_config('slipway.no_rollback', coalesce(string_agg(k.key, ', ' ORDER BY h.ORDEREXECUTED DESC), ''), true) AS slipway_no_rollback FROM public.databasechangelog AS h JOIN (VALUES ('c', 'alice', 'db/master.sql', 'db/master.sql::c::alice'), ('a', 'alice', 'db/master.sql', 'db/master.sql::a::alice')) AS k (id, author, filename, key) ON h.ID = k.id AND h.AUTHOR = k.author AND (h.FILENAME = k.filename OR lower(pg_temp.slipway_changelog_path(pg_temp.slipway_changelog_path(h.FILENAME))) = lower(pg_temp.slipway_changelog_path(k.filename))) WHERE (h.DATEEXECUTED, h.ORDEREXECUTED) >= (:'slipway_since_date', :slipway_since_order) \\gset",
    );
    expect(sql).toContain(
      "RAISE EXCEPTION 'slipway: recorded changeset(s) to roll back have no rollback; nothing was rolled back: %'",
    );
    // The check comes before the first block, so nothing runs before it fails.
    expect(sql.indexOf('RAISE EXCEPTION')).toBeLessThan(sql.indexOf('-- rollback '));
    expect(sql.match(/^-- rollback .*$/gm)).toEqual(['-- rollback db/master.sql::b::alice']);
  });

  it('--tag-version NEWEST goes back to the newest row with the tag; it needs --to-tag; values ignore case', () => {
    const sql = renderRollbackSql(cl, { toTag: 'v1', tagVersion: 'NEWEST' });
    expect(sql.split('\n')[0]).toBe(
      "-- Slipway rollback: those of 4 changeset(s) recorded after the newest row tagged v1 (as Liquibase's rollback --tag --tag-version NEWEST), newest first (by changelog position), in one transaction",
    );
    expect(sql).toContain('ORDER BY h.DATEEXECUTED DESC, h.ORDEREXECUTED DESC LIMIT 1 \\gset');
    expect(renderRollbackSql(cl, { toTag: 'v1', tagVersion: 'OLDEST' })).toBe(renderRollbackSql(cl, { toTag: 'v1' }));
    expect(() => renderRollbackSql(cl, { count: 1, tagVersion: 'NEWEST' })).toThrow('--tag-version goes with --to-tag');
    expect(parseTagVersion('newest')).toBe('NEWEST');
    expect(() => parseTagVersion('latest')).toThrow('--tag-version must be OLDEST or NEWEST, got "latest"');
  });

  it('writes the blocks in the order the history ran them when given it (those it lacks first)', () => {
    // 1's row is spelled as Liquibase 3.x or Spring Boot wrote it: still 1's (paths compared by changeSetPathKey).
    const executed = ['3', '1', '4'].map((id) => ({
      id,
      author: 'alice',
      filename: id === '1' ? 'classpath:DB/master.sql' : 'db/master.sql',
    }));
    const sql = renderRollbackSql(cl, { count: 3, executed });
    expect(sql.match(/^-- rollback .*$/gm)).toEqual(
      ['2', '4', '1', '3'].map((id) => `-- rollback db/master.sql::${id}::alice`),
    );
    expect(sql).toContain("HINT = 'the history changed since the rollback SQL was written: write it again'");
    expect(sql.split('\n')[0]).toContain('newest first (by execution order)');
  });

  it('planRollbackSql orders by the history it is given, else by changelog position, and rejects unknown keys', () => {
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
    // The history ran 3 before 1: 1 is undone first.
    const ran = planRollbackSql(index, [index[0]!, index[2]!], undefined, [index[2]!, index[0]!]);
    expect(ran.indexOf('-- rollback db/master.sql::1::')).toBeLessThan(ran.indexOf('-- rollback db/master.sql::3::'));
    expect(() => planRollbackSql(index, [{ id: 'zz', author: 'a', filename: 'f' }])).toThrow(
      '1 changeset(s) to roll back are not in the changelog',
    );
  });
});
