import { describe, expect, it } from 'vitest';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { runLiquibase } from '../helpers/liquibase-cli.js';
import { changelogXml } from '../helpers/changelog-xml.js';
import {
  applyOurPackage,
  expectSameSchemaAndHistory,
  HISTORY_ROWS,
  liquibaseOk,
  psqlRows,
  useOracleCase,
} from '../helpers/liquibase-oracle.js';

// customPrecondition names a Java class. Liquibase 4.28 without the class on its classpath (the CLI with the
// changelog alone) fails the check — "Could not open custom precondition class" is a PreconditionFailedException, so
// onFail applies, never onError, and <not> around it passes — and runs the changelog. Slipway runs no Java: the check
// fails the same way, with a warning at its line (found on eclipse-tractusx/puris, whose YAML changeSets say
// `not: customPrecondition: [className: …, param: …]` before an addForeignKeyConstraint; rebuilt here by hand).
const table = (name: string): string => `<createTable tableName="${name}"><column name="id" type="int"/></createTable>`;
const custom = '<customPrecondition className="com.example.Missing"><param name="t" value="x"/></customPrecondition>';

describe('customPrecondition as Liquibase 4.28 runs it without the class', () => {
  const c = useOracleCase('custompre', {
    'master.xml': changelogXml(
      [
        `<changeSet id="1" author="a"><preConditions onFail="MARK_RAN">${custom}</preConditions>${table('t1')}</changeSet>`,
        `<changeSet id="2" author="a"><preConditions><not>${custom}</not></preConditions>${table('t2')}</changeSet>`,
        `<changeSet id="3" author="a"><preConditions onFail="WARN">${custom}</preConditions>${table('t3')}</changeSet>`,
        `<changeSet id="4" author="a"><preConditions onFail="CONTINUE">${custom}</preConditions>${table('t4')}</changeSet>`,
        `<changeSet id="5" author="a"><preConditions onFail="MARK_RAN"><or>${custom}<tableExists tableName="t1"/></or></preConditions>${table('t5')}</changeSet>`,
        '<include file="y.yaml"/>',
      ].join('\n'),
    ),
    'y.yaml': [
      'databaseChangeLog:',
      '  - changeSet:',
      '      id: y1',
      '      author: a',
      '      preConditions:',
      '        - onFail: MARK_RAN',
      '        - not:',
      '            - customPrecondition:',
      '                - className: com.example.Missing',
      '                - param: {name: tableName, value: t1}',
      '      changes:',
      '        - createTable: {tableName: y1, columns: [{column: {name: id, type: int}}]}',
      '  - changeSet:',
      '      id: y2',
      '      author: a',
      '      preConditions:',
      '        - onFail: MARK_RAN',
      '        - customPrecondition: {className: com.example.Missing}',
      '      changes:',
      '        - createTable: {tableName: y2, columns: [{column: {name: id, type: int}}]}',
      '',
    ].join('\n'),
    'halt.xml': changelogXml(
      `<changeSet id="6" author="a"><preConditions onFail="HALT" onError="MARK_RAN">${custom}</preConditions>${table('t6')}</changeSet>`,
    ),
  });

  it('fails the check: MARK_RAN, <not> runs, WARN runs, CONTINUE skips (update, same schema and rows)', async () => {
    await liquibaseOk(c.root, c.theirs, 'master.xml', 'update');
    await applyOurPackage(c.root, 'master.xml', c.ours);
    expectSameSchemaAndHistory(c);
    expect(psqlRows(c.theirs, "SELECT id || ':' || exectype FROM databasechangelog ORDER BY orderexecuted")).toEqual([
      '1:MARK_RAN',
      '2:EXECUTED',
      '3:EXECUTED',
      '5:MARK_RAN',
      'y1:EXECUTED',
      'y2:MARK_RAN',
    ]);
    const parsed = await parseChangelog({ rootDir: c.root, changelog: 'master.xml' });
    const warned = parsed.warnings.filter((w) => w.code === 'W_CUSTOM_PRECONDITION');
    expect(warned.map((w) => `${w.file}:${w.line}`)).toEqual([
      'master.xml:3',
      'master.xml:4',
      'master.xml:5',
      'master.xml:6',
      'master.xml:7',
      'y.yaml:8',
      'y.yaml:18',
    ]);
    expect(warned[0]!.message).toContain('com.example.Missing');
  }, 300_000);

  it('is a failure, not an error: onFail HALT stops both, whatever onError says', async () => {
    const theirs = await runLiquibase(c.root, c.theirs.url, [
      `--search-path=${c.root}`,
      '--changelog-file=halt.xml',
      'update',
    ]);
    expect(theirs.ok).toBe(false);
    expect(theirs.out).toContain('Could not open custom precondition class com.example.Missing');
    await expect(applyOurPackage(c.root, 'halt.xml', c.ours)).rejects.toThrow(/psql failed/);
    expect(psqlRows(c.ours, HISTORY_ROWS)).toEqual(psqlRows(c.theirs, HISTORY_ROWS));
  }, 300_000);
});
