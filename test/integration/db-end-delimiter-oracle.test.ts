// endDelimiter as Liquibase 4.28 applies it (StringUtil.processMultiLineSQL over SimpleSqlGrammar tokens): the
// statements of every changeset and their checksums are compared with real `liquibase update-sql`, run here.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import type { ChangeSet } from '../../src/db/model.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;');

// [id, endDelimiter, SQL]: regexes that consume the line break, single characters, words, the empty delimiter.
const XML_CASES: [string, string, string][] = [
  ['regex-eol', '\\n/\\s*\\n|\\n/\\s*$', "select 'A1'\n/\nselect 'A2'\n/"],
  ['semicolon', ';', "select 'B1'; select 'B2';"],
  ['slash', '/', "select 'C1'\n  /\nselect 'C2'\n/ select 'C3'"],
  ['word', 'GO', "select 'D1' go select 'D2'"],
  ['double', ';;', "select 'E1';;\nselect 'E2';;"],
  ['anchored', '^/$', "select 'G1'\n/\nselect 'G2'"],
  ['newline-go', '\\nGO', "select 'I1'\ngo\nselect 'I2'"],
  ['newline-slash', '\\n/', "select 'K1'\n/ select 'K2'"],
  ['empty', '', "select 'L1'; select 'L2'"],
  ['slash-in-text', '/', "select 'M1' as \"a/b\", 4/2\n/\nselect 'M2'"],
  ['escaped', '\\$\\$', "select 'N1' $$ select 'N2'"],
  ['newline-semi', '\\n;', "select 'P1'\n;select 'P2'"],
  // Java-only regex: a leading inline flag (JavaScript has no `(?i)`), Java's ASCII-only `\s` (a no-break space before
  // the line break keeps `go` inside the statement), `\Z` lower-cased to Java's `\z`.
  ['inline-flag', '(?i)\\nGO', "select 'Q1'\ngo\nselect 'Q2'"],
  ['nbsp', '\\nGO', "select 'R1'\u00a0\ngo\nselect 'R2'"],
  ['end-z', '\\n/\\Z', "select 'S1'\n/\nselect 'S2'\n/"],
  // Inline flags past the start (`(?i:…)`, `(?-i)`): Java reads them anywhere, Node 20's RegExp nowhere; they were an
  // error before they were translated.
  ['mid-flag', '\\n(?i:GO)|\\n(?-i)/', "select 'T1'\ngo\nselect 'T2'\n/\nselect 'T3'"],
  // (?x) (whitespace and the `#` comment are no part of it) and (?d) (only \n ends a line): Java reads both; they were
  // refused before they were translated.
  ['comments', '(?x) \\n G O # the batch separator', "select 'U1'\ngo\nselect 'U2'"],
  ['unix-lines', '(?d)\\n/$', "select 'V1'\n/\nselect 'V2'\n/"],
  [
    'body',
    '/',
    'create function f_slash() returns int as $$ begin return 4/2; end $$ language plpgsql\n/\nselect f_slash()\n/',
  ],
];

const FORMATTED = [
  '--liquibase formatted sql',
  '--changeset t:F1 endDelimiter:',
  "select 'F1a'; select 'F1b'",
  '--changeset t:F2',
  "select 'F2a';\nselect 'F2b';\n/",
  '--changeset t:F3 endDelimiter:\\nGO',
  "select 'F3a'\nGO\nselect 'F3b'",
  // `endDelimiter:` is read with `^.*endDelimiter:(\S*).*$`, case-insensitive and greedy: `rollbackEndDelimiter:GO`
  // sets the main SQL's delimiter too, and of both the last one on the line wins.
  '--changeset t:F5 rollbackEndDelimiter:GO',
  "select 'F5a';\nselect 'F5b'\nGO\nselect 'F5c';",
  '--rollback select 1',
  '--changeset t:F6 rollbackEndDelimiter:GO endDelimiter:;',
  "select 'F6a';\nselect 'F6b'",
  '--changeset t:F7 endDelimiter:; rollbackEndDelimiter:@@',
  "select 'F7a'@@ select 'F7b'; select 'F7c'",
  // The file's last changeset, ending in a `/` line: Liquibase gives it endDelimiter "\n/$" (F2 keeps the default).
  '--changeset t:F4',
  "select 'F4a';\nselect 'F4b';\n/",
  '',
].join('\n');

/** What Liquibase's LoggingExecutor prints after a statement (its rule, so the comparison is exact). */
function printedDelimiter(endDelimiter: string | null): string {
  const potential = (endDelimiter ?? '').replace(/\$$/, '');
  const d =
    endDelimiter !== null && /^[;/\r\n\w@-]+$/.test(potential.replace(/\\n/g, '\n').replace(/\\r/g, '\r'))
      ? potential
      : ';';
  return d.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
}

/** update-sql cut per changeset: the statement blocks (blank-line separated) and the MD5SUM of its history row. */
function updateSqlByChangeSet(out: string): Map<string, { blocks: string[]; md5sum: string }> {
  const result = new Map<string, { blocks: string[]; md5sum: string }>();
  for (const part of out.split(/^-- Changeset /m).slice(1)) {
    const id = /^[^:]+::([^:]+)::/.exec(part)![1]!;
    const insert =
      /^INSERT INTO public\.databasechangelog .*?VALUES \('[^']*', '[^']*', '[^']*', NOW\(\), \d+, '([^']+)'/m.exec(
        part,
      );
    const body = part.slice(part.indexOf('\n') + 1, insert ? insert.index : undefined);
    const blocks = body
      .split('\n\n')
      .map((b) => b.replace(/^\n+|\n+$/g, ''))
      .filter((b) => b !== '' && !b.startsWith('SET SEARCH_PATH TO'));
    result.set(id, { blocks, md5sum: insert?.[1] ?? '' });
  }
  return result;
}

describe('endDelimiter splits as Liquibase 4.28 splits', () => {
  let root: string;
  let db: TestDatabase;
  beforeAll(async () => {
    const sets = XML_CASES.map(
      ([id, d, sql]) =>
        `<changeSet id="${id}" author="t"><sql endDelimiter="${xmlEscape(d)}">${xmlEscape(sql)}</sql></changeSet>`,
    );
    root = await makeTree({
      'master.xml': `<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog ${LIQUIBASE_NS}>\n${sets.join('\n')}\n<include file="formatted.sql"/>\n</databaseChangeLog>\n`,
      'formatted.sql': FORMATTED,
    });
    db = await createTestDatabase('slipway_enddelim');
  });
  afterAll(async () => {
    await db?.drop();
    if (root) await removeTree(root);
  });

  it('every changeset: the same statements and the same checksum as liquibase update-sql', async () => {
    const lb = await runLiquibase(root, db.url, [`--search-path=${root}`, '--changelog-file=master.xml', 'update-sql']);
    expect(lb.ok).toBe(true);
    const stdout = lb.out;
    const theirs = updateSqlByChangeSet(stdout);
    const parsed = await parseChangelog({ rootDir: root, changelog: 'master.xml' });
    expect(parsed.changeSets.map((c) => c.id)).toEqual([
      ...XML_CASES.map((c) => c[0]),
      'F1',
      'F2',
      'F3',
      'F5',
      'F6',
      'F7',
      'F4',
    ]);
    const view = (cs: ChangeSet) => {
      const d = printedDelimiter(cs.endDelimiter);
      // Liquibase passes each statement through pgjdbc's Connection.nativeSQL, which drops a trailing empty
      // statement (`select 1;` → `select 1`; measured: `select 'a';\nselect 'b';` prints without its last `;`).
      const native = (s: string) => s.replace(/(;\s*)+$/, '');
      return { blocks: cs.statements.map(native).map((s) => (s.endsWith(d) ? s : s + d)), md5sum: cs.checksum };
    };
    for (const cs of parsed.changeSets) expect({ id: cs.id, ...view(cs) }).toEqual({ id: cs.id, ...theirs.get(cs.id) });
    // Sanity: the comparison saw real splits and real non-splits.
    expect(theirs.get('semicolon')!.blocks).toHaveLength(2);
    expect(theirs.get('anchored')!.blocks).toHaveLength(1);
    expect(theirs.get('F1')!.blocks).toHaveLength(1);
    expect(theirs.get('F2')!.blocks).toHaveLength(2);
    expect(theirs.get('F4')!.blocks).toHaveLength(1);
    expect(theirs.get('F5')!.blocks).toEqual(["select 'F5a';\nselect 'F5b'GO", "select 'F5c'GO"]);
    expect(theirs.get('F6')!.blocks).toHaveLength(2);
    expect(theirs.get('F7')!.blocks).toEqual(["select 'F7a'@@", "select 'F7b'; select 'F7c'@@"]);
  }, 180_000);

  it('a delimiter Liquibase finds inside a dollar-quoted body: Slipway keeps the body whole and warns', async () => {
    const dir = await makeTree({
      'c.sql':
        "--liquibase formatted sql\n--changeset t:1 endDelimiter:GO\ncreate function f() returns text as $$ select 'a' go $$ language sql\nGO\nselect 1\n",
    });
    try {
      const p = await parseChangelog({ rootDir: dir, changelog: 'c.sql' });
      expect(p.changeSets[0]!.statements).toEqual([
        "create function f() returns text as $$ select 'a' go $$ language sql",
        'select 1',
      ]);
      expect(p.warnings.map((w) => `${w.file}:${w.line} ${w.code}`)).toEqual(['c.sql:3 W_LIQUIBASE_SPLITS']);
    } finally {
      await removeTree(dir);
    }
  });

  // Liquibase fails there too (measured: PatternSyntaxException "Unclosed group" from update-sql, and for `\QGO\E`,
  // lower-cased to `\qgo\e`, "Illegal/unsupported escape sequence near index 8").
  it.each([
    ['((', 'Unclosed group'],
    ['\\QGO\\E', 'Illegal/unsupported escape sequence \\q'],
  ])('the endDelimiter %s, no Java regular expression, is an error naming file and line', async (d, why) => {
    const dir = await makeTree({
      'c.sql': `--liquibase formatted sql\n--changeset t:1 endDelimiter:${d}\nselect 1 GO select 2\n`,
    });
    try {
      const err: unknown = await parseChangelog({ rootDir: dir, changelog: 'c.sql' }).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_CHANGELOG', file: 'c.sql', line: 3 });
      const message = (err as Error).message;
      expect(message).toContain(`endDelimiter ${JSON.stringify(d)} of changeset t:1 is not a valid regular expression`);
      expect(message).toContain(why);
    } finally {
      await removeTree(dir);
    }
  });
});
