// The changelog is parsed once per build (issue 12): the verification applies the package SQL the build renders and
// ships, and compile checks `${name}` in SQL files with the properties of that same parse. Before, the verify child
// re-parsed the changelog without database.customChanges (so a build with one could not verify), and compile
// parsed it a third time.
import { describe, expect, it } from 'vitest';
import { buildProject, makeBuildProject } from '../helpers/build-project.js';

const MASTER = `<?xml version="1.0" encoding="UTF-8"?>
<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">
  <property name="table" value="widget"/>
  <changeSet id="1" author="ann">
    <sql>CREATE TABLE \${table} (id int)</sql>
    <rollback>DROP TABLE \${table}</rollback>
  </changeSet>
  <changeSet id="2" author="ann">
    <customChange class="com.example.Seed"/>
  </changeSet>
  <include file="db/more.sql"/>
</databaseChangeLog>
`;

describe('one changelog parse per build', () => {
  it('verifies the shipped package (customChanges included) and compiles SQL with the changelog properties', async () => {
    const dir = await makeBuildProject({
      name: 'once',
      changelog: 'db/master.xml',
      database: ['customChanges: { com.example.Seed: db/seed.sql }'],
      files: {
        'db/master.xml': MASTER,
        'db/seed.sql': 'INSERT INTO widget VALUES (1);\n',
        // ${table} is defined only by the XML master's <property>: compile must see that value to parse this.
        'db/more.sql': '--liquibase formatted sql\n--changeset ann:3\nALTER TABLE ${table} ADD COLUMN name text;\n',
      },
    });
    const r = await buildProject(dir);
    expect(r.phases.find((p) => p.name === 'verify')).toMatchObject({ status: 'ok' });
    expect(r.manifest.components.database.healthStatus).toBe('HEALTHY');
    const verified = r.details.packaged.verifyRun?.verify.changeSets.map((c) => [c.id, c.status]);
    expect(verified).toEqual([
      ['1', 'EXECUTED'],
      ['2', 'EXECUTED'],
      ['3', 'EXECUTED'],
    ]);
    expect(r.details.findings.filter((f) => f.name === 'sql' && /placeholder/.test(f.reason))).toEqual([]);
  }, 180_000);
});
