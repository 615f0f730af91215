import { describe, expect, it } from 'vitest';
import { changelogXml } from '../helpers/changelog-xml.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  HISTORY_ROWS,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

// The FILENAME Liquibase 4.28 records for a written logicalFilePath. On an XML/YAML/JSON databaseChangeLog or
// changeSet: backslashes become "/" and one leading "/" goes, nothing else (found on cloudfoundry/app-autoscaler,
// whose YAML changeSets say `logicalFilePath: /var/vcap/packages/…` and are recorded `var/vcap/packages/…`; rebuilt
// here by hand). In formatted SQL the path is normalised as a physical one first ("classpath:", "./", doubled
// slashes), then loses one leading "/". An empty one on the root (or a formatted SQL header) is recorded as '', on a
// changeSet it is none. On an include Liquibase ignores it (YAML; its XSD refuses it in XML).
const cs = (id: string, attrs = ''): string =>
  `<changeSet id="${id}" author="a"${attrs}><sql>select 1</sql></changeSet>`;

describe('logicalFilePath as Liquibase 4.28 records it', () => {
  const c = useOracleCase('lfp', {
    'master.xml': changelogXml(
      [
        '<property name="p" value="/prop/x"/>',
        cs('x1', ' logicalFilePath="/abs/cs.xml"'),
        cs('x2', ' logicalFilePath="//abs2/cs.xml"'),
        cs('x3', ' logicalFilePath="\\abs3\\cs.xml"'),
        cs('x4', ' logicalFilePath="classpath:/abs4/cs.xml"'),
        cs('x5', ' logicalFilePath="./abs5/cs.xml"'),
        cs('x6', ' logicalFilePath=""'),
        cs('x7', ' logicalFilePath="${p}.xml"'),
        cs('x8', ' logicalFilePath="a//b\\c.xml"'),
        '<include file="sub/root.xml"/>',
        '<include file="sub/empty.xml"/>',
        '<include file="sub/y.yaml"/>',
        '<include file="sub/j.json"/>',
        '<include file="sub/f.sql"/>',
        '<include file="sub/g.sql"/>',
      ].join('\n'),
    ),
    'sub/root.xml': changelogXml(
      cs('r1') + cs('r2', ' logicalFilePath="/abs/r2.xml"'),
      ' logicalFilePath="/abs/root.xml"',
    ),
    'sub/empty.xml': changelogXml(cs('e1'), ' logicalFilePath=""'),
    'sub/y.yaml': [
      'databaseChangeLog:',
      '  - logicalFilePath: /abs/yroot.yml',
      '  - changeSet: {id: y1, author: a, changes: [{sql: select 1}]}',
      '  - changeSet: {id: y2, author: a, logicalFilePath: /abs/y2.yml, changes: [{sql: select 1}]}',
      "  - changeSet: {id: y3, author: a, logicalFilePath: '\\abs\\y3.yml', changes: [{sql: select 1}]}",
      "  - changeSet: {id: y4, author: a, logicalFilePath: '', changes: [{sql: select 1}]}",
      '  - include: {file: sub/inc.yaml, logicalFilePath: /abs/ignored.yaml}',
      '',
    ].join('\n'),
    'sub/inc.yaml': 'databaseChangeLog:\n  - changeSet: {id: i1, author: a, changes: [{sql: select 1}]}\n',
    'sub/j.json':
      '{"databaseChangeLog": [{"changeSet": {"id": "j1", "author": "a", "logicalFilePath": "/abs/j.json", "changes": [{"sql": "select 1"}]}}]}\n',
    'sub/f.sql': [
      '--liquibase formatted sql logicalFilePath://abs/f.sql',
      '--changeset a:f1',
      'select 1;',
      '--changeset a:f2 logicalFilePath:classpath:f2.sql',
      'select 1;',
      '--changeset a:f3 logicalFilePath:./f3.sql',
      'select 1;',
      '--changeset a:f4 logicalFilePath:\\\\f4\\\\x.sql',
      'select 1;',
      '--changeset a:f5 logicalFilePath:',
      'select 1;',
      '',
    ].join('\n'),
    'sub/g.sql': '--liquibase formatted sql logicalFilePath:\n--changeset a:g1\nselect 1;\n',
  });

  it('records the same FILENAME for every form (update)', async () => {
    await liquibaseOk(c.root, c.theirs, 'master.xml', 'update');
    await applyOurPackage(c.root, 'master.xml', c.ours);
    expectSameSchemaAndHistory(c);
    // The measured values themselves, so that a change on either side shows here first.
    const names = psqlRows(c.theirs, HISTORY_ROWS).map((r) => {
      const [id, , filename] = r.split('|');
      return `${id}=${filename}`;
    });
    expect(names).toEqual([
      'x1=abs/cs.xml',
      'x2=/abs2/cs.xml',
      'x3=abs3/cs.xml',
      'x4=classpath:/abs4/cs.xml',
      'x5=./abs5/cs.xml',
      'x6=master.xml',
      'x7=prop/x.xml',
      'x8=a//b/c.xml',
      'r1=abs/root.xml',
      'r2=abs/r2.xml',
      'e1=',
      'y1=abs/yroot.yml',
      'y2=abs/y2.yml',
      'y3=abs/y3.yml',
      'y4=abs/yroot.yml',
      'i1=sub/inc.yaml',
      'j1=abs/j.json',
      'f1=abs/f.sql',
      'f2=f2.sql',
      'f3=f3.sql',
      'f4=f4/x.sql',
      'f5=abs/f.sql',
      'g1=',
    ]);
  }, 300_000);
});
