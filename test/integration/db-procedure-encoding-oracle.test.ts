import { describe, it } from 'vitest';
import { changelogXml } from '../helpers/changelog-xml.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

// <createProcedure path=… encoding="ISO-8859-1">: Liquibase reads the file in that encoding; Slipway read every
// procedure file as UTF-8, so a Latin-1 é became U+FFFD in the function's name and body (found while probing
// createProcedure for the conformance hunt; pg_dump showed f_caf�() against Liquibase's f_café()).
describe('createProcedure path reads its file in its encoding, as Liquibase 4.28 does', () => {
  const c = useOracleCase('procenc', {
    'master.xml': changelogXml(
      '<changeSet id="p1" author="e"><createProcedure dbms="postgresql" path="p1.sql" relativeToChangelogFile="true" encoding="ISO-8859-1"/></changeSet>',
    ),
    'p1.sql': Buffer.from(
      "CREATE OR REPLACE FUNCTION f_caf\xe9() RETURNS text AS $$ SELECT 'caf\xe9'::text $$ LANGUAGE sql;",
      'latin1',
    ),
  });

  it('creates the same function and records the same checksum', async () => {
    await liquibaseOk(c.root, c.theirs, 'master.xml', 'update');
    await applyOurPackage(c.root, 'master.xml', c.ours);
    expectSameSchemaAndHistory(c);
  }, 300_000);
});

// The same for <createView path=… encoding="ISO-8859-1">: the view's query in that encoding.
describe('createView path reads its file in its encoding, as Liquibase 4.28 does', () => {
  const c = useOracleCase('viewenc', {
    'master.xml': changelogXml(
      '<changeSet id="v1" author="e"><createView viewName="v_latin" path="v1.sql" relativeToChangelogFile="true" encoding="ISO-8859-1"/></changeSet>',
    ),
    'v1.sql': Buffer.from("SELECT 'caf\xe9'::text AS caf\xe9", 'latin1'),
  });

  it('creates the same view and records the same checksum', async () => {
    await liquibaseOk(c.root, c.theirs, 'master.xml', 'update');
    await applyOurPackage(c.root, 'master.xml', c.ours);
    expectSameSchemaAndHistory(c);
  }, 300_000);
});
