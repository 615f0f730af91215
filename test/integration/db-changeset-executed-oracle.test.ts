import { describe, expect, it } from 'vitest';
import { changelogXml } from '../helpers/changelog-xml.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

// changeSetExecuted asks Liquibase 4.28 for a ran changeset that RanChangeSet.isSameAs the one it names: id and
// author ignoring case, and the paths (the recorded FILENAME and changeLogFile) both normalised — backslashes,
// "classpath:", "./", a leading "/" — and compared ignoring case. Found while checking logicalFilePath forms met on
// cloudfoundry/app-autoscaler (`/var/vcap/…` recorded without its "/"); rebuilt here by hand.
const check = (id: string, attrs: string): string =>
  `<changeSet id="${id}" author="a"><preConditions onFail="MARK_RAN"><changeSetExecuted ${attrs}/></preConditions>` +
  `<createTable tableName="${id}"><column name="id" type="int"/></createTable></changeSet>`;

describe('changeSetExecuted matches as Liquibase 4.28 matches', () => {
  const c = useOracleCase('csexec', {
    'master.xml': changelogXml(
      [
        '<changeSet id="base" author="Ann"><sql>select 1</sql></changeSet>',
        '<changeSet id="lfp" author="Ann" logicalFilePath="classpath:/Abs/Cs.xml"><sql>select 1</sql></changeSet>',
        '<changeSet id="dbl" author="Ann" logicalFilePath="//abs2/cs.xml"><sql>select 1</sql></changeSet>',
        check('c1', 'id="base" author="Ann" changeLogFile="master.xml"'),
        check('c2', 'id="BASE" author="ann" changeLogFile="master.xml"'),
        check('c3', 'id="base" author="Ann" changeLogFile="MASTER.xml"'),
        check('c4', 'id="base" author="Ann" changeLogFile="/master.xml"'),
        check('c5', 'id="base" author="Ann" changeLogFile="classpath:master.xml"'),
        check('c6', 'id="base" author="Ann" changeLogFile="./master.xml"'),
        check('c7', 'id="base" author="Ann" changeLogFile="\\master.xml"'),
        check('c8', 'id="lfp" author="Ann" changeLogFile="abs/cs.xml"'),
        check('c9', 'id="dbl" author="Ann" changeLogFile="abs2/cs.xml"'),
        check('n1', 'id="base" author="Ann" changeLogFile="other.xml"'),
        check('n2', 'id="base2" author="Ann" changeLogFile="master.xml"'),
      ].join('\n'),
    ),
  });

  it('id and author ignoring case, the paths normalised and ignoring case (update)', async () => {
    await liquibaseOk(c.root, c.theirs, 'master.xml', 'update');
    await applyOurPackage(c.root, 'master.xml', c.ours);
    expectSameSchemaAndHistory(c);
    expect(psqlRows(c.theirs, "SELECT id || ':' || exectype FROM databasechangelog ORDER BY orderexecuted")).toEqual([
      'base:EXECUTED',
      'lfp:EXECUTED',
      'dbl:EXECUTED',
      ...['c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'].map((id) => `${id}:EXECUTED`),
      'n1:MARK_RAN',
      'n2:MARK_RAN',
    ]);
  }, 300_000);
});
