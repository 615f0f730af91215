import { describe, expect, it } from 'vitest';
import { headerAttr } from '../../../src/db/changelog/formatted-header.js';

// What Liquibase 4.28's header patterns (`^.*name:(value).*$`, case-insensitive, anywhere on the line) read, quirks
// included: a guard for any faster way of finding the attributes (headerAttr is asked ~20 times per changeset).
describe('headerAttr', () => {
  const cases: [string, string, string | undefined][] = [
    ['--changeset a:1 endDelimiter:GO', 'endDelimiter', 'GO'],
    ['--changeset a:1', 'endDelimiter', undefined],
    // No word boundary in Liquibase's pattern: rollbackEndDelimiter also sets endDelimiter.
    ['--changeset a:1 rollbackEndDelimiter:X', 'endDelimiter', 'X'],
    ['--changeset a:1 rollbackEndDelimiter:X', 'rollbackEndDelimiter', 'X'],
    // An author whose name ends in an attribute's name: the author:id colon is that attribute's.
    ['--changeset xdbms:ab', 'dbms', 'ab'],
    ['--changeset bench:1', 'dbms', undefined],
    ['--changeset A:1 RUNONCHANGE:TRUE runAlways:false', 'runOnChange', 'TRUE'],
    ['--changeset A:1 RUNONCHANGE:TRUE runAlways:false', 'runAlways', 'false'],
    // The last occurrence wins (greedy `^.*`).
    ['--changeset a:1 context:one context:two', 'context', 'two'],
    ['--changeset a:1 contextFilter:"x y"', 'contextFilter', '"x y"'],
    ['--changeset a:1 contextFilter:"x y"', 'context', undefined],
    // A colon first on the line, then an attribute.
    [':x runAlways:true', 'runAlways', 'true'],
    ['::labels:l1', 'labels', 'l1'],
    ['--changeset a:1 splitStatements:false stripComments:true', 'splitStatements', 'false'],
    ['--changeset a:1 splitStatements:false stripComments:true', 'stripComments', 'true'],
    ['--changeset a:1 rollbackSplitStatements:false', 'splitStatements', 'false'],
    ['--liquibase formatted sql logicalFilePath:db/x.sql', 'logicalFilePath', 'db/x.sql'],
    ['--liquibase formatted sql logicalFilePath:', 'logicalFilePath', ''],
  ];

  it.each(cases)('%s: %s is %s', (line, name, expected) => {
    expect(headerAttr(line, name)).toBe(expected);
  });

  it('answers for the line it is given when lines alternate', () => {
    const a = '--changeset a:1 dbms:postgresql';
    const b = '--changeset a:2 dbms:oracle labels:x';
    expect([headerAttr(a, 'dbms'), headerAttr(b, 'dbms'), headerAttr(a, 'labels'), headerAttr(b, 'labels')]).toEqual([
      'postgresql',
      'oracle',
      undefined,
      'x',
    ]);
    expect(headerAttr(a, 'dbms')).toBe('postgresql');
  });
});
