import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contextsColumn, labelsColumn, parseChangelog } from '../../src/db/changelog/index.js';
import type { ChangeSet } from '../../src/db/model.js';
import { createTestDatabase, type TestDatabase } from '../helpers/pg.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { makeOracleTree, ORACLE_PROPERTIES } from '../fixtures/db/oracle-tree.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { liquibaseOk, psqlRows } from '../helpers/liquibase-oracle.js';

// Real Liquibase 4.28 (Java 17) as the oracle for checksums and FILENAME values. JVM starts cost seconds, so one
// `changelog-sync` records every changeset of the fixture (21 changesets: formatted SQL with rollback lines and
// blocks, the `-- ROLLBACK` trap, properties, tabs, CRLF, preconditions, quoted ids; XML <sql>, <sqlFile>,
// <tagDatabase>, a dbms-targeted <sql>; YAML; JSON; include contexts; includeAll with a plain .sql file, case-colliding
// and numeric names), and two `calculate-checksum` calls confirm that command agrees.
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const exampleDir = path.join(repoRoot, 'examples/umig-sample');
const exampleChangelog = 'db/changelog/db.changelog-master.xml';
const HISTORY =
  'select id, author, filename, md5sum, description, comments, contexts, labels from databasechangelog order by orderexecuted';
const historyRows = (db: TestDatabase): string[] => psqlRows(db, HISTORY);

/** Our values for the same columns, in the same `|`-separated form psql -At prints. */
function ourRow(c: ChangeSet): string {
  return [
    c.id,
    c.author,
    c.filename,
    c.checksum,
    c.description,
    c.comment ?? '',
    contextsColumn(c) ?? '',
    labelsColumn(c) ?? '',
  ].join('|');
}

describe('checksumV9 and FILENAME against liquibase 4.28', () => {
  let root: string;
  let db: TestDatabase;
  let exampleDb: TestDatabase;

  beforeAll(async () => {
    root = await makeOracleTree();
    [db, exampleDb] = await Promise.all([createTestDatabase('dbparse_oracle'), createTestDatabase('dbparse_example')]);
  });
  afterAll(async () => {
    await Promise.all([db?.drop(), exampleDb?.drop()]);
    if (root) await removeTree(root);
  });

  it('changelog-sync records exactly our ID, AUTHOR, FILENAME, MD5SUM, DESCRIPTION, COMMENTS, CONTEXTS, LABELS', async () => {
    await liquibaseOk(root, db, 'db/master.xml', 'changelog-sync', `-Dext=${ORACLE_PROPERTIES.ext}`);
    const theirs = historyRows(db);
    const parsed = await parseChangelog({ rootDir: root, changelog: 'db/master.xml', properties: ORACLE_PROPERTIES });
    expect(theirs).toHaveLength(21);
    expect(parsed.changeSets.map(ourRow)).toEqual(theirs);
  }, 120_000);

  it('calculate-checksum agrees for a formatted SQL changeset with rollback and for an XML sqlFile changeset', async () => {
    const parsed = await parseChangelog({ rootDir: root, changelog: 'db/master.xml', properties: ORACLE_PROPERTIES });
    for (const key of ['db/fs/a.sql::1::bob', 'db/master.xml::x-file::ann']) {
      const out = await liquibaseOk(
        root,
        db,
        'db/master.xml',
        'calculate-checksum',
        `--changeset-identifier=${key}`,
        `-Dext=${ORACLE_PROPERTIES.ext}`,
      );
      const theirs = /\b9:[0-9a-f]{32}\b/.exec(out)?.[0];
      const [file, id, author] = key.split('::');
      const ours = parsed.changeSets.find((c) => c.filename === file && c.id === id && c.author === author)?.checksum;
      expect(theirs).toBeDefined();
      expect(ours).toBe(theirs);
    }
  }, 120_000);

  it('Liquibase validate accepts our "8:" checksums for all 21 changesets and rejects a wrong one', async () => {
    // Runs after changelog-sync above: rewrite every MD5SUM to our V8 value, as a pre-4.24 Liquibase would have stored it.
    const parsed = await parseChangelog({ rootDir: root, changelog: 'db/master.xml', properties: ORACLE_PROPERTIES });
    const q = (v: string): string => `'${v.replaceAll("'", "''")}'`;
    const setAll = parsed.changeSets.map(
      (c) =>
        `update databasechangelog set md5sum = ${q(c.checksumV8!)} where id = ${q(c.id)} and author = ${q(c.author)} and filename = ${q(c.filename)};`,
    );
    psqlRows(db, setAll.join('\n'));
    expect(historyRows(db).filter((r) => r.split('|')[3]!.startsWith('8:'))).toHaveLength(21);
    expect(await liquibaseOk(root, db, 'db/master.xml', 'validate', `-Dext=${ORACLE_PROPERTIES.ext}`)).toMatch(
      /No validation errors found/,
    );

    psqlRows(db, "update databasechangelog set md5sum = '8:00000000000000000000000000000000' where id = 'x-sql'");
    const refused = await runLiquibase(root, db.url, [
      `--search-path=${root}`,
      '--changelog-file=db/master.xml',
      'validate',
      `-Dext=${ORACLE_PROPERTIES.ext}`,
    ]);
    expect(refused.ok).toBe(false);
    const err = refused.out;
    expect(err).toMatch(
      /db\/master.xml::x-sql::ann was: 8:00000000000000000000000000000000 but is now: 8:8580817c96d45af2c23ddd26bd969eea/,
    );
    expect(parsed.changeSets[0]!.checksumV8).toBe('8:8580817c96d45af2c23ddd26bd969eea');
  }, 120_000);

  it('context-limited and file-local properties, logicalFilePath at file and changeset level (changelog-sync --contexts=prod)', async () => {
    // Same database, fresh history table; the fixture is copied so Liquibase and we read identical bytes.
    const propsRoot = await makeTree({}, 'slipway-dbparse-props-');
    try {
      await cp(path.join(repoRoot, 'test/fixtures/db/props'), path.join(propsRoot, 'db'), { recursive: true });
      psqlRows(db, 'drop table if exists databasechangelog');
      await liquibaseOk(propsRoot, db, 'db/master.xml', 'changelog-sync', '--contexts=prod');
      const theirs = historyRows(db);
      const parsed = await parseChangelog({ rootDir: propsRoot, changelog: 'db/master.xml', contexts: ['prod'] });
      expect(theirs).toHaveLength(5);
      expect(parsed.changeSets.map(ourRow)).toEqual(theirs);
      expect(parsed.changeSets.map((c) => c.filename)).toEqual([
        'legacy/changes.sql',
        'override/x.sql',
        'legacy/changes.sql',
        'db/inc2.sql',
        'sub/logical.xml',
      ]);
      expect(parsed.changeSets[2]!.sql).toBe("select '${p1}', '${p2}';");
    } finally {
      await removeTree(propsRoot);
    }
  }, 120_000);

  it('CONTEXTS and LABELS of nested includes: Liquibase lists the innermost file first, then its includers', async () => {
    const x = (body: string, attrs = ''): string =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.28.xsd"${attrs}>\n${body}\n</databaseChangeLog>\n`;
    const nestedRoot = await makeTree(
      {
        'db/master.xml': x('  <include file="mid.xml" relativeToChangelogFile="true" context="a AND b" labels="L1"/>'),
        'db/mid.xml': x(
          '  <include file="leaf.xml" relativeToChangelogFile="true" context="b" labels="L2"/>',
          ' context="m"',
        ),
        'db/leaf.xml': x(
          [
            '  <changeSet id="1" author="n"><sql>select 1</sql></changeSet>',
            '  <changeSet id="2" author="n" context="c" labels="L3"><sql>select 2</sql></changeSet>',
          ].join('\n'),
          ' context="leafctx"',
        ),
      },
      'slipway-dbparse-nested-',
    );
    try {
      psqlRows(db, 'drop table if exists databasechangelog');
      await liquibaseOk(nestedRoot, db, 'db/master.xml', 'changelog-sync');
      const theirs = historyRows(db);
      const parsed = await parseChangelog({ rootDir: nestedRoot, changelog: 'db/master.xml' });
      expect(theirs).toHaveLength(2);
      expect(parsed.changeSets.map(ourRow)).toEqual(theirs);
      expect(contextsColumn(parsed.changeSets[1]!)).toBe('leafctx AND b AND m AND (a AND b) AND c');
    } finally {
      await removeTree(nestedRoot);
    }
  }, 120_000);

  it('the umig-sample changelog parses and matches Liquibase', async () => {
    await liquibaseOk(exampleDir, exampleDb, exampleChangelog, 'changelog-sync');
    const theirs = historyRows(exampleDb);
    const parsed = await parseChangelog({ rootDir: exampleDir, changelog: exampleChangelog });
    expect(parsed.changeSets.map(ourRow)).toEqual(theirs);
  }, 120_000);
});
