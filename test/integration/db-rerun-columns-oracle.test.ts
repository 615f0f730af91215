// The history row of a runOnChange changeset that runs again (EXECTYPE RERAN), compared with real Liquibase 4.28.
// Its MarkChangeSetRanGenerator UPDATE rewrites DESCRIPTION, COMMENTS, CONTEXTS, LABELS and LIQUIBASE with the
// changeset's current values, and TAG only when the changeset holds a tagDatabase (a tag set by `liquibase tag` on
// a changeset without one stays). Slipway used to rewrite only DATEEXECUTED, ORDEREXECUTED, MD5SUM, EXECTYPE and
// DEPLOYMENT_ID, leaving the first run's comment, contexts, labels, description and tag.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { onBoth, psqlRows, updateBoth, useOracleCase } from '../helpers/liquibase-oracle.js';
import { LIQUIBASE_NS } from '../helpers/changelog-xml.js';

const changelog = (v: number): string => `<databaseChangeLog ${LIQUIBASE_NS}>
<changeSet id="t" author="a"><sql>create table log (x int)</sql></changeSet>
<changeSet id="edited" author="a" runOnChange="true" context="c${v}" labels="l${v}">
  <comment>run ${v}</comment>
  <sql>insert into log values (${v})</sql>
  ${v > 1 ? '<createTable tableName="t2"><column name="x" type="int"/></createTable>' : ''}
</changeSet>
<changeSet id="tagged" author="a" runOnChange="true"><tagDatabase tag="v${v}"/></changeSet>
<changeSet id="untagged" author="a" runOnChange="true"><sql>insert into log values (${10 + v})</sql></changeSet>
</databaseChangeLog>
`;

describe('a runOnChange changeset run again: the RERAN history row as Liquibase 4.28 rewrites it', () => {
  const c = useOracleCase('rerun_columns', { 'master.xml': changelog(1) });
  const update = (): Promise<void> => updateBoth(c, 'master.xml');

  it('rewrites description, comments, contexts, labels, liquibase and a tagDatabase tag', async () => {
    await update();
    // A row written by another Liquibase, and a tag set by `liquibase tag` on a changeset that has no tagDatabase.
    onBoth(c, "UPDATE databasechangelog SET liquibase = '4.0.0'");
    onBoth(c, "UPDATE databasechangelog SET tag = 'manual' WHERE id = 'untagged'");
    await writeFile(path.join(c.root, 'master.xml'), changelog(2));
    await update();
    const row =
      "SELECT concat_ws('|', description, comments, contexts, labels, tag, liquibase, exectype) FROM databasechangelog ORDER BY orderexecuted, id";
    expect(psqlRows(c.ours, row)).toEqual(psqlRows(c.theirs, row));
    expect(
      psqlRows(
        c.theirs,
        "SELECT concat_ws('|', comments, contexts, labels, liquibase) FROM databasechangelog WHERE id = 'edited'",
      ),
    ).toEqual(['run 2|c2|l2|4.28.0']);
    expect(
      psqlRows(c.theirs, "SELECT tag FROM databasechangelog WHERE id IN ('tagged', 'untagged') ORDER BY id"),
    ).toEqual(['v2', 'manual']);
  }, 600_000);
});
