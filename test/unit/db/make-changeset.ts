import type { ChangeSet, Changelog } from '../../../src/db/model.js';

/** A hand-built ChangeSet (the parser is tested elsewhere; these tests pin the generated SQL). */
export function makeChangeSet(over: Partial<ChangeSet> & { id: string }): ChangeSet {
  const sql = over.sql ?? `CREATE TABLE t_${over.id} (id int);`;
  return {
    author: 'alice',
    filename: 'db/master.sql',
    location: { file: 'db/master.sql', line: 1 },
    sql,
    statements: over.statements ?? [sql],
    checksum: `9:${'0'.repeat(31)}${over.id.length}`,
    validCheckSums: [],
    rollback: null,
    noRollback: null,
    description: 'sql',
    comment: null,
    contexts: null,
    labels: null,
    dbms: null,
    runOnChange: false,
    runAlways: false,
    runInTransaction: true,
    splitStatements: true,
    stripComments: false,
    endDelimiter: null,
    failOnError: true,
    preconditions: null,
    tag: null,
    ...over,
  };
}

export function makeChangelog(changeSets: ChangeSet[], files: { path: string; content: string }[] = []): Changelog {
  return { master: 'db/master.sql', changeSets, files, warnings: [] };
}
