import { describe, expect, it } from 'vitest';
import { findCommitStatements, splitSql } from '../../../src/db/changelog/sql-split.js';
import { seededRandom } from '../../helpers/seeded-random.js';

const texts = (sql: string, o = {}): string[] => splitSql(sql, o).statements.map((s) => s.text);

describe('splitSql', () => {
  it('splits on ; outside quotes, dollar quotes and comments', () => {
    expect(texts('insert into t values (\'a;b\'); select "x;y" from t;')).toEqual([
      "insert into t values ('a;b')",
      'select "x;y" from t',
    ]);
    expect(
      texts('create function f() returns int as $body$ begin return 1; end; $body$ language plpgsql;\nselect 1;'),
    ).toEqual(['create function f() returns int as $body$ begin return 1; end; $body$ language plpgsql', 'select 1']);
    expect(texts('select 1; -- a; comment\n/* b; /* nested; */ c; */ select 2;')).toEqual([
      'select 1',
      '-- a; comment\n/* b; /* nested; */ c; */ select 2',
    ]);
    expect(texts("select E'it\\'s;'; select 'it''s;';")).toEqual(["select E'it\\'s;'", "select 'it''s;'"]);
    expect(texts('select $1; select 2')).toEqual(['select $1', 'select 2']);
  });

  it('strips comments when asked, and honours splitStatements:false', () => {
    expect(texts('select 1; -- c\nselect 2;', { stripComments: true })).toEqual(['select 1', 'select 2']);
    expect(texts('select 1; select 2;', { splitStatements: false })).toEqual(['select 1; select 2;']);
  });

  it('uses endDelimiter (a regex) at line end, and / or GO lines by default', () => {
    expect(texts('select 1;\nselect 2\n/\nselect 3', { endDelimiter: '/' })).toEqual([
      'select 1;\nselect 2',
      'select 3',
    ]);
    expect(texts('select 4/2\n/', { endDelimiter: '/' })).toEqual(['select 4/2']);
    expect(texts('select 1\nGO\nselect 2')).toEqual(['select 1', 'select 2']);
  });

  it('finds / and GO lines after spaces and tabs, and only there (lines are tested by their first character)', () => {
    expect(texts('select 1\n  go\t\nselect 2\n\t/\nselect 3')).toEqual(['select 1', 'select 2', 'select 3']);
    expect(texts('select 1\ngrant x to y\ngoto\nG\n/x')).toEqual(['select 1\ngrant x to y\ngoto\nG\n/x']);
    expect(texts('\ngo\nselect 1')).toEqual(['select 1']);
  });

  it("reads E'' escapes only after a lone E, and no dollar quote after an identifier character", () => {
    expect(texts("E'a\\';b'; e'c'")).toEqual(["E'a\\';b'", "e'c'"]);
    expect(texts("select typee'a\\';b'")).toEqual(["select typee'a\\'", "b'"]);
    expect(splitSql("select xé'a\\';b'").statements.map((s) => s.text)).toEqual(["select xé'a\\'", "b'"]);
    expect(texts('select a$b$; select é$c$; select $d$;$d$')).toEqual(['select a$b$', 'select é$c$', 'select $d$;$d$']);
  });

  it('reports unterminated quotes, dollar quotes and block comments with their offset', () => {
    expect(splitSql("select 'abc").unterminated).toEqual({ kind: 'single-quoted string', offset: 7 });
    expect(splitSql('do $x$ begin end; $y$').unterminated).toEqual({ kind: 'dollar quote', offset: 3, tag: '$x$' });
    expect(splitSql('select 1; /* open').unterminated).toEqual({ kind: 'block comment', offset: 10 });
    expect(splitSql('select "abc').unterminated).toEqual({ kind: 'quoted identifier', offset: 7 });
  });

  it("ends a quote at its first lone quote: doubled quotes stay inside, and in E'' a backslash escapes one character", () => {
    expect(texts("select 'a''';'b'")).toEqual(["select 'a'''", "'b'"]);
    expect(texts("select '''';x")).toEqual(["select ''''", 'x']);
    expect(texts("select E'\\\\';x")).toEqual(["select E'\\\\'", 'x']);
    expect(texts("select E'\\\\\\'';x';y")).toEqual(["select E'\\\\\\''", "x';y"]);
    expect(texts("select E'a''\\'';b';c")).toEqual(["select E'a''\\''", "b';c"]);
    expect(texts("select 'a\\';b")).toEqual(["select 'a\\'", 'b']);
    expect(texts('select "a""b;";c')).toEqual(['select "a""b;"', 'c']);
    expect(splitSql("select E'abc\\").unterminated).toEqual({ kind: 'single-quoted string', offset: 8 });
    expect(splitSql("select E'abc\\'").unterminated).toEqual({ kind: 'single-quoted string', offset: 8 });
    expect(splitSql("select 'a''").unterminated).toEqual({ kind: 'single-quoted string', offset: 7 });
  });

  it('cuts random texts of quotes, backslashes and semicolons as a character-by-character reading does', () => {
    // The reading to equal: a doubled quote stays inside; in E'…' (E not after an identifier character) a backslash
    // takes the next character, also past the end; `;` outside quotes ends a statement; an unterminated quote takes
    // the rest of the text.
    const isIdent = (c: string | undefined): boolean => c !== undefined && /[A-Za-z0-9_$]/.test(c);
    const reference = (sql: string): { texts: string[]; unterminated: number | null } => {
      const out: string[] = [];
      let current = '';
      for (let i = 0; i < sql.length; i++) {
        const c = sql[i]!;
        if (c === ';') {
          if (current.trim()) out.push(current.trim());
          current = '';
          continue;
        }
        if (c !== "'" && c !== '"') {
          current += c;
          continue;
        }
        const backslashes = c === "'" && (sql[i - 1] === 'E' || sql[i - 1] === 'e') && !isIdent(sql[i - 2]);
        let end = -1;
        for (let j = i + 1; j < sql.length; j++) {
          if (backslashes && sql[j] === '\\') j++;
          else if (sql[j] === c) {
            if (sql[j + 1] !== c) {
              end = j + 1;
              break;
            }
            j++;
          }
        }
        if (end < 0) {
          current += sql.slice(i);
          if (current.trim()) out.push(current.trim());
          return { texts: out, unterminated: i };
        }
        current += sql.slice(i, end);
        i = end - 1;
      }
      if (current.trim()) out.push(current.trim());
      return { texts: out, unterminated: null };
    };
    const rnd = seededRandom('quote scan');
    const alphabet = ["'", "'", "'", '"', '\\', '\\', ';', 'a', 'E', ' '];
    for (let n = 0; n < 5000; n++) {
      let sql = '';
      for (let k = rnd.int(1, 30); k > 0; k--) sql += alphabet[rnd.int(0, alphabet.length)];
      const want = reference(sql);
      const got = splitSql(sql);
      expect({ texts: got.statements.map((s) => s.text), unterminated: got.unterminated?.offset ?? null }, sql).toEqual(
        want,
      );
    }
  });

  it('finds explicit COMMIT / END statements', () => {
    const r = splitSql('insert into t values (1);\nCOMMIT;\n-- x\nend work;\ndo $$ begin commit; end $$;');
    expect(findCommitStatements(r.statements).map((s) => s.text)).toEqual(['COMMIT', '-- x\nend work']);
  });
});

describe('stripComments inside dollar quotes (as Liquibase 4.28 does)', () => {
  it('removes comments inside $$ bodies but keeps quoted text and line structure', () => {
    const sql =
      "CREATE FUNCTION f() RETURNS text AS $$\nBEGIN\n    -- gone\n    RETURN '-- kept'; /* gone too */\nEND;\n$$ LANGUAGE plpgsql;";
    const r = splitSql(sql, { stripComments: true });
    expect(r.statements.map((s) => s.text)).toEqual([
      "CREATE FUNCTION f() RETURNS text AS $$\nBEGIN\n    \n    RETURN '-- kept'; \nEND;\n$$ LANGUAGE plpgsql",
    ]);
    expect(splitSql(sql, { stripComments: false }).statements[0]!.text).toContain('-- gone');
  });
});
