import { describe, expect, it } from 'vitest';
import { changeSetPathKey, normalizeChangeLogPath, recordedPathKey } from '../../../src/db/changelog/paths.js';
import { LIQUIBASE_NORMALIZE_PATH } from '../../fixtures/db/liquibase-normalize-path.js';

describe('normalizeChangeLogPath is Liquibase 4.28 DatabaseChangeLog.normalizePath', () => {
  it.each(LIQUIBASE_NORMALIZE_PATH)('%j', (written, once, twice) => {
    expect(normalizeChangeLogPath(written)).toBe(once);
    expect(recordedPathKey(written)).toBe(twice);
  });

  it('resolves eight nested ".." levels and leaves a ninth as written (the SQL form does the same)', () => {
    const nested = (n: number): string => `${'d/'.repeat(n)}${'../'.repeat(n)}x.xml`;
    expect(normalizeChangeLogPath(nested(8))).toBe('x.xml');
    expect(normalizeChangeLogPath(nested(9))).toBe('d/../x.xml');
  });

  it('changeSetPathKey is the normalised path ignoring case', () => {
    expect(changeSetPathKey('classpath:DB\\Main.xml')).toBe('db/main.xml');
    expect(changeSetPathKey('classpath*:db/main.xml')).toBe('classpath*:db/main.xml');
  });
});
