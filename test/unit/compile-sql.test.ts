import { describe, expect, it } from 'vitest';
import { mapColumn, planSqlChecks, substituteLine } from '../../src/builder/compile/sql-chunks.js';
import { validateSql } from '../../src/builder/compile/sql.js';
import { expandProperties } from '../../src/db/properties.js';

describe('planSqlChecks', () => {
  it('blanks psql meta-command lines and keeps line numbers', () => {
    const plan = planSqlChecks('\\set ON_ERROR_STOP on\nSELECT 1;\n  \\i other.sql\nSELECT 2;\n', 'db/x.sql', {});
    expect(plan).toEqual({
      chunks: [{ text: '\nSELECT 1;\n\nSELECT 2;\n', lines: [1, 2, 3, 4, 5], spans: new Map(), label: null }],
      notes: [],
      problems: [],
    });
  });

  it('splits formatted SQL into changesets, substitutes properties, skips endDelimiter and other dbms', () => {
    const text = [
      '-- liquibase formatted sql',
      '',
      '--changeset ann:1 runOnChange:true',
      'CREATE TABLE ${schema}.t (id int);',
      '--changeset ann:2 endDelimiter:GO',
      'CREATE PROCEDURE p AS SELECT 1',
      'GO',
      '--changeset ann:3 dbms:oracle',
      'CREATE TABLE x (id NUMBER(10));',
      '--changeset ann:4 dbms:postgresql,h2',
      'SELECT ${unknown};',
    ].join('\n');
    const plan = planSqlChecks(text, 'db/c.sql', { schema: 'umig' });
    expect(plan.notes).toEqual([
      "db/c.sql:5: changeset ann:2 uses endDelimiter:GO; not validated (the parser needs ';'-terminated SQL)",
      'db/c.sql:8: changeset ann:3 is for dbms:oracle; not validated as PostgreSQL',
      'db/c.sql:11: ${unknown} has no value in database.properties; parsed as an identifier placeholder',
    ]);
    expect(plan.chunks.map((c) => [c.label, c.lines, c.text])).toEqual([
      ['changeset ann:1', [4], 'CREATE TABLE umig.t (id int);'],
      ['changeset ann:4', [11], 'SELECT "unknown";'],
    ]);
    expect(plan.chunks[0]!.spans).toEqual(new Map([[0, [{ at: 13, len: 4, origLen: 9 }]]]));
    expect(plan.problems).toEqual([]);
  });

  it("checks what the changelog parser keeps of a changeset: no rollback, comment or ignored lines; the file's own properties", () => {
    const text = [
      '--liquibase formatted sql',
      '--property name:tbl value:items',
      '--property name:ctx_only value:x context:prod',
      '--changeset ann:1',
      '--comment: a table',
      'CREATE TABLE ${tbl} (id int);',
      '--rollback DROP TABLE ${tbl} oops;',
      '--ignoreLines:1',
      'this line is not SQL',
      'SELECT ${ctx_only};',
    ].join('\n');
    const plan = planSqlChecks(text, 'db/r.sql', {});
    expect(plan.chunks.map((c) => [c.label, c.lines, c.text])).toEqual([
      ['changeset ann:1', [6, 10], 'CREATE TABLE items (id int);\nSELECT "ctx_only";'],
    ]);
    expect(plan.notes).toEqual([
      'db/r.sql:10: ${ctx_only} has no value in database.properties; parsed as an identifier placeholder',
    ]);
  });

  it('reports a formatted SQL file the changelog parser rejects as a problem at its line', () => {
    const plan = planSqlChecks(
      '--liquibase formatted sql\n--changeset ann:1\nSELECT 1;\n--changeset ann\n',
      'db/m.sql',
      {},
    );
    expect(plan.chunks).toEqual([]);
    expect(plan.problems).toEqual([
      { file: 'db/m.sql', line: 4, column: 1, message: expect.stringMatching(/changeset/) as unknown as string },
    ]);
  });

  it('maps substituted columns back to the original line', () => {
    const props: Record<string, string> = { p: 'LONGER', q: '' };
    const { text, spans, unresolved } = substituteLine('a ${p} b ${q} c', (n) => props[n]);
    expect(text).toBe('a LONGER b  c');
    expect(unresolved).toEqual([]);
    expect(spans).toEqual([
      { at: 2, len: 6, origLen: 4 },
      { at: 11, len: 0, origLen: 4 },
    ]);
    expect(mapColumn(spans, 0)).toBe(0); // 'a'
    expect(mapColumn(spans, 4)).toBe(2); // inside the replacement → its start
    expect(mapColumn(spans, 9)).toBe(7); // 'b'
    expect(mapColumn(spans, 12)).toBe(14); // 'c'
    expect(mapColumn(undefined, 5)).toBe(5);
  });

  it('substitutes exactly what the package will contain: nesting, values that hold expressions, the ${:name} escape', () => {
    const props: Record<string, string> = { env: 'prod', prod_schema: 's_${env}', tbl: 'items' };
    const lookup = (n: string) => props[n];
    for (const line of ['CREATE TABLE ${${env}_schema}.${tbl} (x int);', "SELECT '${:tbl}', ${ tbl }", 'a ${tbl b']) {
      expect(substituteLine(line, lookup).text).toBe(expandProperties(line, lookup));
    }
    const escaped = substituteLine("SELECT '${:tbl}'", lookup);
    expect(escaped).toEqual({ text: "SELECT '${tbl}'", spans: [{ at: 8, len: 6, origLen: 7 }], unresolved: [] });
  });
});

describe('validateSql (libpg-query)', () => {
  it('accepts valid SQL including plpgsql bodies and psql meta commands', async () => {
    const sql =
      '\\set ON_ERROR_STOP on\nCREATE FUNCTION f() RETURNS int AS $$\nBEGIN\n  RETURN 1;\nEND\n$$ LANGUAGE plpgsql;\n\\i next.sql\n';
    expect(await validateSql(sql, 'db/f.sql', {})).toEqual({ problems: [], notes: [] });
    expect(await validateSql('-- nothing but a comment\n', 'db/c.sql', {})).toEqual({ problems: [], notes: [] });
    expect(await validateSql('', 'db/e.sql', {})).toEqual({ problems: [], notes: [] });
  });

  it('reports the first error of a plain file at its line:col (character columns)', async () => {
    const r = await validateSql("SELECT 'ééé';\n  SELEC 2;\n", 'db/bad.sql', {});
    expect(r.problems).toEqual([
      { file: 'db/bad.sql', line: 2, column: 3, message: 'syntax error at or near "SELEC"' },
    ]);
    const eof = await validateSql('SELECT (1', 'db/eof.sql', {});
    expect(eof.problems).toEqual([
      { file: 'db/eof.sql', line: 1, column: 10, message: 'syntax error at end of input' },
    ]);
  });

  it('parses a property without a value as an identifier placeholder, wherever it stands', async () => {
    const text =
      "--liquibase formatted sql\n--changeset a:1\nCREATE TABLE ${s}.t (n varchar(${len}) DEFAULT ${d}, c text DEFAULT '${x}');\n";
    const r = await validateSql(text, 'db/p.sql', {});
    expect(r.problems).toEqual([]);
    expect(r.notes.map((n) => n.split(': ')[1])).toEqual([
      '${s} has no value in database.properties; parsed as an identifier placeholder',
      '${len} has no value in database.properties; parsed as an identifier placeholder',
      '${d} has no value in database.properties; parsed as an identifier placeholder',
      '${x} has no value in database.properties; parsed as an identifier placeholder',
    ]);
  });

  it('keeps original columns after swapping a placeholder for a number', async () => {
    const text = '--liquibase formatted sql\n--changeset a:1\nCREATE TABLE t (n varchar(${len}) oops, m int);\n';
    const r = await validateSql(text, 'db/q.sql', {});
    expect(r.problems).toEqual([
      { file: 'db/q.sql', line: 3, column: 35, message: 'syntax error at or near "oops" (changeset a:1)' },
    ]);
  });

  it('reports one error per broken changeset at the original column', async () => {
    const text = [
      '--liquibase formatted sql',
      '--changeset a:1',
      'CREATE TABLE ${schema}.x (id int) oops;',
      '--changeset a:2',
      'SELECT 1;',
      '--changeset a:3',
      'INSERT INTO ${schema}.x VALUES (1,;',
    ].join('\n');
    const r = await validateSql(text, 'db/cs.sql', { schema: 'umig_schema' });
    expect(r.problems).toEqual([
      { file: 'db/cs.sql', line: 3, column: 35, message: 'syntax error at or near "oops" (changeset a:1)' },
      { file: 'db/cs.sql', line: 7, column: 35, message: 'syntax error at or near ";" (changeset a:3)' },
    ]);
  });
});
