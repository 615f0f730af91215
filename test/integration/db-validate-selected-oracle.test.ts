import { describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { buildDatabasePackage } from '../../src/db/package.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

// Liquibase 4.28 refuses some changes on PostgreSQL at validation ("replaceIfExists is not allowed on postgresql",
// "addAfterColumn is not allowed on postgresql"), but it validates only the changesets its contexts, labels and dbms
// let through, and never a createProcedure whose own dbms is another database. Slipway refused addColumn afterColumn
// in every changeset, selected or not, and let createProcedure replaceIfExists through (found while probing
// createProcedure for the conformance hunt; YAML/JSON changelogs write `replaceIfExists: true` out of habit).
const body = 'CREATE OR REPLACE FUNCTION f1() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql';
const changeSet = (id: string, extra: object, change: object): object => ({
  changeSet: { id, author: 'v', ...extra, changes: [change] },
});
const json = (...changeSets: object[]): string => JSON.stringify({ databaseChangeLog: changeSets }, null, 1);

describe('Liquibase 4.28 validation refusals apply to the changesets it runs only', () => {
  const c = useOracleCase('validsel', {
    'ok.json': json(
      changeSet('t', {}, { createTable: { tableName: 't', columns: [{ column: { name: 'a', type: 'int' } }] } }),
      changeSet(
        'after',
        { context: 'other' },
        {
          addColumn: { tableName: 't', columns: [{ column: { name: 'b', type: 'int', afterColumn: 'a' } }] },
        },
      ),
      changeSet(
        'proc-ctx',
        { context: 'other' },
        {
          createProcedure: { procedureName: 'f1', replaceIfExists: true, procedureBody: body },
        },
      ),
      changeSet('seq-ctx', { context: 'other' }, { createSequence: { sequenceName: 'sq', ordered: true } }),
      changeSet(
        'proc-dbms',
        {},
        {
          createProcedure: { procedureName: 'f1', dbms: 'mssql', replaceIfExists: true, procedureBody: body },
        },
      ),
    ),
    'bad.json': json(
      changeSet('proc', {}, { createProcedure: { procedureName: 'f1', replaceIfExists: false, procedureBody: body } }),
    ),
    'bad-seq.json': json(changeSet('seq', {}, { createSequence: { sequenceName: 'sq', ordered: false } })),
    'alter-seq.json': json(
      changeSet('seq', {}, { createSequence: { sequenceName: 'sq' } }),
      changeSet('alter', {}, { alterSequence: { sequenceName: 'sq', ordered: false } }),
    ),
  });

  it('runs a changelog whose refused changes are all filtered out (same schema and history)', async () => {
    await liquibaseOk(c.root, c.theirs, 'ok.json', 'update', '--contexts=main');
    await applyOurPackage(c.root, 'ok.json', c.ours, { contexts: ['main'] });
    expectSameSchemaAndHistory(c);
  }, 300_000);

  it('refuses replaceIfExists (even false) on a createProcedure it runs, as Liquibase does', async () => {
    const theirs = await runLiquibase(c.root, c.theirs.url, [
      `--search-path=${c.root}`,
      '--changelog-file=bad.json',
      'update',
    ]);
    expect(theirs.ok).toBe(false);
    expect(theirs.out).toContain('replaceIfExists is not allowed on postgresql');
    const built = buildDatabasePackage({
      rootDir: c.root,
      changelog: 'bad.json',
      application: 'oracle',
      version: '1.0.0',
      sourceDateEpoch: 0,
    });
    await expect(built).rejects.toMatchObject({
      code: 'E_CHANGELOG',
      file: 'bad.json',
      message: expect.stringContaining('replaceIfExists is not allowed'),
    });
  }, 300_000);

  // Found by the XSD attribute inventory (docs/change-type-coverage.md): Slipway printed CREATE SEQUENCE … ORDER, which
  // psql rejected, and let ordered="false" through; Liquibase refuses both at validation.
  it('refuses createSequence ordered (even false) as Liquibase does; alterSequence prints ORDER/NOORDER as it does', async () => {
    const theirs = await runLiquibase(c.root, c.theirs.url, [
      `--search-path=${c.root}`,
      '--changelog-file=bad-seq.json',
      'update',
    ]);
    expect(theirs.ok).toBe(false);
    expect(theirs.out).toContain('ordered is not allowed on postgresql');
    await expect(parseChangelog({ rootDir: c.root, changelog: 'bad-seq.json' })).rejects.toMatchObject({
      code: 'E_CHANGELOG',
      file: 'bad-seq.json',
      field: 'ordered',
      message: expect.stringContaining('ordered is not allowed'),
    });
    const sql = await liquibaseOk(c.root, c.theirs, 'alter-seq.json', 'update-sql');
    const ours = (await parseChangelog({ rootDir: c.root, changelog: 'alter-seq.json' })).changeSets;
    expect(ours[1]!.statements).toEqual(['ALTER SEQUENCE public.sq NOORDER']);
    expect(sql).toContain('\nALTER SEQUENCE public.sq NOORDER;\n');
  }, 300_000);
});
