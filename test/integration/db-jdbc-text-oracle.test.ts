import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { renderRollbackSql } from '../../src/db/rollback.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  HISTORY_ROWS,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { buildDatabasePackage } from '../../src/db/package.js';

// Liquibase sends raw SQL through pgjdbc, whose parser turns `??` into `?` outside string literals, quoted
// identifiers, comments and dollar quotes: changelogs write `??` for the hstore/jsonb `?` operator (found in a public
// changelog, "use double question mark to become a literal ? in the final sql"; rebuilt here by hand).
const master = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog
    http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd">
  <changeSet id="1" author="a">
    <preConditions onFail="HALT"><sqlCheck expectedResult="t">select '{"k":1}'::jsonb ?? 'k'</sqlCheck></preConditions>
    <sql>create table q (v text, b boolean)</sql>
    <sql>insert into q select '??', '{"a":1}'::jsonb ?? 'a'</sql>
    <sql>insert into q select E'\\\\'' ?? ', '{"a":1}'::jsonb ??| array['b']</sql>
    <sql>insert into q values ($x$ a ?? b $x$, null) /* ?? /* ?? */ */ -- ??
    </sql>
    <sql splitStatements="false">create function qf() returns text as $$ select 'x ??' /* ?? stays ?? in a body */ $$ language sql</sql>
    <sql>insert into q select "??", null from (select 'quoted' as "??") s</sql>
  </changeSet>
  <changeSet id="2" author="a">
    <sql>insert into q select qf(), '{"k":1}'::jsonb ?? 'k'</sql>
    <rollback>delete from q where '{"k":1}'::jsonb ?? 'k' and v = 'x ??'</rollback>
  </changeSet>
</databaseChangeLog>
`;
const STATE = ["SELECT concat_ws('|', v, b) FROM q ORDER BY v", "SELECT prosrc FROM pg_proc WHERE proname = 'qf'"];

describe('?? in raw SQL is ? as pgjdbc sends it, against Liquibase 4.28', () => {
  let root: string;
  const dbs: TestDatabase[] = [];
  beforeAll(async () => {
    root = await makeTree({ 'db/master.xml': master });
    dbs.push(...(await Promise.all(['theirs', 'ours'].map((n) => createTestDatabase(`jdbctext_${n}`)))));
  });
  afterAll(async () => {
    await Promise.all(dbs.map((d) => d.drop()));
    if (root) await removeTree(root);
  });

  it('leaves the data, function bodies and history Liquibase leaves', async () => {
    const [theirs, ours] = dbs as [TestDatabase, TestDatabase];
    await liquibaseOk(root, theirs, 'db/master.xml', 'update');
    await applyOurPackage(root, 'db/master.xml', ours);
    for (const q of STATE) expect(psqlRows(ours, q)).toEqual(psqlRows(theirs, q));
    expect(psqlRows(theirs, STATE[0]!)).toContain('??|t');
    expect(psqlRows(theirs, STATE[0]!)).toContain('x ??|t');
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));

    // The rollback statement goes through pgjdbc too.
    await liquibaseOk(root, theirs, 'db/master.xml', 'rollback-count', '--count=1');
    const file = path.join(root, 'rollback.sql');
    await writeFile(
      file,
      renderRollbackSql(await parseChangelog({ rootDir: root, changelog: 'db/master.xml' }), { count: 1 }),
    );
    const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, ours.url], { encoding: 'utf8' });
    expect(r.stderr.replace(/psql:.*NOTICE:.*\n/g, '')).toBe('');
    expect(psqlRows(theirs, STATE[0]!)).not.toContain('x ??|t');
    for (const q of STATE) expect(psqlRows(ours, q)).toEqual(psqlRows(theirs, q));
    expect(psqlRows(ours, HISTORY_ROWS)).toEqual(psqlRows(theirs, HISTORY_ROWS));
  }, 300_000);
});

// A lone `?` in raw SQL: Liquibase passes each statement of <sql>, <sqlFile> and formatted SQL through pgjdbc's
// Connection.nativeSQL, which makes it the bind placeholder $1 (no value is ever bound). Measured with Liquibase 4.28:
// `jsonb ? 'a'` fails ('syntax error at or near "$1"'), `values (?)` fails ("bind message supplies 0 parameters"),
// and in a SQL-standard function body `return ? + 1` is the function's $1 and runs. Slipway used to send the `?`
// as written: the jsonb operator ran (accepted what Liquibase rejects) and the function body did not parse.
const LONE_XML = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
    xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog
    http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd">
  <changeSet id="t" author="a"><sql>create table q (v text)</sql></changeSet>
  <changeSet id="fn" author="a"><sql>create function plus1(int) returns int language sql return ? + 1</sql></changeSet>
  <changeSet id="bad" author="a"><sql>insert into q (v) values (?)</sql></changeSet>
</databaseChangeLog>
`;
const LONE_SQL = `--liquibase formatted sql
--changeset a:t
create table q2 (v text, b boolean);
--changeset a:bad
insert into q2 select 'y', '{"a":1}'::jsonb ? 'a';
`;

describe('a lone ? in raw SQL is a bind placeholder, as pgjdbc makes it, against Liquibase 4.28', () => {
  const xml = useOracleCase('lone_q_xml', { 'lone.xml': LONE_XML, 'lone.sql': LONE_SQL });
  const fsql = useOracleCase('lone_q_sql', { 'lone.sql': LONE_SQL });

  async function failBoth(c: typeof xml, changelog: string): Promise<{ theirs: string; ours: string }> {
    const lb = await runLiquibase(c.root, c.theirs.url, [
      `--search-path=${c.root}`,
      `--changelog-file=${changelog}`,
      '--show-banner=false',
      'update',
    ]);
    expect(lb.ok).toBe(false);
    const pkg = await buildDatabasePackage({
      rootDir: c.root,
      changelog,
      application: 'oracle',
      version: '1.0.0',
      sourceDateEpoch: 0,
    });
    expect(pkg.warnings.map((w) => `${w.code} ${w.file}:${w.line}`)).toContain(
      `W_LIQUIBASE_REJECTS ${changelog}:${changelog.endsWith('.xml') ? 8 : 5}`,
    );
    const file = path.join(c.root, `.package-${c.ours.name}.sql`);
    await writeFile(file, pkg.sql);
    const r = spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', file, c.ours.url], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expectSameSchemaAndHistory(c);
    return { theirs: lb.out, ours: r.stderr };
  }

  it('XML <sql>: $1 in a function body runs, values (?) fails, in both', async () => {
    const out = await failBoth(xml, 'lone.xml');
    expect(out.theirs).toMatch(/bind message supplies 0 parameters/);
    expect(out.ours).toMatch(/there is no parameter \$1/);
    expect(psqlRows(xml.ours, 'SELECT plus1(41)')).toEqual(['42']);
    expect(psqlRows(xml.ours, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).toEqual(['t', 'fn']);
  }, 300_000);

  it('formatted SQL: the jsonb ? operator written alone fails in both', async () => {
    const out = await failBoth(fsql, 'lone.sql');
    expect(out.theirs).toMatch(/syntax error at or near "\$1"/);
    expect(out.ours).toMatch(/syntax error at or near "\$1"/);
    expect(psqlRows(fsql.ours, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).toEqual(['t']);
  }, 300_000);
});
