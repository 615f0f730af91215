import { afterEach, describe, expect, it } from 'vitest';
import { contextsColumn, labelsColumn, parseChangelog } from '../../../src/db/changelog/index.js';
import { SlipwayError } from '../../../src/errors.js';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeTree, removeTree } from '../../helpers/tmp.js';
import { makeOracleTree, ORACLE_PROPERTIES } from '../../fixtures/db/oracle-tree.js';
import { changelogXml, LIQUIBASE_NS } from '../../helpers/changelog-xml.js';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../fixtures/db');
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeTree));
});

const fsql = (id: string): string => `--liquibase formatted sql\n--changeset t:${id}\nselect 1;\n`;

async function tree(files: Record<string, string>): Promise<string> {
  const root = await makeTree(files);
  dirs.push(root);
  return root;
}

async function failure(files: Record<string, string>, changelog = 'db/master.xml'): Promise<SlipwayError> {
  const err = await parseChangelog({ rootDir: await tree(files), changelog }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SlipwayError);
  expect((err as SlipwayError).code).toBe('E_CHANGELOG');
  return err as SlipwayError;
}

describe('XML / YAML / JSON masters', () => {
  it('parses the oracle fixture: FILENAMEs, checksums measured with Liquibase 4.28, descriptions, tags', async () => {
    const root = await makeOracleTree();
    dirs.push(root);
    const r = await parseChangelog({ rootDir: root, changelog: 'db/master.xml', properties: ORACLE_PROPERTIES });
    expect(r.changeSets.map((c) => `${c.filename}::${c.id}::${c.author} ${c.checksum}`)).toEqual([
      'db/master.xml::x-sql::ann 9:a3a42db5b87a0bfd5a6f23e7061fc8fc',
      'db/master.xml::x-file::ann 9:6cdf9b6fbce6c3267e019d94fb730135',
      'db/master.xml::x-multi::ann 9:ef64401bfddad0db50031cf766c73e31',
      'db/master.xml::x-tag::ann 9:38bb4793a6a4fbb48375b4027cd6f472',
      'db/fs/a.sql::1::bob 9:f9f1a2a48269f10e90b9ea82dddb7108',
      'db/fs/a.sql::2::bob 9:0734d1b5ebe985be071b3c7b0a32558e',
      'db/fs/a.sql::3::bob 9:85ccf3c988779334bb7ee723aa1b39ec',
      'db/fs/a.sql::4::bob 9:b7719184a8ef6d89e865ce7dc982ad03',
      'db/master.xml::x-dbms::ann 9:59f7d8e6f98130074c2ceda5c2ed502f',
      'db/fs/crlf.sql::crlf-1::carol 9:4782b7e8eab9688c00f5c38b912af6bb',
      'db/fs/crlf.sql::crlf-2::carol 9:95f73f1cbca88624a9748e8f80d48571',
      'db/child.yaml::y1::dan 9:4740ab2d663444f984be4ba4e6b6a6b2',
      'db/child.json::j1::jo 9:69424b47917cbfd463ee66f727d589ef',
      'db/more/01_plain.sql::raw::includeAll 9:5d2ed95b617f14cff58966e3696c90cc',
      'db/more/02.sql::my id::eve 9:54819adf17b17e192447b4a936b824fa',
      'db/more/02.sql::trail:::eve 9:7c4eb0edb381ff24ae06a8da103fa2cf',
      'db/more/02.sql::7::eve smith 9:b4be54082e1c53bbbe6c34d403885afd',
      'db/more/10.sql::10.sql::gen 9:7f5a70092f7c21ef2b450e2f6a546b25',
      'db/more/9.sql::9.sql::gen 9:ebb376457bbf7ad7f4cdbe39c0d89d68',
      'db/more/B.sql::B.sql::gen 9:850867f8c3688239e288c9504c3bdf63',
      'db/more/sub/x.sql::sub/x.sql::gen 9:f9f668fbcfc0818af63e7c8eed2dce34',
    ]);
    const byId = new Map(r.changeSets.map((c) => [c.id, c]));
    expect(byId.get('x-sql')).toMatchObject({
      description: 'sql',
      comment: 'creates app',
      rollback: ['drop schema app'],
      statements: ['create schema app'],
    });
    expect(byId.get('x-file')).toMatchObject({
      description: 'sqlFile path=sql/f.sql',
      statements: ['create table app.t (id int)', '-- a comment\ninsert into app.t values (1)'],
    });
    expect(byId.get('x-file')!.statementLocations).toEqual([
      { file: 'db/sql/f.sql', line: 1 },
      { file: 'db/sql/f.sql', line: 2 },
    ]);
    expect(byId.get('x-multi')!.statementLocations).toEqual([
      { file: 'db/master.xml', line: 14 },
      { file: 'db/master.xml', line: 15 },
    ]);
    expect(byId.get('x-multi')).toMatchObject({
      description: 'sql; sql',
      contexts: 'dev',
      statements: ['select 1;', 'select 2 < 3'],
    });
    expect(byId.get('x-tag')).toMatchObject({ description: 'tagDatabase', tag: 'v1.0', statements: [] });
    expect(byId.get('y1')).toMatchObject({
      description: 'sql; tagDatabase',
      tag: 'y-tag',
      rollback: ['select 1'],
      statements: ["select 'widgets'"],
    });
    expect(byId.get('4')).toMatchObject({ statements: ['select 4'], runInTransaction: false, endDelimiter: '/' });
    expect(byId.get('7')!.statements).toEqual(['select external']);
    expect(byId.get('x-dbms')).toMatchObject({ description: 'sql; sql', statements: ["select 'pg'"] });
    expect([contextsColumn(byId.get('2')!), labelsColumn(byId.get('2')!), contextsColumn(byId.get('crlf-1')!)]).toEqual(
      ['(dev,test)', 'core,api', 'pre'],
    );
    expect(r.files.map((f) => f.path)).toEqual([
      'db/master.xml',
      'db/sql/f.sql',
      'db/fs/a.sql',
      'db/fs/crlf.sql',
      'db/child.yaml',
      'db/child.json',
      'db/more/01_plain.sql',
      'db/more/02.sql',
      'db/more/10.sql',
      'db/more/9.sql',
      'db/more/B.sql',
      'db/more/sub/x.sql',
    ]);
    expect(r.warnings.map((w) => `${w.code} ${w.file}:${w.line}`)).toEqual([
      'W_COMMENT_READ_AS_ROLLBACK db/fs/a.sql:13',
      'W_CASE_DUPLICATE db/more/b.sql:1',
      'W_ID_ENDS_WITH_COLON db/more/02.sql:4',
    ]);
  });

  it('includeAll order is Liquibase 4.28 path order (measured), recursive, changelog extensions only', async () => {
    const files: Record<string, string> = {
      'db/master.xml': changelogXml('<includeAll path="all/" relativeToChangelogFile="true"/>'),
      'db/all/readme.txt': 'x',
    };
    for (const f of [
      'B.sql',
      '10.sql',
      '2.sql',
      'a_b.sql',
      'a-b.sql',
      'A.sql',
      'a.sql',
      'sub/x.sql',
      'Zed/y.sql',
      'ä.sql',
    ])
      files[`db/all/${f}`] = fsql(f);
    const r = await parseChangelog({ rootDir: await tree(files), changelog: 'db/master.xml' });
    expect(r.changeSets.map((c) => c.id)).toEqual([
      '10.sql',
      '2.sql',
      'A.sql',
      'B.sql',
      'Zed/y.sql',
      'a-b.sql',
      'a_b.sql',
      'sub/x.sql',
      'ä.sql',
    ]);
    expect(r.warnings).toEqual([
      { code: 'W_CASE_DUPLICATE', file: 'db/all/a.sql', line: 1, message: expect.stringContaining('db/all/A.sql') },
    ]);
  });

  it('resolves include paths like Liquibase: relative to the changelog, or to the root; logicalFilePath wins', async () => {
    const r = await parseChangelog({
      rootDir: await tree({
        'db/master.xml': changelogXml(
          '<include file="db/other/o.sql"/>\n<include file="nested/m.xml" relativeToChangelogFile="true"/>',
        ),
        'db/other/o.sql': fsql('o1'),
        'db/nested/m.xml': changelogXml(
          '<changeSet id="n" author="t" logicalFilePath="custom/n.xml"><sql>select 1</sql></changeSet>\n<include file="../other/p.sql" relativeToChangelogFile="true"/>',
        ),
        'db/other/p.sql': '--liquibase formatted sql logicalFilePath:lp/p.sql\n--changeset t:p\nselect 1;\n',
        'db/other/forgotten.sql': fsql('f1'),
        // Not a changelog (a script, or another database's sqlFile): no warning.
        'db/other/script.sql': 'select 1;',
      }),
      changelog: './db/master.xml',
    });
    expect(r.master).toBe('db/master.xml');
    expect(r.changeSets.map((c) => `${c.filename}::${c.id}`)).toEqual([
      'db/other/o.sql::o1',
      'custom/n.xml::n',
      'lp/p.sql::p',
    ]);
    expect(r.warnings).toEqual([
      {
        code: 'W_NOT_INCLUDED',
        file: 'db/other/forgotten.sql',
        line: 1,
        message: expect.stringContaining('never includes it'),
      },
    ]);
  });

  it('applies context-limited properties only when the contexts match, and global="false" ones only in their file', async () => {
    const root = await tree({});
    await cp(path.join(fixtures, 'props'), path.join(root, 'db'), { recursive: true });
    const all = await parseChangelog({ rootDir: root, changelog: 'db/master.xml' });
    expect(all.changeSets.map((c) => `${c.filename} ${c.checksum} ${c.sql}`)).toEqual([
      'legacy/changes.sql 9:a7ca957848b7a2d82c733ec390529b49 select 1;',
      'override/x.sql 9:95f73f1cbca88624a9748e8f80d48571 select 2;',
      "legacy/changes.sql 9:9d04369228bcdba0df3fc601fe0d7db1 select 'ctxval', '${p2}';",
      'db/inc2.sql 9:eb5293986fdafb077aef876307b78395 select 3;',
      "sub/logical.xml 9:266f1de0fdc0c1aa9545c74db1af39bb select '${p2}'",
    ]);
    const prod = await parseChangelog({ rootDir: root, changelog: 'db/master.xml', contexts: ['prod'] });
    expect(prod.changeSets[2]!.checksum).toBe('9:05c6f8263cb99267a0bedb4c3d81b872');
  });

  it('skips a missing include with errorIfMissing="false"; rejects attributes the 4.28 XSD does not define', async () => {
    const ok = await parseChangelog({
      rootDir: await tree({
        'db/master.xml': changelogXml(
          '<include file="gone.sql" relativeToChangelogFile="true" errorIfMissing="false"/>\n<changeSet id="1" author="a"><sql>select 1</sql></changeSet>',
        ),
      }),
      changelog: 'db/master.xml',
    });
    expect(ok.changeSets.map((c) => c.id)).toEqual(['1']);
    const e = await failure({
      'db/master.xml': changelogXml('<include file="a.sql" logicalFilePath="x.sql"/>'),
      'a.sql': fsql('1'),
    });
    expect([e.message, e.line]).toEqual(['Unknown attribute "logicalFilePath" on <include>', 3]);
  });

  it('reads YAML and JSON masters of the same shape', async () => {
    const yaml =
      'databaseChangeLog:\n  - property:\n      name: t\n      value: items\n  - changeSet:\n      id: y\n      author: a\n      context: dev\n      changes:\n        - sql:\n            sql: select * from ${t};\n      rollback: select 2;\n  - include:\n      file: x.sql\n      relativeToChangelogFile: true\n';
    const json = JSON.stringify({
      databaseChangeLog: [{ changeSet: { id: 'j', author: 'a', changes: [{ sqlFile: { path: 'db/x.sql' } }] } }],
    });
    const root = await tree({ 'db/m.yaml': yaml, 'db/m.json': json, 'db/x.sql': fsql('x') });
    const y = await parseChangelog({ rootDir: root, changelog: 'db/m.yaml' });
    expect(y.changeSets.map((c) => [c.filename, c.id, c.contexts, c.statements, c.rollback])).toEqual([
      ['db/m.yaml', 'y', 'dev', ['select * from items'], ['select 2']],
      ['db/x.sql', 'x', null, ['select 1'], null],
    ]);
    const j = await parseChangelog({ rootDir: root, changelog: 'db/m.json' });
    expect(j.changeSets.map((c) => [c.filename, c.id, c.description])).toEqual([
      ['db/m.json', 'j', 'sqlFile path=db/x.sql'],
    ]);
  });

  it('reads XML preconditions with not / or', async () => {
    const r = await parseChangelog({
      rootDir: await tree({
        'db/master.xml': changelogXml(
          '<changeSet id="p" author="a"><preConditions onFail="MARK_RAN" onFailMessage="exists"><or><not><tableExists tableName="t"/></not><sqlCheck expectedResult="1">select 1</sqlCheck><changeSetExecuted id="x" author="a" changeLogFile="db/master.xml"/></or></preConditions><sql>create table t (id int)</sql></changeSet>',
        ),
      }),
      changelog: 'db/master.xml',
    });
    expect(r.changeSets[0]!.preconditions).toEqual({
      onFail: 'MARK_RAN',
      onError: 'HALT',
      onFailMessage: 'exists',
      operator: 'or',
      location: { file: 'db/master.xml', line: 3 },
      checks: [
        { type: 'table-exists', attrs: { tableName: 't' }, negate: true },
        { type: 'sql-check', expectedResult: '1', sql: 'select 1', sqlLine: 3, attrs: {} },
        { type: 'changeset-executed', attrs: { id: 'x', author: 'a', changeLogFile: 'db/master.xml' } },
      ],
    });
  });

  it('errors: each names the file, the line and what to do', async () => {
    const e1 = await failure({
      'db/master.xml': changelogXml(
        '<changeSet id="1" author="a">\n<addLookupTable existingTableName="t"/>\n</changeSet>',
      ),
    });
    expect([e1.message, e1.line]).toEqual(['<addLookupTable> needs existingColumnName', 4]);
    // dbchangelog-4.28.xsd requires joinString on <mergeColumns> (Liquibase: "Attribute 'joinString' must appear").
    const e1j = await failure({
      'db/master.xml': changelogXml(
        '<changeSet id="1" author="a">\n<mergeColumns tableName="t" column1Name="a" column2Name="b" finalColumnName="c" finalColumnType="text"/>\n</changeSet>',
      ),
    });
    expect([e1j.message, e1j.line]).toEqual(['<mergeColumns> needs joinString', 4]);
    expect(e1.hint).toMatch(/Liquibase rejects <addLookupTable> without existingColumnName too/);
    // A name liquibase-core 4.28 does not know (Liquibase 1.x's <modifyColumn>): Liquibase stops too, and the hint
    // says so rather than suggesting Liquibase would run it (db-xml-found-oracle.test.ts measures Liquibase's refusal).
    const e1b = await failure({
      'db/master.xml': changelogXml('<changeSet id="1" author="a">\n<modifyColumn tableName="t"/>\n</changeSet>'),
    });
    expect([e1b.message, e1b.line]).toEqual(['Unknown change type <modifyColumn>', 4]);
    expect(e1b.hint).toMatch(/Liquibase 4\.28 has no such change type either/);

    const e2 = await failure({
      'db/master.xml': changelogXml('<changeSet id="1" author="a" runOnChnage="true"><sql>select 1</sql></changeSet>'),
    });
    expect([e2.message, e2.file, e2.line]).toEqual([
      'Unknown attribute "runOnChnage" on <changeSet>',
      'db/master.xml',
      3,
    ]);

    const e2b = await failure({
      'db/master.xml': changelogXml(
        '<changeSet id="1"\n    author="a"\n    bogus="x">\n<sql>select 1</sql></changeSet>',
      ),
    });
    // The attribute's own line in a start tag over several lines (xml-tree.ts attrLines), not the element's (3).
    expect([e2b.message, e2b.line, e2b.field]).toEqual(['Unknown attribute "bogus" on <changeSet>', 5, 'bogus']);

    const e3 = await failure({
      'db/master.xml': changelogXml('<include file="missing.sql" relativeToChangelogFile="true"/>'),
    });
    expect([e3.message, e3.file, e3.line]).toEqual(['Included file not found: db/missing.sql', 'db/master.xml', 3]);

    const e4 = await failure({
      'db/master.xml': changelogXml('<include file="b.xml" relativeToChangelogFile="true"/>'),
      'db/b.xml': changelogXml('\n<include file="master.xml" relativeToChangelogFile="true"/>'),
    });
    expect([e4.message, e4.file, e4.line]).toEqual([
      'Include cycle: db/master.xml -> db/b.xml -> db/master.xml',
      'db/b.xml',
      4,
    ]);

    const e5 = await failure({
      'db/master.xml': changelogXml('<include file="../../etc/passwd.sql" relativeToChangelogFile="true"/>'),
    });
    expect([e5.message, e5.line]).toEqual(['Path "../../etc/passwd.sql" leaves the project root', 3]);

    const e6 = await failure({
      'db/master.xml': `<?xml version="1.0"?>\n<databaseChangeLog ${LIQUIBASE_NS}>\n  <changeSet id="1" author="a">\n</databaseChangeLog>\n`,
    });
    expect(e6.message).toMatch(/^Malformed XML: /);
    expect([e6.file, e6.line, typeof e6.column]).toEqual(['db/master.xml', 4, 'number']);

    const e7 = await failure({
      'db/master.xml': changelogXml(
        '<include file="a.sql" relativeToChangelogFile="true"/>\n<include file="a.sql" relativeToChangelogFile="true"/>',
      ),
      'db/a.sql': fsql('1'),
    });
    expect([e7.message, e7.file, e7.line]).toEqual(['Duplicate changeset db/a.sql::1::t', 'db/a.sql', 2]);
    expect(e7.hint).toMatch(/First defined at db\/a.sql:2/);

    const e8 = await failure({
      'db/master.xml': changelogXml('<changeSet id="1" author="a"><sql>select $x$ never closed;</sql></changeSet>'),
    });
    expect([e8.message, e8.line]).toEqual(['Unterminated dollar quote $x$ in changeset a:1', 3]);

    const e9 = await failure({
      'db/master.xml': changelogXml('<includeAll path="nope/" relativeToChangelogFile="true"/>'),
    });
    expect(e9.message).toBe('includeAll directory not found: db/nope');

    const e10 = await failure({}, 'db/absent.xml');
    expect([e10.message, e10.file]).toEqual(['Changelog not found: db/absent.xml', 'db/absent.xml']);
  });
});

describe('why a changeset has no rollback', () => {
  it('names the first change without an inverse; a formatted changeset without --rollback says so; others have none', async () => {
    const root = await tree({
      'db/master.xml': changelogXml(
        [
          '<changeSet id="1" author="a"><createTable tableName="t"><column name="id" type="int"/></createTable></changeSet>',
          '<changeSet id="2" author="a"><renameColumn tableName="t" oldColumnName="id" newColumnName="k"/><dropColumn tableName="t" columnName="k"/><sql>select 1</sql></changeSet>',
          '<changeSet id="3" author="a"><sql>select 1</sql><rollback>select 2</rollback></changeSet>',
          '<include file="db/f.sql"/>',
        ].join('\n'),
      ),
      'db/f.sql': fsql('4'),
    });
    const r = await parseChangelog({ rootDir: root, changelog: 'db/master.xml' });
    expect(r.changeSets.map((c) => [c.id, c.rollback === null, c.noRollback])).toEqual([
      ['1', false, null],
      ['2', true, '<dropColumn> has no automatic rollback'],
      ['3', false, null],
      ['4', true, 'the formatted SQL changeset has no --rollback'],
    ]);
  });
});
