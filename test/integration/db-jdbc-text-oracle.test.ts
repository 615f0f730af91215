import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { renderRollbackSql } from '../../src/db/rollback.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { applyOurPackage, HISTORY_ROWS, liquibaseOk, psqlRows } from '../helpers/liquibase-oracle.js';

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
