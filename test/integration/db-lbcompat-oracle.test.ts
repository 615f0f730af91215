import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { runUnit } from '../helpers/corpus-unit.js';

// What Liquibase accepts besides change types, each compared with real Liquibase 4.28 through the corpus runner
// (package + psql vs `liquibase update`: schema, data, history rows with checksums and MARK_RAN decisions, then
// `liquibase status`/`validate` on Slipway's database and a mixed run). Fixture: test/fixtures/db/lbcompat.
const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/db/lbcompat');

describe('modifySql, empty/dbms-only changesets and preconditions against liquibase 4.28', () => {
  it('the fixture parses to the expected statements and outcomes-to-be', async () => {
    const r = await parseChangelog({ rootDir: fixture, changelog: 'db/master.xml' });
    const byId = new Map(r.changeSets.map((c) => [c.id, c]));
    expect(byId.get('append-pg')!.statements).toEqual(['create table t1 (id int) WITH (fillfactor=70)']);
    expect(byId.get('append-mssql')!.statements).toEqual(['create table t2 (id int)']);
    expect(byId.get('regexp')!.statements).toEqual(['create table t5 (id smallint, x smallint)']);
    expect(byId.get('two')!.statements).toEqual([' create table t8 (id text) ']);
    expect([byId.get('empty')!.description, byId.get('empty')!.checksum, byId.get('empty')!.statements]).toEqual([
      'empty',
      '9:d41d8cd98f00b204e9800998ecf8427e',
      [],
    ]);
    expect(byId.get('mssql-only')!.description).toBe('sql');
  });

  it('package + psql leaves what liquibase update leaves, and Liquibase accepts the result', async () => {
    const outcome = await runUnit({ unit: 'lbcompat-fixture', searchRoot: fixture, changelog: 'db/master.xml' });
    expect(outcome).toBeNull();
  }, 600_000);
});
