import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import {
  changeSetChecksumV8,
  changeSetChecksumV9,
  sqlChangeChecksumV8,
  checksumV8,
  checksumV9,
  isChecksumAccepted,
  parseStoredChecksum,
  serializedChangeChecksumV9,
  sqlChangeChecksumV9,
  sqlChangeChecksums,
  tagDatabaseChecksumV9,
} from '../../../src/db/checksum.js';

// Expected values were produced by Liquibase 4.28.0 (calculate-checksum / changelog-sync), see
// test/integration/db-checksum-oracle.test.ts for the live comparison.
describe('checksumV9', () => {
  it('matches Liquibase for a one-statement formatted changeset', () => {
    expect(checksumV9('create table t1 (id int);')).toBe('9:d2e6c788a7ad4f8dfa0dd3c162241364');
    expect(checksumV9('select 5;')).toBe('9:54819adf17b17e192447b4a936b824fa');
  });

  it('ignores spaces, tabs, CR and LF anywhere, but nothing else', () => {
    expect(checksumV9(' create\ttable\r\n t1 (id int);\n\n')).toBe('9:d2e6c788a7ad4f8dfa0dd3c162241364');
    expect(checksumV9('create table t1 (id int)')).not.toBe('9:d2e6c788a7ad4f8dfa0dd3c162241364');
    expect(checksumV9('CREATE TABLE t1 (id int);')).not.toBe('9:d2e6c788a7ad4f8dfa0dd3c162241364');
  });

  it('is "9:" + md5("9:" + md5(normalised) + ":")', () => {
    const md5 = (s: string): string => createHash('md5').update(s, 'utf8').digest('hex');
    const change = md5('select5;');
    expect(sqlChangeChecksumV9('select 5;')).toBe(`9:${change}`);
    expect(checksumV9('select 5;')).toBe(`9:${md5(`9:${change}:`)}`);
  });

  it('hashes multi-change and tagDatabase changesets like Liquibase', () => {
    expect(changeSetChecksumV9([sqlChangeChecksumV9('select 1;'), sqlChangeChecksumV9('select 2 < 3;')])).toBe(
      '9:ef64401bfddad0db50031cf766c73e31',
    );
    expect(changeSetChecksumV9([tagDatabaseChecksumV9('v1')])).toBe('9:635ff1e577e13420abaf0552fb77ab20');
  });

  it('hashes sqlFile bytes as they are (no property expansion)', () => {
    const bytes = Buffer.from('create table ${tbl}_f (id int);\n-- comment here\ninsert into ${tbl}_f values (2);\n');
    expect(changeSetChecksumV9([sqlChangeChecksumV9(bytes)])).toBe('9:8d54bf5b55031de9a21969f420045c1b');
  });
});

describe('V8 checksums (values Liquibase 4.28 accepted when validating "8:" rows)', () => {
  it('hashes header + whitespace-collapsed SQL', () => {
    const formatted = { endDelimiter: null, splitStatements: true, stripComments: true };
    expect(changeSetChecksumV8([sqlChangeChecksumV8('select 5;', formatted)])).toBe(
      '8:52ae74382d290a6826cf781f2ebff4fb',
    );
    expect(changeSetChecksumV8([sqlChangeChecksumV8('  select\t5;\r\n\n', formatted)])).toBe(
      '8:52ae74382d290a6826cf781f2ebff4fb',
    );
    expect(changeSetChecksumV8([sqlChangeChecksumV8('select  5 ;', formatted)])).not.toBe(
      '8:52ae74382d290a6826cf781f2ebff4fb',
    );
    const plain = { endDelimiter: null, splitStatements: false, stripComments: false };
    expect(changeSetChecksumV8([sqlChangeChecksumV8('select 1;\nselect ${tbl};\n', plain)])).toBe(
      '8:06895b44135ccfb76588f47adc738ffd',
    );
    const xml = { endDelimiter: null, splitStatements: true, stripComments: false };
    expect(
      changeSetChecksumV8([
        sqlChangeChecksumV8("select 'ora' from dual", xml),
        sqlChangeChecksumV8("select 'pg'", xml),
      ]),
    ).toBe('8:5d100f47f11d5f6d43dc4ee74a018b1b');
  });
});

describe('stored checksums', () => {
  it('parses 8: and 9: values and rejects malformed ones', () => {
    expect(parseStoredChecksum('8:52c43999a1430d5d2d426cf7f757617b')).toEqual({
      version: 8,
      hex: '52c43999a1430d5d2d426cf7f757617b',
    });
    expect(parseStoredChecksum(' 9:d2e6c788a7ad4f8dfa0dd3c162241364 ')).toEqual({
      version: 9,
      hex: 'd2e6c788a7ad4f8dfa0dd3c162241364',
    });
    expect(parseStoredChecksum(null)).toBeNull();
    expect(parseStoredChecksum('')).toBeNull();
    expect(() => parseStoredChecksum('9:xyz')).toThrow(/Malformed checksum "9:xyz"/);
  });

  it('checksumV8 accepts only the 8: form', () => {
    expect(checksumV8('8:52C43999A1430D5D2D426CF7F757617B')).toBe('8:52c43999a1430d5d2d426cf7f757617b');
    expect(() => checksumV8('9:d2e6c788a7ad4f8dfa0dd3c162241364')).toThrow(/Not a Liquibase "8:" checksum/);
  });

  it('accepts the current 9: or 8: checksum, validCheckSum entries and ANY', () => {
    const cs = {
      checksum: checksumV9('select 5;'),
      checksumV8: '8:52ae74382d290a6826cf781f2ebff4fb',
      validCheckSums: [] as string[],
    };
    expect(isChecksumAccepted(cs.checksum, cs)).toBe(true);
    expect(isChecksumAccepted(cs.checksum.toUpperCase(), cs)).toBe(true);
    expect(isChecksumAccepted('8:52ae74382d290a6826cf781f2ebff4fb', cs)).toBe(true);
    expect(isChecksumAccepted(null, cs)).toBe(true);
    expect(isChecksumAccepted('9:00000000000000000000000000000000', cs)).toBe(false);
    expect(isChecksumAccepted('8:00000000000000000000000000000000', cs)).toBe(false);
    expect(
      isChecksumAccepted('9:00000000000000000000000000000000', {
        ...cs,
        validCheckSums: ['9:00000000000000000000000000000000'],
      }),
    ).toBe(true);
    expect(isChecksumAccepted('8:00000000000000000000000000000000', { ...cs, validCheckSums: ['any'] })).toBe(true);
  });
});

describe('sqlChangeChecksums working memory', () => {
  // The definition, one fresh buffer per call: md5 of the UTF-8 bytes without space/tab/CR/LF ("9:"); md5 of the V8
  // header and the bytes with whitespace runs collapsed to one space, ends trimmed ("8:").
  const reference = (sql: string | Uint8Array, header: string) => {
    const bytes = typeof sql === 'string' ? Buffer.from(sql, 'utf8') : Buffer.from(sql);
    const v9 = bytes.filter((b) => b !== 0x20 && b !== 0x09 && b !== 0x0d && b !== 0x0a);
    const collapsed = bytes
      .toString('latin1')
      .replace(/[ \t\r\n]+/g, ' ')
      .replace(/^ | $/g, '');
    const md5 = (b: Uint8Array) => createHash('md5').update(b).digest('hex');
    return {
      v9: `9:${md5(v9)}`,
      v8: `8:${md5(Buffer.concat([Buffer.from(header, 'utf8'), Buffer.from(collapsed, 'latin1')]))}`,
    };
  };

  it('gives each change its own sums whatever the size of the one before (buffer reused and grown)', () => {
    const o = { endDelimiter: '\\n/é', splitStatements: true, stripComments: null };
    const header = '\\n/é:true:null:';
    for (const sql of [
      'SELECT 1;\n  SELECT   2 ;\t',
      'x'.repeat(300_000) + ' \n y',
      'a',
      'é ü \u2028 x \ud800 lone',
      '',
      '  \r\n ',
      Buffer.from('raw  \r\n bytes ä'),
      ' b '.repeat(700_000),
      'SELECT 3',
    ])
      expect(sqlChangeChecksums(sql, o), String(sql).slice(0, 20)).toEqual(reference(sql, header));
  });
});

describe('serializedChangeChecksumV9', () => {
  // CheckSum.compute(String): CRLF/CR to LF, BOM removed, NFC; hashed as UTF-8. Plain-ASCII texts skip these steps.
  const md5 = (s: string): string => '9:' + createHash('md5').update(s, 'utf8').digest('hex');
  it('hashes an ASCII text as it is and normalises any other as Liquibase does', () => {
    const ascii = 'insert:[\n    tableName="t"\n]';
    expect(serializedChangeChecksumV9(ascii)).toBe(md5(ascii));
    expect(serializedChangeChecksumV9('sql:[\n    sql="a\r\nb\rc"\n]')).toBe(md5('sql:[\n    sql="a\nb\nc"\n]'));
    expect(serializedChangeChecksumV9('sql:[\n    sql="\uFEFFx"\n]')).toBe(md5('sql:[\n    sql="x"\n]'));
    // e + combining acute (U+0301) is é (U+00E9) after NFC.
    expect(serializedChangeChecksumV9('sql:[\n    sql="cafe\u0301"\n]')).toBe(md5('sql:[\n    sql="caf\u00e9"\n]'));
    expect(serializedChangeChecksumV9('sql:[\n    sql="caf\u00e9"\n]')).toBe(md5('sql:[\n    sql="caf\u00e9"\n]'));
  });
});
