import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPsqlScript, runPsqlScript } from '../../../src/db/psql-runner.js';
import { openSession, type SqlSession } from '../../../src/db/session.js';
import type { SlipwayError } from '../../../src/errors.js';

// PGlite is a real in-process PostgreSQL, so the runner's psql semantics are checked against a real server.
describe('runPsqlScript (psql semantics on PGlite)', () => {
  let s: SqlSession;
  beforeAll(async () => {
    s = await openSession('memory:');
  });
  afterAll(async () => {
    await s.close();
  });

  it('\\gset, nested \\if/\\elif/\\else, \\set and \\echo with interpolation', async () => {
    const r = await runPsqlScript(
      s,
      [
        "SELECT 2 > 1 AS yes, 1 > 2 AS no, NULL::text AS gone, 'it''s' AS word \\gset",
        '\\set who :word',
        '\\if :no',
        "\\echo 'wrong branch'",
        '\\elif :yes',
        '\\if :no',
        "\\echo 'inner wrong'",
        '\\else',
        "\\echo 'right' :who",
        '\\endif',
        '\\else',
        "\\echo 'wrong else'",
        '\\endif',
        "SELECT :'word' = 'it''s' AS same \\gset",
        "\\echo 'same=' :same",
      ].join('\n'),
    );
    expect(r.echoed).toEqual(["right it's", 'same= t']);
  });

  it('statements in a false branch are not sent; \\quit stops the script', async () => {
    const r = await runPsqlScript(s, "\\if false\nSELECT 1/0;\n\\endif\n\\echo 'a'\n\\quit\n\\echo 'b'\nSELECT 1/0;");
    expect(r.echoed).toEqual(['a']);
  });

  it('rejects meta-commands it does not interpret, and \\gset without exactly one row', async () => {
    await expect(runPsqlScript(s, "\\copy t to 'out.csv'")).rejects.toThrow('unsupported psql meta-command \\copy');
    await expect(runPsqlScript(s, '\\connect other')).rejects.toThrow('unsupported psql meta-command \\connect');
    await expect(runPsqlScript(s, 'SELECT 1 WHERE false \\gset')).rejects.toThrow(
      '\\gset expects exactly one row, got 0',
    );
    await expect(runPsqlScript(s, '\\if true\n')).rejects.toThrow('\\if without \\endif at end of script');
  });

  it('checkPsqlScript reads the whole script first: what the runner would stop at, in any branch that may be taken', () => {
    const problem = (script: string) => {
      try {
        checkPsqlScript(script, 'x.sql');
        return null;
      } catch (e) {
        return `${(e as SlipwayError).location ?? ''} ${(e as SlipwayError).message.replace(/; nothing was run.*$/, '')}`;
      }
    };
    expect(problem('SELECT 1;\nSELECT 2;\n\\connect other')).toBe('x.sql:3 unsupported psql meta-command \\connect');
    // a branch on a value the script reads while it runs may be taken; a literal false one is passed over, as psql does
    expect(problem('SELECT true AS go \\gset\n\\if :go\n\\else\n\\lo_list\n\\endif')).toBe(
      'x.sql:4 unsupported psql meta-command \\lo_list',
    );
    expect(problem('\\if false\n\\lo_list\n\\elif 0\n\\lo_list\n\\else\nSELECT 1;\n\\endif')).toBeNull();
    expect(problem('\\if true\nSELECT 1;\n\\else\n\\lo_list\n\\endif')).toBeNull();
    expect(problem('\\if :x\n\\if false\n\\lo_list\n\\endif\n\\endif')).toBeNull();
    expect(problem('SELECT 1;\n\\quit\n\\lo_list')).toBeNull();
    expect(problem('\\if :x\n\\quit\n\\endif\n\\lo_list')).toBe('x.sql:4 unsupported psql meta-command \\lo_list');
    expect(problem('\\if maybe\n\\endif')).toBe('x.sql:1 unrecognized value "maybe" for \\if: a boolean is expected');
    expect(problem('\\endif')).toBe('x.sql:1 \\endif without \\if');
    expect(problem('\\if :x\nSELECT 1;')).toBe('x.sql \\if without \\endif at end of script');
    expect(problem('\\restrict k\n\\echo hi\n\\unrestrict k')).toBe(
      'x.sql:2 \\echo in restricted mode: only \\unrestrict with the key of \\restrict is allowed',
    );
    expect(problem('COPY t FROM STDIN; SELECT 1;\n\\.\n')).toBe(
      'x.sql:1 text after COPY … FROM STDIN; on line 1: SELECT 1;',
    );
    // what Slipway's own packages use passes
    expect(
      problem(
        "\\set ON_ERROR_STOP off\nSELECT 1 AS a \\gset\n\\if :ERROR\n\\set f true\n\\endif\n\\timing on\n\\echo 'x' :a",
      ),
    ).toBeNull();
  });

  it('reports a failing statement at its line with a caret, using the `-- at file:line` marker', async () => {
    const script = [
      '-- @slipway {"id":"1","author":"a","filename":"f.sql"}',
      '-- at db/f.sql:10',
      'SELECT 1,',
      '  nosuch;',
    ].join('\n');
    const run = runPsqlScript(s, script);
    await expect(run).rejects.toThrow('changeset f.sql::1::a failed: column "nosuch" does not exist (SQLSTATE 42703)');
    await expect(run).rejects.toMatchObject({
      code: 'E_DB',
      file: 'db/f.sql',
      line: 11,
      column: 3,
      details: ['11 |   nosuch;', '       ^'],
    });
  });

  it('a signal during a PGlite statement: the statement finishes (PGlite cannot cancel it), the next never runs, and the error says so', async () => {
    const ctl = new AbortController();
    // The signal fires while the statement is in flight (PostgreSQL would get a pg_cancel_backend here).
    const during: SqlSession = {
      ...s,
      query: (text, o) => {
        const p = s.query(text, o);
        if (text.includes('pg_sleep')) ctl.abort('SIGINT');
        return p;
      },
    };
    const err = await runPsqlScript(
      during,
      'CREATE TABLE sig_done AS SELECT 1 AS x FROM pg_sleep(0.05);\nCREATE TABLE sig_never (id int);',
      { signal: ctl.signal },
    ).then(
      () => null,
      (e: unknown) => e as SlipwayError,
    );
    expect(err?.code).toBe('E_DB');
    expect(err?.message).toBe(
      'stopped by SIGINT between statements (PGlite cannot cancel a running statement: one under way when the signal came finished first)',
    );
    const tables = await s.query("SELECT relname FROM pg_class WHERE relname LIKE 'sig\\_%' ORDER BY relname");
    expect(tables.rows.map((r) => r.relname)).toEqual(['sig_done']);
  });

  it('COPY … FROM STDIN and \\copy … from stdin load the data that follows in the script, up to \\.', async () => {
    const r = await runPsqlScript(
      s,
      [
        '\\timing on',
        '\\pset pager off',
        'CREATE TABLE cp (id int, name text, note text);',
        'COPY cp (id, name, note) FROM stdin;',
        '1\tit\'s; a "test"\t\\N',
        '2\ttab\\there\t\\\\ back',
        '\\.',
        '\\copy cp from stdin with (format csv)',
        '3,"a,b",\\! not a command',
        '\\.',
        "SELECT string_agg(concat_ws('|', id, name, coalesce(note, 'NULL')), ';' ORDER BY id) AS all FROM cp \\gset",
        '\\echo :all',
      ].join('\n'),
    );
    expect(r.echoed).toEqual(['1|it\'s; a "test"|NULL;2|tab\there|\\ back;3|a,b|\\! not a command']);
  });

  it('\\restrict KEY allows no meta-command but \\unrestrict KEY, as pg_dump expects of psql', async () => {
    const ok = await runPsqlScript(s, "\\restrict abc123\nSELECT 1;\n\\unrestrict abc123\n\\echo 'after'");
    expect(ok.echoed).toEqual(['after']);
    await expect(runPsqlScript(s, "\\restrict abc123\n\\echo 'smuggled'\n\\unrestrict abc123")).rejects.toThrow(
      '\\echo in restricted mode',
    );
    await expect(runPsqlScript(s, '\\restrict abc123\n\\unrestrict other')).rejects.toThrow(
      '\\unrestrict in restricted mode',
    );
  });
});
