import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseChangelog } from '../../src/db/changelog/index.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  schemaDump,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// `${…}` in <sqlFile> attributes (path, relativeToChangelogFile, endDelimiter, splitStatements, encoding) and in the
// file's text, as Liquibase 4.28 expands them (the whole node before it is read; the content in SQLFileChange.getSql,
// not in its checksum), compared with `liquibase update`: schema, history rows (checksum, description with the
// expanded path).

const MASTER = `<databaseChangeLog ${LIQUIBASE_NS}>
  <property name="dir" value="sql"/>
  <property name="rel" value="true"/>
  <property name="delim" value="/"/>
  <property name="enc" value="ISO-8859-1"/>
  <property name="nosplit" value="false"/>
  <property name="val" value="expanded"/>
  <changeSet id="x1" author="a">
    <sqlFile path="\${dir}/one.sql" relativeToChangelogFile="\${rel}" endDelimiter="\${delim}" encoding="\${enc}"/>
  </changeSet>
  <changeSet id="x2" author="a">
    <sqlFile path="db/\${dir}/bom.sql" splitStatements="\${nosplit}"/>
  </changeSet>
  <sql>select 1</sql>
  <include file="db/child.yaml"/>
</databaseChangeLog>
`.replace('  <sql>select 1</sql>\n', '');

const CHILD = `databaseChangeLog:
  - changeSet:
      id: y1
      author: a
      changes:
        - sqlFile:
            path: \${dir}/yaml.sql
            relativeToChangelogFile: true
            endDelimiter: \${delim}
`;

describe('<sqlFile> with properties against Liquibase 4.28', () => {
  const c = useOracleCase('sqlfile', {
    'db/master.xml': MASTER,
    'db/child.yaml': CHILD,
    'db/sql/yaml.sql': "create table sf_yaml (v text default '${val}')\n/\ncreate table sf_yaml2 (id int)\n/\n",
    // ISO-8859-1 bytes (é = 0xE9), a `${val}` in the text and `/` lines as delimiter.
    'db/sql/one.sql': Buffer.from(
      "create table sf_one (v text default 'caf\u00e9 ${val}')\n/\ncreate table sf_two (id int)\n/\n",
      'latin1',
    ),
    // A UTF-8 BOM, and a body that must not be split (splitStatements from a property).
    'db/sql/bom.sql': Buffer.concat([
      Buffer.from([0xef, 0xbb, 0xbf]),
      Buffer.from(
        "create function sf_f() returns text language plpgsql as 'begin return ''${val}''; end;';\ncomment on function sf_f() is '\u00e9t\u00e9';",
        'utf8',
      ),
    ]),
  });

  it('runs the same statements and records the same rows', async () => {
    const { root, theirs, ours } = c;
    await liquibaseOk(root, theirs, 'db/master.xml', 'update');
    await applyOurPackage(root, 'db/master.xml', ours);
    expectSameSchemaAndHistory(c);
    const dump = schemaDump(theirs);
    for (const s of [
      "'café expanded'",
      'sf_two',
      "return 'expanded'",
      "'été'",
      "sf_yaml (\n    v text DEFAULT 'expanded'",
    ])
      expect(dump).toContain(s);
    expect(psqlRows(theirs, 'SELECT description FROM databasechangelog ORDER BY orderexecuted')).toEqual([
      'sqlFile path=sql/one.sql',
      'sqlFile path=db/sql/bom.sql',
      'sqlFile path=sql/yaml.sql',
    ]);
  }, 300_000);

  it('an encoding Java does not know is an error naming the file, line and field', async () => {
    const { root } = c;
    await writeFile(
      path.join(root, 'db/bad.xml'),
      `<databaseChangeLog ${LIQUIBASE_NS}>\n<changeSet id="1" author="a">\n<sqlFile path="db/sql/yaml.sql" encoding="\${nope}"/>\n</changeSet>\n</databaseChangeLog>\n`,
    );
    await expect(parseChangelog({ rootDir: root, changelog: 'db/bad.xml' })).rejects.toMatchObject({
      code: 'E_CHANGELOG',
      file: 'db/bad.xml',
      line: 3,
      field: 'encoding',
    });
  });
});
