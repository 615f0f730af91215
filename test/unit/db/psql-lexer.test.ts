import { describe, expect, it } from 'vitest';
import { lexPsqlScript, needsTerminator, splitMetaArgs } from '../../../src/db/psql-lexer.js';

const lex = (s: string, vars = new Map<string, string>()) => [...lexPsqlScript(s, vars)];

describe('lexPsqlScript', () => {
  it('splits on semicolons outside quotes, dollar quotes, comments and parentheses', () => {
    const src = [
      'SELECT \'a;b\', "x;y" FROM t; -- c;',
      'CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql;',
      '/* a; /* nested; */ still; */ SELECT 2;',
      "SELECT E'it\\'s;';",
      'CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);',
    ].join('\n');
    expect(lex(src).map((i) => (i.kind === 'sql' ? [i.line, i.text] : null))).toEqual([
      [1, 'SELECT \'a;b\', "x;y" FROM t;'],
      [2, 'CREATE FUNCTION f() RETURNS int AS $body$ BEGIN RETURN 1; END $body$ LANGUAGE plpgsql;'],
      [3, 'SELECT 2;'],
      [4, "SELECT E'it\\'s;';"],
      [5, 'CREATE RULE r AS ON INSERT TO t DO ALSO (SELECT 1; SELECT 2);'],
    ]);
  });

  it('keeps statements joined by \\; in one query, as psql sends them', () => {
    expect(lex('BEGIN \\;\nDO $x$ BEGIN NULL; END $x$;\nINSERT INTO t VALUES (1) \\; COMMIT;\n')).toEqual([
      { kind: 'sql', text: 'BEGIN ;\nDO $x$ BEGIN NULL; END $x$;', line: 1, comments: [], terminated: true },
      { kind: 'sql', text: 'INSERT INTO t VALUES (1) ; COMMIT;', line: 3, comments: [], terminated: true },
    ]);
    // A long statement lexes in linear time (the lexer once re-trimmed its buffer per character).
    const long = `SELECT ${'1 + '.repeat(200_000)}1;`;
    expect(lex(long)).toEqual([{ kind: 'sql', text: long, line: 1, comments: [], terminated: true }]);
  });

  it('reads meta-commands, the query before \\gset, and leading comments', () => {
    const items = lex("-- hello\nSELECT 1 AS a \\gset\n\\if :a\n\\echo 'it''s' done\n\\endif\n");
    expect(items).toEqual([
      {
        kind: 'meta',
        command: 'gset',
        args: [],
        line: 2,
        query: { text: 'SELECT 1 AS a', line: 2 },
        comments: ['hello'],
      },
      { kind: 'meta', command: 'if', args: [':a'], line: 3, query: null, comments: [] },
      { kind: 'meta', command: 'echo', args: ["it's", 'done'], line: 4, query: null, comments: [] },
      { kind: 'meta', command: 'endif', args: [], line: 5, query: null, comments: [] },
    ]);
  });

  it('interpolates :var, :\'var\' and :"var" at lex time but not casts, quotes or unknown names', () => {
    const vars = new Map([['v', "o'k"]]);
    const [item] = lex("SELECT :'v', :\"v\", 1::int, ':v', :unknown;", vars);
    expect(item).toMatchObject({ kind: 'sql', text: "SELECT 'o''k', \"o'k\", 1::int, ':v', :unknown;" });
    expect(splitMetaArgs('if :v', vars)).toEqual(['if', "o'k"]);
  });

  it('counts lines through multi-line literals and comments', () => {
    const items = lex("SELECT 'a\nb';\n/* x\ny */\nSELECT $$\n$$;\n\nSELECT 3");
    expect(items.map((i) => i.line)).toEqual([1, 5, 8]);
  });
});

describe('needsTerminator', () => {
  it('is false when the statement already ends with a semicolon outside comments', () => {
    expect(needsTerminator('SELECT 1;')).toBe(false);
    expect(needsTerminator('SELECT 1')).toBe(true);
    expect(needsTerminator('SELECT 1 -- done;')).toBe(true);
    expect(needsTerminator("SELECT ';'")).toBe(true);
    expect(needsTerminator('DO $$ BEGIN NULL; END $$')).toBe(true);
  });

  it('answers text without `;` or a backslash (no lexing) as the lexer does: comments and blanks need none', () => {
    for (const [sql, want] of [
      ['CREATE TABLE t (id int)', true],
      ["  \n\tINSERT INTO t VALUES ('x -- y')", true],
      ["'unterminated", true],
      ['(SELECT 1', true],
      ['-- only a comment', false],
      ['/* only a comment */', false],
      ['-- a comment\nSELECT 1', true],
      ['/* c */ SELECT 1', true],
      ['- 1', true],
      ['', false],
      [' \n ', false],
    ] as const) {
      expect(needsTerminator(sql), JSON.stringify(sql)).toBe(want);
      const items = lex(sql);
      const last = items[items.length - 1];
      expect(last !== undefined && last.kind === 'sql' && !last.terminated, `lexer on ${JSON.stringify(sql)}`).toBe(
        want,
      );
    }
  });
});

describe('needsTerminator without lexing', () => {
  // The answer the full lexer gives: its last item is an SQL statement without its `;`.
  const byLexer = (sql: string) => {
    const items = lex(sql);
    const last = items[items.length - 1];
    return last !== undefined && last.kind === 'sql' && !last.terminated;
  };

  it('agrees with the lexer on texts with `;` and backslashes', () => {
    for (const sql of [
      "INSERT INTO t VALUES (1, 'x; ''quoted''')",
      "INSERT INTO t VALUES (1, 'x; ''quoted''');",
      "SELECT E'a\\'; b'",
      "SELECT e'a\\';' ;",
      "SELECT xe'a\\'; b'",
      'SELECT "a;""b"',
      'DO $body$ BEGIN NULL; END $body$',
      'DO $body$ BEGIN NULL; END $body$;',
      'SELECT a$b$;c',
      'SELECT 1; SELECT 2',
      'SELECT 1;\n-- trailing;\n',
      'SELECT 1;\n/* open; */  \n',
      'SELECT (1;\n2)',
      'SELECT 1) ; x',
      'SELECT 1 \\; SELECT 2',
      'SELECT 1 \\gset\n',
      'SELECT 1 \\g\nSELECT 2',
      '\\echo x;\n',
      '\\echo x\nSELECT 1',
      'SELECT 1 \\echo x',
      'SELECT :v;',
      "SELECT :'v'",
      '/* a /* nested; */ still; */ SELECT 1',
      "'unterminated;",
      '$$ open;',
      ';\u00a0\ufeff',
      ';\u00a0x',
      'SELECT 1;\u2028',
    ])
      expect(needsTerminator(sql), JSON.stringify(sql)).toBe(byLexer(sql));
  });

  it('agrees with the lexer on random token soup', () => {
    const tokens = [
      ';',
      '\\;',
      '(',
      ')',
      "'",
      "''",
      '"',
      '$$',
      '$a$',
      'a',
      'E',
      ' ',
      '\n',
      '--',
      '/*',
      '*/',
      '\\gset',
      '\\echo',
      ':',
      ':x',
      '-',
      '/',
      '\u00a0',
      'é',
    ];
    let seed = 42;
    const rand = (k: number) => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % k;
    };
    for (let t = 0; t < 5000; t++) {
      let sql = '';
      for (let k = rand(12); k >= 0; k--) sql += tokens[rand(tokens.length)];
      expect(needsTerminator(sql), JSON.stringify(sql)).toBe(byLexer(sql));
    }
  });
});

describe('lexPsqlScript: COPY … FROM STDIN data', () => {
  it('takes the lines after the statement up to \\. as data, and goes on after them', () => {
    const items = lex('COPY t (a, b) FROM stdin;\n1\tx;y\n\\N\t-- not a comment\n\\.\nSELECT 1;\n');
    expect(items).toEqual([
      {
        kind: 'copy',
        text: 'COPY t (a, b) FROM stdin;',
        line: 1,
        comments: [],
        data: '1\tx;y\n\\N\t-- not a comment\n',
        dataLine: 2,
        meta: false,
      },
      { kind: 'sql', text: 'SELECT 1;', line: 5, comments: [], terminated: true },
    ]);
  });

  it('\\copy … from stdin becomes the COPY psql sends; the end of the script also ends the data', () => {
    expect(lex('\\copy t (a) from stdin with (format csv);\n"1"\n"2"')).toEqual([
      {
        kind: 'copy',
        text: 'COPY t (a) FROM STDIN with (format csv)',
        line: 1,
        comments: [],
        data: '"1"\n"2"',
        dataLine: 2,
        meta: true,
      },
    ]);
    // Not copy-in: a COPY to stdout, a COPY from a file, and \copy from a file stay what they were.
    expect(lex("COPY t TO stdout;\nCOPY t FROM '/x';\n\\copy t from 'f.csv'\n").map((i) => i.kind)).toEqual([
      'sql',
      'sql',
      'meta',
    ]);
  });

  it('refuses text after COPY … FROM STDIN; on its own line (psql would run it after the data)', () => {
    expect(() => lex('COPY t FROM stdin; SELECT 2;\n1\n\\.\n')).toThrow('text after COPY … FROM STDIN; on line 1');
    expect(lex('COPY t FROM stdin; -- rows follow\n1\n\\.\n').map((i) => i.kind)).toEqual(['copy']);
  });
});
