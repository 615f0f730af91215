import { describe, expect, it } from 'vitest';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  schemaDump,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

// `<property file>` / YAML `property: {file}` as Liquibase 4.28 reads them (DatabaseChangeLog / YamlChangeLogParser):
// search-path or relativeToChangelogFile lookup, java.util.Properties syntax (ISO-8859-1 bytes, escapes, line
// continuations), the first definition of a name wins, context/global apply to every entry, errorIfMissing.

const MASTER = `<databaseChangeLog ${LIQUIBASE_NS}>
  <property name="first" value="inline"/>
  <property name="propdir" value="db"/>
  <property file="\${propdir}/app.properties"/>
  <property file="rel.properties" relativeToChangelogFile="true"/>
  <property file="db/ctx.properties" context="nope"/>
  <property file="db/missing.properties" errorIfMissing="false"/>
  <include file="db/child.yaml"/>
  <changeSet id="1" author="a">
    <createTable tableName="\${tbl}"><column name="c_\${first}" type="int"/><column name="\${chained}" type="text" defaultValue="\${cont}"/></createTable>
  </changeSet>
  <changeSet id="2" author="a">
    <sql>create table \${rel_tbl} (v text default '\${esc}', w text default '\${raw}', x text default '\${colon}')</sql>
  </changeSet>
  <changeSet id="3" author="a" context="\${ctxval}">
    <sql>create table ctx_\${ctxval} (id int)</sql>
  </changeSet>
</databaseChangeLog>
`;

const CHILD_YAML = `databaseChangeLog:
  - property:
      file: db/yaml.properties
      global: false
  - changeSet:
      id: y1
      author: a
      changes:
        - createTable:
            tableName: \${ytbl}
            columns:
              - column: {name: "\${first}_y", type: int}
`;

describe('<property file> against Liquibase 4.28', () => {
  const c = useOracleCase('propfile', {
    'db/master.xml': MASTER,
    'db/child.yaml': CHILD_YAML,
    'db/app.properties': [
      '# comment',
      '! also a comment',
      'first=from_file',
      'tbl = from_file_tbl',
      'chained: \\',
      '    chained_col',
      'cont   a\\tb \\',
      '  continued',
      'esc=caf\\u00e9',
      'colon\\:key=x',
      'colon=has\\:colon',
      'tbl=last_wins_in_one_file',
      '',
    ].join('\n'),
    // Raw non-ASCII bytes: Properties.load reads ISO-8859-1, so UTF-8 "é" becomes two characters.
    'db/rel.properties': Buffer.from('rel_tbl=rel_table\nraw=caf\u00e9\n', 'utf8'),
    'db/ctx.properties': 'ctxval=limited\n',
    'db/yaml.properties': 'ytbl=yaml_table\nfirst=yaml_ignored\n',
  });

  it('builds the schema and history rows Liquibase does', async () => {
    const { root, theirs, ours } = c;
    await liquibaseOk(root, theirs, 'db/master.xml', 'update');
    await applyOurPackage(root, 'db/master.xml', ours);
    expectSameSchemaAndHistory(c);
    // The facts the comparison rests on, so an empty schema on both sides cannot pass.
    const dump = schemaDump(theirs);
    for (const s of [
      'last_wins_in_one_file',
      'c_inline',
      'chained_col',
      "'a\tb continued'",
      'rel_table',
      'yaml_table',
      'ctx_limited',
    ])
      expect(dump).toContain(s);
    expect(dump).toContain("'caf\u00e9'");
    expect(dump).toContain("'caf\u00c3\u00a9'");
    const parsed = await parseChangelog({ rootDir: root, changelog: 'db/master.xml' });
    expect(parsed.warnings.map((w) => `${w.file}:${w.line} ${w.code}`)).toEqual([
      'db/master.xml:7 W_PROPERTY_FILE_MISSING',
    ]);
  }, 300_000);

  it('a missing property file is an error naming file:line, as Liquibase fails on it', async () => {
    const { root, theirs } = c;
    await writeFile(
      path.join(root, 'db/bad.xml'),
      `<databaseChangeLog ${LIQUIBASE_NS}>\n\n  <property file="db/nope.properties"/>\n</databaseChangeLog>\n`,
    );
    const r = await runLiquibase(root, theirs.url, [
      `--search-path=${root}`,
      '--changelog-file=db/bad.xml',
      'validate',
    ]);
    expect(r.ok).toBe(false);
    expect(r.out).toMatch(/db\/nope\.properties/);
    await expect(parseChangelog({ rootDir: root, changelog: 'db/bad.xml' })).rejects.toMatchObject({
      code: 'E_CHANGELOG',
      file: 'db/bad.xml',
      line: 3,
      field: 'file',
      message: 'Property file not found: db/nope.properties',
    });
  }, 300_000);
});
