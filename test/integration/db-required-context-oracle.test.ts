import { describe, expect, it } from 'vitest';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

// Required contexts and labels (`@x`), as Liquibase 4.28's ExpressionMatcher reads them: the `@` is on the changeset's
// context expression (or the runtime --label-filter), and `@x` matches only when x is among the items; with no items
// (no --contexts; a changeset without labels) it does not match, where a plain `x` does. Found with the context styles
// of public changelogs (Jmix's add-on includes use contextFilter="@jmix-addon"); Slipway had the `@` on the items, so
// it ran context="@prod" without --contexts and left it out under --contexts=prod. A <property context="@prod"> is
// defined under the same rule (its value only under --contexts=prod; otherwise ${p_req} stays as written). Compared
// with `liquibase update`.
const NS =
  'xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd"';

const row = (id: string, attrs: string): string =>
  `  <changeSet id="${id}" author="t" ${attrs}><insert tableName="ran"><column name="id" value="${id}"/></insert></changeSet>\n`;

const MASTER = `<databaseChangeLog ${NS}>
  <property name="p_req" value="set" context="@prod"/>
  <changeSet id="table" author="t" labels="v1"><createTable tableName="ran"><column name="id" type="varchar(40)"/></createTable></changeSet>
${row('required', 'context="@prod"')}${row('plain', 'context="prod"')}${row('required-not', 'context="@!prod"')}${row(
  'required-or',
  'context="@addon or dev"',
)}${row('required-in-and', 'contextFilter="dev and @prod"')}${row('labelled', 'labels="v1"')}${row('unlabelled', '')}${row(
  'prop_${p_req}',
  'labels="v1"',
)}
  <include file="addon.xml" relativeToChangelogFile="true" contextFilter="@addon"/>
</databaseChangeLog>
`;
const ADDON = `<databaseChangeLog ${NS}>
${row('addon', 'labels="v1"')}${row('addon-prod', 'context="prod"')}</databaseChangeLog>
`;
const FILES = { 'master.xml': MASTER, 'addon.xml': ADDON };
const RAN = 'SELECT id FROM ran ORDER BY id';

for (const [name, args, expected] of [
  ['none', [], ['labelled', 'plain', 'prop_${p_req}', 'required-not', 'required-or', 'unlabelled']],
  ['prod', ['--contexts=prod'], ['labelled', 'plain', 'prop_set', 'required', 'unlabelled']],
  [
    'addon_dev',
    ['--contexts=addon,dev'],
    ['addon', 'labelled', 'prop_${p_req}', 'required-not', 'required-or', 'unlabelled'],
  ],
  // Under --label-filter=@v1 a changeset without labels does not run; one labelled v1 does.
  ['addon_v1', ['--contexts=addon,dev', '--label-filter=@v1'], ['addon', 'labelled', 'prop_${p_req}']],
] as const) {
  describe(`required contexts/labels (@x), ${args.join(' ') || 'no --contexts'}, against Liquibase 4.28`, () => {
    const c = useOracleCase(`reqctx_${name}`, FILES);

    it('runs the changesets Liquibase runs, with the same history rows', async () => {
      await liquibaseOk(c.root, c.theirs, 'master.xml', 'update', ...args);
      const contexts = args.find((a) => a.startsWith('--contexts='))?.slice('--contexts='.length);
      const labels = args.find((a) => a.startsWith('--label-filter='))?.slice('--label-filter='.length);
      await applyOurPackage(c.root, 'master.xml', c.ours, {
        ...(contexts ? { contexts: contexts.split(',') } : {}),
        ...(labels ? { labels } : {}),
      });
      expect(psqlRows(c.theirs, RAN)).toEqual(expected);
      expect(psqlRows(c.ours, RAN)).toEqual(psqlRows(c.theirs, RAN));
      expectSameSchemaAndHistory(c);
    }, 300_000);
  });
}
