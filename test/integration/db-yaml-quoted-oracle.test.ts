// A YAML shape Liquibase 4.28 runs and Slipway's reader refused, found by the "conform" helper in session 21: a
// double-quoted scalar over several lines whose continuation lines are not indented past the key (SnakeYAML does not
// check their indentation; the yaml library does). Measured with Liquibase 4.28 (update on PostgreSQL 15).
import { describe, expect, it } from 'vitest';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

describe('YAML quoted scalars over several lines, as Liquibase reads them', () => {
  const c = useOracleCase('yamlquoted', {
    // Benseddik-Fethi/petcare-app@68f508ea backend/src/main/resources/db/changelog/v1/017-insert-test-data.yaml:44:
    // a double-quoted scalar over several lines whose closing line `)"` is at the key's indentation. SnakeYAML reads
    // it (folded: "id IN ( 'a', 'b' )"); the yaml library says 'Missing closing "quote' at line 16.
    'quoted.yaml': `databaseChangeLog:
  - changeSet:
      id: 1
      author: x
      changes:
        - createTable:
            tableName: t5
            columns:
              - column: {name: id, type: varchar(10)}
        - sql:
            sql: insert into t5 values ('a'), ('b'), ('c')
        - delete:
            tableName: t5
            where: "id IN (
              'a',
              'b'
            )"
`,
    // Single quotes: `''` escapes on continuation lines, an empty line (a newline), a closing line left of the key.
    'single.yaml': `databaseChangeLog:
  - changeSet:
      id: 2
      author: x
      changes:
        - createTable:
            tableName: t6
            columns:
              - column: {name: v, type: text}
        - insert:
            tableName: t6
            columns:
              - column:
                  name: v
                  value: 'it''s
            a ''b

                    c''   
          d'
`,
  });

  it('a multi-line double-quoted scalar closed at the key indentation', async () => {
    await liquibaseOk(c.root, c.theirs, 'quoted.yaml', 'update');
    await applyOurPackage(c.root, 'quoted.yaml', c.ours);
    expectSameSchemaAndHistory(c);
    expect(psqlRows(c.ours, 'SELECT id FROM t5')).toEqual(['c']);
  }, 300_000);

  it('a multi-line single-quoted scalar with quotes escaped across lines', async () => {
    await liquibaseOk(c.root, c.theirs, 'single.yaml', 'update');
    await applyOurPackage(c.root, 'single.yaml', c.ours);
    expectSameSchemaAndHistory(c);
    expect(psqlRows(c.ours, 'SELECT v FROM t6')).toEqual(psqlRows(c.theirs, 'SELECT v FROM t6'));
    expect(psqlRows(c.ours, "SELECT replace(v, E'\\n', '|') FROM t6")).toEqual(["it's a 'b|c' d"]);
  }, 300_000);
});
