import { describe, expect, it } from 'vitest';
import { formatEpoch, renderPackage, renderPackageChunks } from '../../../src/db/render.js';
import { renderChangeSet, renderHistoryInsert } from '../../../src/db/render-changeset.js';
import { renderPreconditionProgram } from '../../../src/db/render-precondition.js';
import type { ChangeSet } from '../../../src/db/model.js';
import { makeChangeSet, makeChangelog } from './make-changeset.js';
import { historyRecord } from '../../../src/db/render-bookkeeping.js';

const SUM = '9:0123456789abcdef0123456789abcdef';
const files = [
  {
    path: 'db/master.sql',
    content: '--liquibase formatted sql\n--changeset alice:1\n-- comment\nCREATE TABLE t1 (id int);\n',
  },
];

describe('renderHistoryInsert', () => {
  it('writes the row Liquibase 4.28 writes, with the column order of `liquibase update-sql`', () => {
    const cs = makeChangeSet({ id: "o'k", checksum: SUM, comment: 'first', contexts: 'dev', labels: 'l1' });
    expect(renderHistoryInsert(cs, 'EXECUTED')).toBe(
      "EXECUTE slipway_record('o''k', 'alice', 'db/master.sql', '9:0123456789abcdef0123456789abcdef', 'sql', 'first', 'EXECUTED', 'dev', 'l1', NULL);",
    );
    // The session's prepared INSERT, in the package's prelude.
    expect(historyRecord()).toBe(
      "PREPARE slipway_record(text, text, text, text, text, text, text, text, text, text) AS WITH r AS (INSERT INTO public.databasechangelog (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, MD5SUM, DESCRIPTION, COMMENTS, EXECTYPE, CONTEXTS, LABELS, LIQUIBASE, DEPLOYMENT_ID, TAG) VALUES ($1, $2, $3, NOW(), nextval('pg_temp.slipway_order'), $4, $5, $6, $7, $8, $9, '4.28.0', :'slipway_deployment_id', $10) RETURNING ID, AUTHOR, FILENAME, MD5SUM) INSERT INTO pg_temp.slipway_ran SELECT ID, AUTHOR, FILENAME, pg_temp.slipway_changelog_path(pg_temp.slipway_changelog_path(FILENAME)), MD5SUM FROM r;",
    );
    // Its conditional form (a runOnChange/runAlways changeset's first row): the same, written only when $1.
    expect(historyRecord(undefined, true)).toBe(
      "PREPARE slipway_record_new(boolean, text, text, text, text, text, text, text, text, text, text) AS WITH r AS (INSERT INTO public.databasechangelog (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, MD5SUM, DESCRIPTION, COMMENTS, EXECTYPE, CONTEXTS, LABELS, LIQUIBASE, DEPLOYMENT_ID, TAG) SELECT $2, $3, $4, NOW(), nextval('pg_temp.slipway_order'), $5, $6, $7, $8, $9, $10, '4.28.0', :'slipway_deployment_id', $11 WHERE $1 RETURNING ID, AUTHOR, FILENAME, MD5SUM) INSERT INTO pg_temp.slipway_ran SELECT ID, AUTHOR, FILENAME, pg_temp.slipway_changelog_path(pg_temp.slipway_changelog_path(FILENAME)), MD5SUM FROM r;",
    );
    expect(renderHistoryInsert(makeChangeSet({ id: 't', checksum: SUM, tag: 'v1' }), 'MARK_RAN')).toBe(
      "EXECUTE slipway_record('t', 'alice', 'db/master.sql', '9:0123456789abcdef0123456789abcdef', 'sql', '', 'MARK_RAN', NULL, NULL, 'v1');",
    );
  });

  it('adds TAG for tagDatabase changesets and cuts long comments to 250 like MarkChangeSetRanGenerator', () => {
    const cs = makeChangeSet({
      id: 't',
      checksum: SUM,
      tag: 'v1',
      description: 'tagDatabase',
      comment: 'x'.repeat(300),
    });
    expect(renderHistoryInsert(cs, 'MARK_RAN', true)).toBe(
      `EXECUTE slipway_record_new(:'slipway_new', 't', 'alice', 'db/master.sql', '${SUM}', 'tagDatabase', '${'x'.repeat(247)}...', 'MARK_RAN', NULL, NULL, 'v1');`,
    );
  });
});

describe('renderChangeSet', () => {
  it('checks, runs the SQL and writes its history row in one transaction; a recorded changeset commits nothing', () => {
    const cs = makeChangeSet({
      id: '1',
      checksum: SUM,
      location: { file: 'db/master.sql', line: 2 },
      statements: ['CREATE TABLE t1 (id int);'],
    });
    expect(
      renderChangeSet(cs, makeChangelog([cs], files), new Map([['db/master.sql', files[0]!.content.split('\n')]])),
    ).toBe(
      [
        '-- @slipway {"id":"1","author":"alice","filename":"db/master.sql"}',
        '-- changeset db/master.sql::1::alice (db/master.sql:2)',
        'BEGIN \\;',
        "SELECT * FROM pg_temp.slipway_changeset('1', 'alice', 'db/master.sql') \\gset",
        '\\if :slipway_run',
        '-- at db/master.sql:4',
        'CREATE TABLE t1 (id int);',
        "EXECUTE slipway_record('1', 'alice', 'db/master.sql', '9:0123456789abcdef0123456789abcdef', 'sql', '', 'EXECUTED', NULL, NULL, NULL) \\;",
        'COMMIT;',
        "\\echo 'slipway: EXECUTED' 'db/master.sql::1::alice'",
        '\\else',
        'COMMIT;',
        '\\endif',
      ].join('\n'),
    );
  });

  it('re-runs runOnChange changesets whose checksum changed and records RERAN; runInTransaction:false runs its SQL outside a transaction', () => {
    const cs = makeChangeSet({
      id: 'v',
      checksum: SUM,
      runOnChange: true,
      runInTransaction: false,
      statements: ['CREATE OR REPLACE VIEW v AS SELECT 1 -- end'],
    });
    const sql = renderChangeSet(cs, makeChangelog([cs]), new Map());
    expect(sql).toContain(
      "SELECT * FROM pg_temp.slipway_changeset('v', 'alice', 'db/master.sql', p_sums => ARRAY['9:0123456789abcdef0123456789abcdef'], p_in_transaction => false) \\gset\n\\if :slipway_run\n",
    );
    // Only the history row is written in a transaction, which holds the lock row again first (the check held it only
    // for itself) and takes the history's snapshot again when another writer was there since.
    expect(sql).toContain(
      '\\if :slipway_run\n-- at db/master.sql:1\nCREATE OR REPLACE VIEW v AS SELECT 1 -- end\n;\nBEGIN \\;\nSELECT pg_temp.slipway_history(false) AS slipway_synced \\gset\nWITH o AS',
    );
    expect(sql).not.toContain('ROLLBACK;');
    expect(sql).toContain(
      "WITH o AS (SELECT nextval('pg_temp.slipway_order') AS n WHERE NOT :'slipway_new'), r AS (UPDATE public.databasechangelog SET DATEEXECUTED = NOW(), ORDEREXECUTED = (SELECT n FROM o), MD5SUM = '9:0123456789abcdef0123456789abcdef', EXECTYPE = 'RERAN', DEPLOYMENT_ID = :'slipway_deployment_id', COMMENTS = '', CONTEXTS = NULL, LABELS = NULL, LIQUIBASE = '4.28.0', DESCRIPTION = 'sql' WHERE ID = 'v' AND AUTHOR = 'alice' AND FILENAME = 'db/master.sql' RETURNING 1) UPDATE pg_temp.slipway_ran SET MD5SUM = '9:0123456789abcdef0123456789abcdef' WHERE ID = 'v' AND AUTHOR = 'alice' AND FILENAME = 'db/master.sql' AND (SELECT n FROM o) IS NOT NULL \\;\nEXECUTE slipway_record_new(:'slipway_new', 'v', 'alice', 'db/master.sql', '9:0123456789abcdef0123456789abcdef', 'sql', '', 'EXECUTED', NULL, NULL, NULL) \\;\nCOMMIT;\n",
    );
    expect(sql).toContain(
      "\\if :slipway_new\n\\echo 'slipway: EXECUTED' 'db/master.sql::v::alice'\n\\else\n\\echo 'slipway: RERAN' 'db/master.sql::v::alice'\n\\endif",
    );
  });

  it("uses the parser's statementLocations for the `-- at` markers (e.g. statements of an sqlFile)", () => {
    const cs = makeChangeSet({
      id: 's',
      statements: ['INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (2)'],
      statementLocations: [
        { file: 'db/sql/seed.sql', line: 1 },
        { file: 'db/sql/seed.sql', line: 3 },
      ],
    });
    const sql = renderChangeSet(cs, makeChangelog([cs]), new Map());
    expect(sql).toContain(
      '-- at db/sql/seed.sql:1\nINSERT INTO t VALUES (1)\n;\n-- at db/sql/seed.sql:3\nINSERT INTO t VALUES (2)\n\\; EXECUTE slipway_record(',
    );
  });

  it('sends the last statement with the history row and COMMIT only in a transaction that stops on error', () => {
    const statements = ['CREATE TABLE a (id int)', 'CREATE TABLE b (id int) -- last'];
    const render = (over: Partial<ChangeSet>) => {
      const cs = makeChangeSet({ id: 'j', checksum: SUM, statements, ...over });
      return renderChangeSet(cs, makeChangelog([cs]), new Map());
    };
    // One line after the statement: psql names the line where it sent the query, so an error in the statement is
    // still reported on the line right after it.
    const joined =
      /\nCREATE TABLE b \(id int\) -- last\n\\; (EXECUTE slipway_record\(|WITH o AS \(SELECT nextval)[^\n]* \\; COMMIT;\n/;
    for (const sql of [
      render({}),
      render({ runOnChange: true }),
      render({
        preconditions: {
          onFail: 'WARN',
          onError: 'HALT',
          operator: 'and',
          checks: [{ type: 'table-exists', attrs: { tableName: 'T1' } }],
          location: { file: 'db/master.sql', line: 1 },
        },
      }),
    ]) {
      expect(sql).toContain('\nCREATE TABLE a (id int)\n;\n');
      expect(sql).toMatch(joined);
    }
    expect(render({ runOnChange: true })).toMatch(
      /\\; WITH o AS \(SELECT nextval[^\n]* \\; EXECUTE slipway_record_new\(:'slipway_new', [^\n]* \\; COMMIT;\n/,
    );
    // Outside a transaction a multi-statement query would be one (implicit) transaction; failOnError:false checks
    // ERROR after each statement; a statement that ends with its own `;` is sent as written.
    for (const sql of [render({ runInTransaction: false }), render({ failOnError: false })]) {
      expect(sql).not.toMatch(joined);
      expect(sql).toContain('\nCREATE TABLE b (id int) -- last\n;\n');
    }
    expect(render({ statements: ['CREATE TABLE a (id int);'] })).toContain(
      '\nCREATE TABLE a (id int);\nEXECUTE slipway_record(',
    );
  });

  it('evaluates preconditions at run time: HALT raises, MARK_RAN records without running', () => {
    const location = { file: 'db/master.sql', line: 1 };
    const checks = [{ type: 'table-exists' as const, attrs: { tableName: 'T1' } }];
    const halt = makeChangeSet({
      id: 'h',
      preconditions: { onFail: 'HALT', onError: 'HALT', operator: 'and', checks, location, onFailMessage: 'need t1' },
    });
    const h = renderChangeSet(halt, makeChangelog([halt]), new Map());
    expect(h).toContain(
      "passed := EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND lower(table_name) = lower('T1'));",
    );
    // A check that errors takes the onError path (HALT here, with the check's own error text), a false one onFail.
    expect(h).toContain(
      "AS slipway_pre_error \\gset\n\\if :slipway_pre_error\nDO $slipway$BEGIN RAISE EXCEPTION '%', 'slipway: precondition could not be checked for changeset db/master.sql::h::alice' || ' (' || current_setting('slipway.pre') || ')'",
    );
    expect(h).toContain('\n\\elif :slipway_pre\n');
    expect(h).toContain(
      "\\else\nDO $slipway$BEGIN RAISE EXCEPTION '%', 'slipway: precondition failed for changeset db/master.sql::h::alice: need t1' USING HINT",
    );
    const mark = makeChangeSet({
      id: 'm',
      preconditions: { onFail: 'MARK_RAN', onError: 'HALT', operator: 'and', checks, location },
    });
    const m = renderChangeSet(mark, makeChangelog([mark]), new Map());
    expect(m).toMatch(
      /\\else\nEXECUTE slipway_record\([^\n]*'MARK_RAN'[^\n]*\);\nCOMMIT;\n\\echo 'slipway: MARK_RAN' 'db\/master\.sql::m::alice'\n\\endif\n\\else\nCOMMIT;\n\\endif$/,
    );
  });

  it('renders preconditions as statements that check in order, no further than needed', () => {
    const location = { file: 'f', line: 1 };
    expect(
      renderPreconditionProgram({
        onFail: 'HALT',
        onError: 'HALT',
        operator: 'or',
        location,
        checks: [
          { type: 'sql-check', expectedResult: '0', sql: 'SELECT count(*) FROM t;', attrs: {} },
          { type: 'changeset-executed', attrs: { id: '1', author: 'a', changeLogFile: 'f.sql' }, negate: true },
          { type: 'dbms', attrs: { type: 'oracle, postgresql' } },
        ],
      }),
    ).toBe(
      "EXECUTE 'SELECT (SELECT CASE WHEN count(*) <> 1 THEN (''slipway: sqlCheck returned '' || count(*) || '' rows, expected one'')::int::text ELSE max(CASE WHEN pg_typeof(q.v) = ''boolean''::regtype THEN CASE WHEN q.v::text = ''true'' THEN ''t'' ELSE ''f'' END ELSE q.v::text END) END FROM (SELECT count(*) FROM t) AS q(v)) IS NOT DISTINCT FROM ''0''' INTO passed; IF NOT passed THEN passed := EXISTS (SELECT 1 FROM public.databasechangelog WHERE lower(ID) = lower('1') AND lower(AUTHOR) = lower('a') AND lower(pg_temp.slipway_changelog_path(pg_temp.slipway_changelog_path(FILENAME))) = 'f.sql'); passed := NOT passed; END IF; IF NOT passed THEN passed := TRUE; END IF;",
    );
  });
});

describe('renderPackage', () => {
  const cl = makeChangelog(
    [
      makeChangeSet({ id: '1', checksum: SUM }),
      makeChangeSet({ id: '2', filename: 'db/b.sql', location: { file: 'db/b.sql', line: 3 } }),
    ],
    files,
  );
  const opts = { application: 'umig', version: '1.2.0', sourceDateEpoch: 1758810600 };

  it('starts with the header and is byte-identical for identical input', () => {
    const sql = renderPackage(cl, opts);
    expect(sql.split('\n').slice(0, 11).join('\n')).toBe(
      [
        '-- umig Database Version Package v1.2.0',
        '-- Generated by slipway: one self-contained SQL file, executable by psql or `slipway db apply`',
        '-- Mode: liquibase',
        '-- Changelog: db/master.sql',
        '-- Changelog head: db/b.sql::2::alice',
        '-- Changesets: 2',
        '-- Files: 1',
        '-- Generated: 2025-09-25T14:30:00Z (SOURCE_DATE_EPOCH 1758810600)',
        '-- Run: psql -v ON_ERROR_STOP=1 -f package.sql   (or: slipway db apply --database-url URL package.sql)',
        '',
        '\\set ON_ERROR_STOP on',
      ].join('\n'),
    );
    expect(renderPackage(cl, opts)).toBe(sql);
    expect(sql.match(/^-- === FILE: .* ===$/gm)).toEqual([
      '-- === FILE: db/master.sql ===',
      '-- === FILE: db/b.sql ===',
    ]);
    expect(sql).toContain("  ('1', 'alice', 'db/master.sql', '9:0123456789abcdef0123456789abcdef', NULL, '{}'),\n");
    expect(
      sql.endsWith(
        "-- end of package: 2 changesets\nDEALLOCATE slipway_record;\nDEALLOCATE slipway_record_new;\nDROP FUNCTION pg_temp.slipway_history;\nDROP TABLE pg_temp.slipway_ran;\nDROP SEQUENCE pg_temp.slipway_order;\nDROP FUNCTION pg_temp.slipway_changeset;\n\\echo 'slipway: package complete'\n",
      ),
    ).toBe(true);
  });

  it('--mode plain inlines each included file in place, with FILE markers, keeping SQL between includes in order', () => {
    const plain = makeChangelog(
      [],
      [
        { path: 'db/main.sql', content: 'SELECT 1;\n\\i 01.sql\nSELECT 2;\n\\ir sub/02.sql\n' },
        { path: 'db/01.sql', content: 'CREATE TABLE a (id int);' },
        { path: 'db/sub/02.sql', content: '\\ir 03.sql\nINSERT INTO a VALUES (2);\n' },
        { path: 'db/sub/03.sql', content: 'INSERT INTO a VALUES (3);\n' },
      ],
    );
    expect(
      renderPackage(plain, { ...opts, mode: 'plain' })
        .split('\n')
        .slice(9)
        .join('\n'),
    ).toBe(
      [
        '',
        '\\set ON_ERROR_STOP on',
        '',
        '-- === FILE: db/main.sql ===',
        'SELECT 1;',
        '-- (inlined) \\i 01.sql',
        '',
        '-- === FILE: db/01.sql ===',
        'CREATE TABLE a (id int);',
        '-- === END OF INCLUDE, BACK IN: db/main.sql ===',
        'SELECT 2;',
        '-- (inlined) \\ir sub/02.sql',
        '',
        '-- === FILE: db/sub/02.sql ===',
        '-- (inlined) \\ir 03.sql',
        '',
        '-- === FILE: db/sub/03.sql ===',
        'INSERT INTO a VALUES (3);',
        '-- === END OF INCLUDE, BACK IN: db/sub/02.sql ===',
        'INSERT INTO a VALUES (2);',
        '-- === END OF INCLUDE, BACK IN: db/main.sql ===',
        '',
      ].join('\n'),
    );
  });

  it('comes in pieces no larger than one changeset, also the checksum validation of every changeset', () => {
    // db package --out-file writes the pieces as they come: a piece that grows with the changelog is held whole.
    const many = makeChangelog(
      Array.from({ length: 2000 }, (_, i) => makeChangeSet({ id: String(i), checksum: SUM })),
      files,
    );
    const pieces = Array.from(renderPackageChunks(many, opts));
    // The largest is the prelude (~6 kB with the session's changeset check, history snapshot and path functions),
    // whatever the changelog.
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan(6500);
    const sql = pieces.join('');
    expect(sql).toBe(renderPackage(many, opts));
    const rows = (i: number) => `  ('${i}', 'alice', 'db/master.sql', '${SUM}', NULL, '{}')`;
    expect(sql).toContain(`  INSERT INTO slipway_expected VALUES\n${rows(0)},\n${rows(1)},\n`);
    expect(sql).toContain(`,\n${rows(1999)};\n  SELECT string_agg(`);
    expect(sql).toContain('$slipway$;\n\n-- === FILE: db/master.sql ===\n');
    // A runOnChange changeset may change (any recorded sum is valid); only its NULL sum is filled in.
    const rerun = makeChangelog([makeChangeSet({ id: '1', checksum: SUM, runOnChange: true })], files);
    expect(renderPackage(rerun, opts)).toContain(`  ('1', 'alice', 'db/master.sql', '${SUM}', NULL, '{ANY}');\n`);
    expect(renderPackage(makeChangelog([], files), opts)).not.toContain('slipway_expected');
  });

  it('formats SOURCE_DATE_EPOCH as UTC to the second', () => {
    expect(formatEpoch(0)).toBe('1970-01-01T00:00:00Z');
  });
});
