import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPsqlScript } from '../../../src/db/psql-runner.js';
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
