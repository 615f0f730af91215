import { describe, expect, it } from 'vitest';
import { maskSecrets, maskSecretsDeep, maskUrl, SlipwayError } from '../../src/errors.js';

// [input, expected]: every secret gone, everything else (scheme, user, host, port, database, other params) kept.
const URLS: [string, string][] = [
  ['postgres://u:secret@h/db', 'postgres://u:***@h/db'],
  ['postgres://u:p@ss@h:5432/db', 'postgres://u:***@h:5432/db'],
  ['postgres://u:p@ss@w@rd@h/db?sslmode=require', 'postgres://u:***@h/db?sslmode=require'],
  ['postgres://u:a/b+c=@h/db', 'postgres://u:***@h/db'], // base64-ish password holding '/'
  ['postgres://u:p?x@h/db', 'postgres://u:***@h/db'], // '?' in the password
  ['postgres://u:pw@h/db?application_name=a@b', 'postgres://u:***@h/db?application_name=a@b'],
  ['postgres://u:@h/db', 'postgres://u:***@h/db'],
  ['postgres://u@h/db', 'postgres://u@h/db'],
  ['postgres://h/db', 'postgres://h/db'],
  ['postgres://u@h/db?password=s3cret', 'postgres://u@h/db?password=***'],
  ['postgres://h/db?sslmode=require&password=s3cret&x=1', 'postgres://h/db?sslmode=require&password=***&x=1'],
  ['postgres://h/db?PASSWORD=s3cret', 'postgres://h/db?PASSWORD=***'],
  [
    'postgres://h/db?sslpassword=k3y&passfile=/home/u/.pgpass',
    'postgres://h/db?sslpassword=***&passfile=/home/u/.pgpass',
  ],
  ['postgres://u:one@h1:5432,h2:5433/db', 'postgres://u:***@h1:5432,h2:5433/db'],
  ['postgres://u:pw@[::1]:5432/db', 'postgres://u:***@[::1]:5432/db'],
  ['postgres://u:pw@/db?host=/var/run/postgresql', 'postgres://u:***@/db?host=/var/run/postgresql'],
  ['https://ci:tok@example.com/metrics?token=abc', 'https://ci:***@example.com/metrics?token=***'],
  ['http://example.com/a@b', 'http://example.com/a@b'],
];

const TEXTS: [string, string][] = [
  ['cannot connect to postgres://u:p@ss@h/db: ECONNREFUSED', 'cannot connect to postgres://u:***@h/db: ECONNREFUSED'],
  // A parameter's value runs to the next separator or blank, a closing quote included: masking too much is safe.
  ["url 'postgres://u:pw@h/db?password=x' failed", "url 'postgres://u:***@h/db?password=*** failed"],
  ['host=h port=5432 password=s3cret dbname=app', 'host=h port=5432 password=*** dbname=app'],
  ["host=h password='s3 cret' dbname=app", 'host=h password=*** dbname=app'],
  ["host=h password = 'it\\'s q' dbname=app", 'host=h password = *** dbname=app'],
  ['host=h password="x y" user=u', 'host=h password=*** user=u'],
  ['host=h sslpassword=k3y', 'host=h sslpassword=***'],
  ['PGPASSWORD=s3cret psql -h h', 'PGPASSWORD=*** psql -h h'],
  ['{"user":"u","password":"s3\\"cret"}', '{"user":"u","password":"***"}'],
  ['two: postgres://a:1@h/x and postgres://b:2@h/y', 'two: postgres://a:***@h/x and postgres://b:***@h/y'],
  ['password too short (minimum 8 characters)', 'password too short (minimum 8 characters)'],
  ['passfile=/home/u/.pgpass host=h', 'passfile=/home/u/.pgpass host=h'],
  ['no secrets here: http://h/x?a=1', 'no secrets here: http://h/x?a=1'],
];

describe('maskUrl', () => {
  it.each(URLS)('%s', (input, expected) => {
    expect(maskUrl(input)).toBe(expected);
  });
});

describe('maskSecrets', () => {
  it.each([...URLS, ...TEXTS])('%s', (input, expected) => {
    expect(maskSecrets(input)).toBe(expected);
    expect(maskSecrets(expected)).toBe(expected); // idempotent: masking twice changes nothing
  });

  it('masks every string of a JSON-like value, keeping its shape', () => {
    const v = { a: ['postgres://u:p@ss@h/db'], b: { c: 'password=x', n: 3, t: true, z: null } };
    expect(maskSecretsDeep(v)).toEqual({
      a: ['postgres://u:***@h/db'],
      b: { c: 'password=***', n: 3, t: true, z: null },
    });
  });

  it('SlipwayError masks its message, hint and details', () => {
    const e = new SlipwayError('E_DB_CONNECT', 'cannot connect to postgres://u:p@ss@h/db?password=q', {
      hint: 'check host=h password=pw',
      details: ['PGPASSWORD=z'],
    });
    expect(e.message).toBe('cannot connect to postgres://u:***@h/db?password=***');
    expect(e.hint).toBe('check host=h password=***');
    expect(e.details).toEqual(['PGPASSWORD=***']);
  });
});
