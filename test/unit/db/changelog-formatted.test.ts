import { afterEach, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../../src/db/changelog/index.js';
import { checksumV9 } from '../../../src/db/checksum.js';
import { FIRST_LINE, isFormattedSql, LineCursor, readLines } from '../../../src/db/changelog/formatted-sql.js';
import { SlipwayError } from '../../../src/errors.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeTree));
});

async function parseSql(content: string, properties?: Record<string, string>) {
  const root = await makeTree({ 'db/main.sql': content });
  dirs.push(root);
  return parseChangelog({ rootDir: root, changelog: 'db/main.sql', properties });
}

async function parseError(content: string): Promise<SlipwayError> {
  const err = await parseSql(content).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SlipwayError);
  return err as SlipwayError;
}

describe('formatted SQL changelogs', () => {
  it('reads a directive after any JS whitespace and run of dashes, in any case, and nothing else as one', async () => {
    const r = await parseSql(
      '--liquibase formatted sql\n' +
        '  --\t CHANGESET ann:1\n' +
        '--\u00a0Comment: spaced out\n' +
        'select 1;\n' +
        '-- -rollback not one\n' +
        '--xrollback nor this\n' +
        '\u3000--\u3000rollback drop table t;\n',
    );
    const [c] = r.changeSets;
    expect(c).toMatchObject({ id: '1', author: 'ann', comment: 'spaced out' });
    expect(c!.sql).toBe('select 1;\n-- -rollback not one\n--xrollback nor this');
    expect(c!.rollback).toEqual(['drop table t']);
  });

  it('reads every header attribute Liquibase 4.28 knows', async () => {
    const r = await parseSql(
      '--liquibase formatted sql\n' +
        '--changeset ann:1 contextFilter:"dev or test" labels:core,api dbms:postgresql runOnChange:true runAlways:true ' +
        'runInTransaction:false splitStatements:false stripComments:true endDelimiter:// failOnError:false ' +
        'logicalFilePath:legacy/path.sql runWith:psql created:2024-01-01 ignore:false\n' +
        'select 1;\n',
    );
    const [c] = r.changeSets;
    expect(c).toMatchObject({
      id: '1',
      author: 'ann',
      filename: 'legacy/path.sql',
      contexts: 'dev or test',
      labels: 'core,api',
      dbms: 'postgresql',
      runOnChange: true,
      runAlways: true,
      runInTransaction: false,
      splitStatements: false,
      stripComments: true,
      endDelimiter: '//',
      failOnError: false,
      runWith: 'psql',
      ignore: false,
      location: { file: 'db/main.sql', line: 2 },
    });
    expect(r.master).toBe('db/main.sql');
  });

  it('keeps rollback, comment, precondition and validCheckSum lines out of the SQL and the checksum', async () => {
    const r = await parseSql(
      [
        '--liquibase formatted sql',
        '--changeset ann:1',
        '--comment: creates t',
        '--preconditions onFail:MARK_RAN onError:WARN',
        "--precondition-sql-check expectedResult:0 select count(*) from pg_tables where tablename = 't'",
        '--precondition-table-exists table:other schema:public',
        '--validCheckSum: 9:00000000000000000000000000000000',
        'create table t (id int);',
        '--rollback drop table t;',
        '--changeset ann:2',
        'select 2;',
        '/* liquibase rollback',
        'select 20;',
        'select 21;',
        '*/',
        '--changeset ann:3',
        'select 3;',
        '--rollback not required',
      ].join('\n'),
    );
    const [a, b, c] = r.changeSets;
    expect(a!.sql).toBe('create table t (id int);');
    expect(a!.checksum).toBe(checksumV9('create table t (id int);'));
    expect(a!.comment).toBe('creates t');
    expect(a!.validCheckSums).toEqual(['9:00000000000000000000000000000000']);
    expect(a!.rollback).toEqual(['drop table t']);
    // Each rollback statement at its own line (--rollback, or the block's line).
    expect(a!.rollbackLocations).toEqual([{ file: 'db/main.sql', line: 9 }]);
    expect(b!.rollbackLocations).toEqual([
      { file: 'db/main.sql', line: 13 },
      { file: 'db/main.sql', line: 14 },
    ]);
    expect(a!.preconditions).toEqual({
      onFail: 'MARK_RAN',
      onError: 'WARN',
      operator: 'and',
      location: { file: 'db/main.sql', line: 4 },
      checks: [
        {
          type: 'sql-check',
          expectedResult: '0',
          sql: "select count(*) from pg_tables where tablename = 't'",
          sqlLine: 5,
          attrs: {},
        },
        { type: 'table-exists', attrs: { tableName: 'other', schemaName: 'public' } },
      ],
    });
    expect(b!.rollback).toEqual(['select 20', 'select 21']);
    expect(c!.rollback).toEqual([]);
    expect(r.changeSets.map((x) => x.rollback === null)).toEqual([false, false, false]);
  });

  it('reuses an earlier changeset as rollback with --rollback changesetId:… changesetAuthor:…', async () => {
    const r = await parseSql(
      '--liquibase formatted sql\n--changeset ann:drop\ndrop table t;\n--changeset ann:create\ncreate table t (id int);\n--rollback changesetId:drop changesetAuthor:ann\n',
    );
    expect(r.changeSets[1]!.rollback).toEqual(['drop table t']);
    const err = await parseError(
      '--liquibase formatted sql\n--changeset ann:create\ncreate table t (id int);\n--rollback changesetId:nope changesetAuthor:ann\n',
    );
    expect([err.message, err.line]).toEqual([
      'Rollback of ann:create refers to changeset db/main.sql::nope::ann, which is not defined before it',
      2,
    ]);
  });

  it('substitutes --property and caller properties before checksumming; unknown ${x} stays', async () => {
    const r = await parseSql(
      '--liquibase formatted sql\n--property name:tbl value:items\n--property name:who value:file\n--changeset ann:1\ninsert into ${tbl} values (${who}, ${nope});\n',
      { who: 'cli' },
    );
    expect(r.changeSets[0]!.sql).toBe('insert into items values (cli, ${nope});');
    expect(r.changeSets[0]!.checksum).toBe(checksumV9('insert into items values (cli, ${nope});'));
  });

  it('treats CRLF, tabs and blank lines as whitespace for the checksum', async () => {
    const a = await parseSql('--liquibase formatted sql\r\n--changeset ann:1\r\nselect\t1;\r\n\r\n');
    expect(a.changeSets[0]!.checksum).toBe(checksumV9('select 1;'));
  });

  it('reports statement lines in the file even with rollback/comment lines between them', async () => {
    const ok = await parseSql(
      '--liquibase formatted sql\n--changeset ann:1\n\nselect 1;\n--comment: x\n--rollback select 0;\nselect 2;\n',
    );
    expect(ok.changeSets[0]!.statementLocations).toEqual([4, 7].map((line) => ({ file: 'db/main.sql', line })));
    const err = await parseError(
      '--liquibase formatted sql\n--changeset ann:1\n\nselect 1;\n--comment: x\n--rollback select 0;\nselect 2;\nselect $$ never\n',
    );
    expect([err.message, err.line]).toEqual(['Unterminated dollar quote $$ in changeset ann:1', 8]);
  });

  it('splits statements and records explicit COMMIT as a warning with its line', async () => {
    const r = await parseSql(
      '--liquibase formatted sql\n--changeset ann:1\ninsert into t values (1);\ncommit;\ninsert into t values (2);\n--changeset ann:2 runInTransaction:false\nvacuum;\ncommit;\n',
    );
    expect(r.changeSets[0]!.statements).toEqual(['insert into t values (1)', 'commit', 'insert into t values (2)']);
    expect(r.changeSets[0]!.statementLocations).toEqual([3, 4, 5].map((line) => ({ file: 'db/main.sql', line })));
    expect(r.warnings).toEqual([
      {
        code: 'W_EXPLICIT_COMMIT',
        file: 'db/main.sql',
        line: 4,
        message: expect.stringContaining('Explicit COMMIT inside changeset ann:1'),
      },
    ]);
  });

  it('warns about Liquibase traps: "-- ROLLBACK" comments and ids ending in ":"', async () => {
    const r = await parseSql(
      [
        '--liquibase formatted sql',
        '--changeset ann:1',
        '-- ROLLBACK STATEMENTS',
        'select 1;',
        '--changeset ann:2:',
        'select 2;',
      ].join('\n'),
    );
    expect(r.warnings.map((w) => [w.code, w.file, w.line])).toEqual([
      ['W_COMMENT_READ_AS_ROLLBACK', 'db/main.sql', 3],
      ['W_ID_ENDS_WITH_COLON', 'db/main.sql', 5],
    ]);
    expect(r.changeSets.map((c) => c.id)).toEqual(['1', '2:']);
    expect(r.changeSets[0]!.rollback).toEqual(['STATEMENTS']);
    expect(r.changeSets[0]!.sql).toBe('select 1;');
  });

  it('errors name file, line and a hint', async () => {
    const cases: [string, RegExp, number][] = [
      [
        '--liquibase formatted sql\n--changeset ann:1\nselect 1;\ndo $body$ begin\n',
        /Unterminated dollar quote \$body\$/,
        4,
      ],
      ["--liquibase formatted sql\n--changeset ann:1\nselect 'abc;\n", /Unterminated single-quoted string/, 3],
      ['--liquibase formatted sql\n--changeset ann: 1\nselect 1;', /Malformed changeset header/, 2],
      ['--liquibase formatted sql\n--changeset ann:1\n--changeset ann:2\nselect 1;', /No SQL for changeset ann:1/, 2],
      [
        '--liquibase formatted sql\n--changeset ann:1\nselect 1;\n/* liquibase rollback\nselect 2;',
        /rollback comment is not closed/,
        4,
      ],
      [
        '--liquibase formatted sql\n--changeset ann:1\n--precondition-column-exists table:t column:c\nselect 1;',
        /'column-exists' precondition type is not supported/,
        3,
      ],
      [
        '--liquibase formatted sql\n--comment: outside\n--changeset ann:1\nselect 1;',
        /--comment line outside a changeset/,
        2,
      ],
      [
        '--liquibase formatted sql\n--changeset ann:1\nselect 1;\n--changeset ann:1\nselect 2;',
        /Duplicate changeset db\/main.sql::1::ann/,
        4,
      ],
      [
        '--liquibase formatted sql\n--changeset ann:1\nselect 1;\n/*\n--changeset ann:2\nselect 2;\n*/',
        /--changeset inside a \/\* … \*\/ block comment/,
        5,
      ],
      [
        '--liquibase formatted sql\n-- changeset for the users table\n--changeset ann:1\nselect 1;',
        /malformed changeset header/,
        2,
      ],
    ];
    for (const [sql, message, line] of cases) {
      const err = await parseError(sql);
      expect(err.code).toBe('E_CHANGELOG');
      expect(err.message).toMatch(message);
      expect(err.file).toBe('db/main.sql');
      expect(err.line).toBe(line);
      expect(err.hint).toBeTruthy();
    }
  });
});

describe('isFormattedSql', () => {
  // The definition: the first non-blank line of readLines (after a BOM) is the `--liquibase formatted` header.
  const byLines = (content: string) => {
    const first = readLines(content.replace(/^\uFEFF/, '')).find((l) => l.trim() !== '');
    return first !== undefined && FIRST_LINE.test(first);
  };

  it('reads only the first non-blank line, split as readLines splits', () => {
    for (const content of [
      '',
      '\n',
      '--liquibase formatted sql\n--changeset a:1\nSELECT 1;',
      '\uFEFF--liquibase formatted sql',
      '\uFEFF\uFEFF--liquibase formatted sql',
      '\n\n  \t\n-- Liquibase Formatted SQL\r\nSELECT 1',
      '\r\n\r--liquibase formatted sql',
      '\r  \r\n\u00a0\n  --liquibase formatted',
      'SELECT 1;\n--liquibase formatted sql',
      '   \n--liquibase  formatted\u2028x\nSELECT 1',
      '--liquibase\rformatted sql',
      ' \n \r\n ',
    ])
      expect(isFormattedSql(content), JSON.stringify(content)).toBe(byLines(content));
  });
});

describe('LineCursor', () => {
  it('gives the lines Java BufferedReader.readLine gives (\\r\\n, \\r or \\n), one at a time, numbered from 1', () => {
    const cases: [string, string[]][] = [
      ['', []],
      ['\n', ['']],
      ['\n\n', ['', '']],
      ['a', ['a']],
      ['a\n', ['a']],
      ['a\n\n', ['a', '']],
      ['a\nb', ['a', 'b']],
      ['\na\n\nb\n\n\n', ['', 'a', '', 'b', '', '']],
      ['a\r\nb\rc\nd', ['a', 'b', 'c', 'd']],
      ['a\r\n', ['a']],
      ['a\r', ['a']],
      ['\r\n\r\r\n', ['', '', '']],
      ['a\r\r\nb\n\r', ['a', '', 'b', '']],
      ['x\u2028y\u0085z\n', ['x\u2028y\u0085z']],
    ];
    for (const [content, lines] of cases) {
      const cursor = new LineCursor(content);
      const got: string[] = [];
      for (let l = cursor.next(); l !== undefined; l = cursor.next()) {
        got.push(l);
        expect(cursor.no).toBe(got.length);
      }
      expect(got, JSON.stringify(content)).toEqual(lines);
      expect(cursor.next()).toBeUndefined();
      expect(readLines(content), JSON.stringify(content)).toEqual(lines);
    }
  });
});
