import { writeFile } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { parseChangelog } from '../../../src/db/changelog/index.js';
import type { Precondition, Preconditions } from '../../../src/db/model.js';
import { bodyNeverRuns, staticPreconditions } from '../../../src/db/precondition-static.js';
import { renderChangeSet } from '../../../src/db/render-changeset.js';
import { renderPreconditionProgram } from '../../../src/db/render-precondition.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';
import { makeChangelog } from './make-changeset.js';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map(removeTree));
});

const dbms = (type: string, negate = false): Precondition => ({ type: 'dbms', attrs: { type }, negate });
const sqlCheck: Precondition = { type: 'sql-check', expectedResult: '1', sql: 'select 1', attrs: {} };
const pre = (checks: Precondition[], over: Partial<Preconditions> = {}): Preconditions => ({
  onFail: 'MARK_RAN',
  onError: 'HALT',
  operator: 'and',
  checks,
  location: { file: 'db/master.xml', line: 3 },
  ...over,
});

describe('preconditions decided at build time', () => {
  it.each([
    ['mysql', false],
    ['MySQL, PostgreSQL', true],
    ['!mysql', true],
    ['!postgresql', false],
    ['', false],
    ['all', true],
    ['none', false],
  ])('dbms type="%s" on PostgreSQL: %s (DatabaseList.definitionMatches, empty fails)', (type, expected) => {
    expect(staticPreconditions(pre([dbms(type)]))).toBe(expected);
    expect(renderPreconditionProgram(pre([dbms(type)]))).toBe(`passed := ${expected ? 'TRUE' : 'FALSE'};`);
  });

  it('combines and/or/not in Liquibase order: a check that could error is unknown unless already decided', () => {
    const and = (...c: Precondition[]): Precondition => ({ type: 'and', attrs: {}, children: c });
    const or = (...c: Precondition[]): Precondition => ({ type: 'or', attrs: {}, children: c });
    const not = (...c: Precondition[]): Precondition => ({ type: 'not', attrs: {}, children: c });
    expect(staticPreconditions(pre([and(dbms('mysql'), sqlCheck)]))).toBe(false);
    expect(staticPreconditions(pre([and(sqlCheck, dbms('mysql'))]))).toBeNull();
    expect(staticPreconditions(pre([or(dbms('postgresql'), sqlCheck)]))).toBe(true);
    expect(staticPreconditions(pre([or(dbms('mysql'), sqlCheck)]))).toBeNull();
    expect(staticPreconditions(pre([or(dbms('mysql'), dbms('mariadb'))]))).toBe(false);
    expect(staticPreconditions(pre([not(dbms('mysql'), dbms('postgresql'))]))).toBe(false);
    expect(staticPreconditions(pre([not(dbms('mysql'), dbms('oracle'))]))).toBe(true);
    expect(staticPreconditions(pre([dbms('postgresql', true)]))).toBe(false);
    expect(staticPreconditions(pre([{ ...and(dbms('mysql'), sqlCheck), negate: true }]))).toBe(true);
    expect(staticPreconditions(pre([dbms('mysql'), dbms('postgresql')], { operator: 'or' }))).toBe(true);
    expect(staticPreconditions(pre([]))).toBe(true);
    expect(
      staticPreconditions(
        pre([
          { type: 'changelog-property-defined', attrs: { property: 'p', defined: 'false' } },
          { type: 'expected-quoting-strategy', attrs: { strategy: 'LEGACY', matches: 'true' } },
        ]),
      ),
    ).toBe(false);
  });

  it('leaves the body out for HALT, CONTINUE and MARK_RAN; WARN runs it, so it stays', () => {
    expect(bodyNeverRuns(pre([dbms('mysql')], { onFail: 'MARK_RAN' }))).toBe(true);
    expect(bodyNeverRuns(pre([dbms('mysql')], { onFail: 'CONTINUE' }))).toBe(true);
    expect(bodyNeverRuns(pre([dbms('mysql')], { onFail: 'HALT' }))).toBe(true);
    expect(bodyNeverRuns(pre([dbms('mysql')], { onFail: 'WARN' }))).toBe(false);
    expect(bodyNeverRuns(pre([dbms('postgresql')]))).toBe(false);
    expect(bodyNeverRuns(pre([sqlCheck]))).toBe(false);
    expect(bodyNeverRuns(null)).toBe(false);
  });

  it('parses MySQL SQL under a failing dbms precondition: no statements, Liquibase checksum, MARK_RAN rendered', async () => {
    const NS = 'xmlns="http://www.liquibase.org/xml/ns/dbchangelog"';
    const body = `UPDATE t SET s = REPLACE(s, '"', "\\"")`;
    const root = await makeTree({
      'master.xml': `<databaseChangeLog ${NS}>
<changeSet id="mark" author="a"><preConditions onFail="MARK_RAN"><dbms type="mysql"/></preConditions><sql>${body}</sql></changeSet>
<changeSet id="warn" author="a"><preConditions onFail="WARN"><dbms type="mysql"/></preConditions><sql>${body}</sql></changeSet>
</databaseChangeLog>`,
    });
    dirs.push(root);
    // WARN runs the body, so it is still split (and refused, as PostgreSQL would refuse it).
    await expect(parseChangelog({ rootDir: root, changelog: 'master.xml' })).rejects.toThrow(
      /Unterminated quoted identifier in changeset a:warn/,
    );
    const text = `<databaseChangeLog ${NS}>\n<changeSet id="mark" author="a"><preConditions onFail="MARK_RAN"><dbms type="mysql"/></preConditions><sql>${body}</sql></changeSet>\n</databaseChangeLog>`;
    await writeFile(`${root}/master.xml`, text);
    const parsed = await parseChangelog({ rootDir: root, changelog: 'master.xml' });
    const cs = parsed.changeSets[0]!;
    expect(cs.statements).toEqual([]);
    // Measured with Liquibase 4.28 (the MARK_RAN row's MD5SUM): the body counts as written.
    expect(cs.checksum).toBe('9:43a33c95d51da2fc2ff2bff4dfd87231');
    const sql = renderChangeSet(cs, makeChangelog([cs]), new Map());
    expect(sql).not.toContain('DO $slipway$ BEGIN PERFORM');
    expect(sql).toContain("'MARK_RAN'");
    expect(sql).toContain('-- preconditions fail on PostgreSQL (decided at build, master.xml:2): onFail MARK_RAN');
  });
});
