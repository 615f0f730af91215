import { describe, expect, it } from 'vitest';
import { jdbcText, nativeSql } from '../../../src/db/jdbc-text.js';

// pgjdbc 42.7.3 (Liquibase 4.28's driver), Parser.parseJdbcSql: `??` is `?` everywhere outside literals, quoted
// identifiers, comments and dollar quotes; with parameters (Connection.nativeSQL) a lone `?` is $1, $2…
describe('what pgjdbc sends', () => {
  it('plain Statement (jdbcText): ?? is ?, a lone ? stays', () => {
    expect(jdbcText(`select '{"a":1}'::jsonb ?? 'a', ? , '??' -- ??`)).toBe(
      `select '{"a":1}'::jsonb ? 'a', ? , '??' -- ??`,
    );
  });

  it('nativeSQL: a lone ? is $n, numbered per statement pgjdbc splits at', () => {
    expect(nativeSql(`insert into q values (?, ?); insert into q values (?)`)).toEqual({
      text: `insert into q values ($1, $2); insert into q values ($1)`,
      params: 3,
    });
    expect(nativeSql(`select ?? , '?', "?", $$ ? $$, /* ? */ 1 -- ?`)).toEqual({
      text: `select ? , '?', "?", $$ ? $$, /* ? */ 1 -- ?`,
      params: 0,
    });
    // `;` inside parentheses does not split; nor after CREATE … BEGIN ATOMIC.
    expect(nativeSql(`select (?;?)`).text).toBe(`select ($1;$2)`);
    expect(
      nativeSql(`create function f(a int, b int) returns int language sql begin atomic select ?; select ?; end`).text,
    ).toBe(`create function f(a int, b int) returns int language sql begin atomic select $1; select $2; end`);
    expect(nativeSql(`select 1 begin atomic; select ?; select ?`).text).toBe(
      `select 1 begin atomic; select $1; select $1`,
    );
    expect(nativeSql(`select ???`).text).toBe(`select ?$1`);
    expect(nativeSql(`select x$?`).text).toBe(`select x$$1`);
    expect(nativeSql('select 1')).toEqual({ text: 'select 1', params: 0 });
  });

  it('dollar tags and E strings: letters and digits of any script, as pgjdbc classifies them', () => {
    // A tag may start with a letter or _ and go on with letters, digits and _ (Character.isLetter/isDigit): ASCII
    // and not, each on both sides of the 0x80 boundary the classification shortcuts.
    for (const tag of ['$a1$', '$_$', '$é$', '$aé٣$', '$Ω_9$'])
      expect(nativeSql(`select ${tag} ? ${tag}, ?`).text).toBe(`select ${tag} ? ${tag}, $1`);
    // No dollar quote: a tag that starts with a digit, or a `$` right after an identifier character.
    for (const text of ['$1$ ? $1$', 'x$a$ ? $a$', 'é$a$ ? $a$', '٣$a$ ? $a$'])
      expect(nativeSql(`select ${text}`).text).toBe(`select ${text.replaceAll('?', '$1')}`);
    // E'…' reads backslash escapes only when the E does not end a longer identifier.
    expect(nativeSql(String.raw`select e'\'?', 1 ?`).text).toBe(String.raw`select e'\'?', 1 $1`);
    expect(nativeSql(String.raw`select ée'\', ?`).text).toBe(String.raw`select ée'\', $1`);
  });
});
