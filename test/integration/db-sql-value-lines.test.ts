// `slipway db package`: an error about rollback SQL or a precondition's sqlCheck SQL names the line that SQL is
// written on (the statement's own line inside a block), and says which of them it is in, in XML, YAML, JSON and
// formatted SQL alike; before, both were reported at the changeset's line. The error used is E_UNSAFE_SQL (a psql
// `\!` or COPY … PROGRAM), which scans every rollback statement and sqlCheck.
import { afterAll, describe, expect, it } from 'vitest';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { runMain } from '../helpers/cli-main.js';

const CONFIG = (changelog: string): string =>
  `name: lines\nversion: 1.0.0\ndatabase:\n  changelog: ${changelog}\n  verify: false\n`;

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

async function packageOf(name: string, changelog: string) {
  const dir = await makeTree(
    {
      'slipway.config.yaml': CONFIG(name),
      [name]: changelog,
      'db/undo.sql': 'DROP TABLE u;\n\n\\! echo from-file\n',
    },
    'slipway-sql-lines-',
  );
  dirs.push(dir);
  return runMain(['db', 'package'], { cwd: dir, env: { SOURCE_DATE_EPOCH: '1700000000' } });
}

const XML_HEAD = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd">
  <changeSet id="1" author="ann">
`;
const XML_TAIL = `  </changeSet>
</databaseChangeLog>
`;
const YAML_HEAD = `databaseChangeLog:
  - changeSet:
      id: 1
      author: ann
      changes:
        - sql: CREATE TABLE t (id int);
`;

// [what, changelog file, its text, line named, kind, field the message names]
const cases: [string, string, string, number, string, string][] = [
  [
    'XML: rollback text, the second statement at its own line',
    'db/changelog.xml',
    `${XML_HEAD}    <sql>CREATE TABLE t (id int);</sql>
    <rollback>
      DROP TABLE t;
      \\! echo hi
    </rollback>
${XML_TAIL}`,
    9,
    'psql-shell',
    'rollback',
  ],
  [
    'XML: a rollback <sql> and <sqlFile> (the file at its own line)',
    'db/changelog.xml',
    `${XML_HEAD}    <sql>CREATE TABLE t (id int);</sql>
    <rollback>
      <sqlFile path="db/undo.sql"/>
    </rollback>
${XML_TAIL}`,
    3,
    'psql-shell',
    'rollback',
  ],
  [
    "XML: a sqlCheck's SQL on the line below the element",
    'db/changelog.xml',
    `${XML_HEAD}    <preConditions onFail="MARK_RAN">
      <sqlCheck expectedResult="0">
        COPY t TO PROGRAM 'id'
      </sqlCheck>
    </preConditions>
    <sql>CREATE TABLE t (id int);</sql>
${XML_TAIL}`,
    8,
    'copy-program',
    'sqlCheck',
  ],
  [
    'YAML: rollback as a literal block',
    'db/changelog.yaml',
    `${YAML_HEAD}      rollback: |
        DROP TABLE t;

        \\! echo hi
`,
    10,
    'psql-shell',
    'rollback',
  ],
  [
    'YAML: rollback sql as a mapping, its value on the line after its key',
    'db/changelog.yaml',
    `${YAML_HEAD}      rollback:
        sql:
          "\\\\! echo hi"
`,
    9,
    'psql-shell',
    'rollback',
  ],
  [
    'YAML: a rollback list of sql entries (the second)',
    'db/changelog.yaml',
    `${YAML_HEAD}      rollback:
        - sql:
            sql: DROP TABLE t
        - sql:
            splitStatements: false
            sql: >
              COPY t TO PROGRAM 'id'
`,
    13,
    'copy-program',
    'rollback',
  ],
  [
    "YAML: a sqlCheck's sql",
    'db/changelog.yaml',
    `databaseChangeLog:
  - changeSet:
      id: 1
      author: ann
      preConditions:
        - onFail: MARK_RAN
        - sqlCheck:
            expectedResult: 0
            sql:
              COPY t TO PROGRAM 'id'
      changes:
        - sql: CREATE TABLE t (id int);
`,
    10,
    'copy-program',
    'sqlCheck',
  ],
  [
    'JSON: a rollback string, and a sqlCheck on lines of their own',
    'db/changelog.json',
    `{"databaseChangeLog": [
  {"changeSet": {"id": "1", "author": "ann",
    "changes": [{"sql": {"sql": "CREATE TABLE t (id int);"}}],
    "rollback":
      "\\\\! echo hi"}}]}
`,
    5,
    'psql-shell',
    'rollback',
  ],
  [
    'JSON: a sqlCheck',
    'db/changelog.json',
    `{"databaseChangeLog": [
  {"changeSet": {"id": "1", "author": "ann",
    "preConditions": [{"onFail": "MARK_RAN"},
      {"sqlCheck": {"expectedResult": "0",
        "sql": "COPY t TO PROGRAM 'id'"}}],
    "changes": [{"sql": {"sql": "CREATE TABLE t (id int);"}}]}}]}
`,
    5,
    'copy-program',
    'sqlCheck',
  ],
  [
    'formatted SQL: the --rollback line',
    'db/changelog.sql',
    `--liquibase formatted sql
--changeset ann:1
CREATE TABLE t (id int);
--rollback DROP TABLE t;
--rollback \\! echo hi
`,
    5,
    'psql-shell',
    'rollback',
  ],
  [
    'formatted SQL: a line of a /* liquibase rollback */ block',
    'db/changelog.sql',
    `--liquibase formatted sql
--changeset ann:1
CREATE TABLE t (id int);
/* liquibase rollback
DROP TABLE t;
\\! echo hi
*/
`,
    6,
    'psql-shell',
    'rollback',
  ],
  [
    'formatted SQL: a --precondition-sql-check line',
    'db/changelog.sql',
    `--liquibase formatted sql
--changeset ann:1
--preconditions onFail:MARK_RAN
--precondition-sql-check expectedResult:0 COPY t TO PROGRAM 'id'
CREATE TABLE t (id int);
`,
    4,
    'copy-program',
    'sqlCheck',
  ],
];

describe('db package: rollback and sqlCheck SQL at the line it is written on', () => {
  it.each(cases)('%s', async (_what, name, changelog, line, kind, field) => {
    const run = await packageOf(name, changelog);
    expect(run.code).not.toBe(0);
    const file = /undo\.sql/.test(changelog) ? 'db/undo.sql' : name;
    expect(run.stderr).toContain(`E_UNSAFE_SQL: ${file}:${line} runs a shell (${kind}): ${field}: `);
  });
});
