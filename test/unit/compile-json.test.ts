import { describe, expect, it } from 'vitest';
import { minifyJson, validateJson } from '../../src/builder/compile/json.js';
import { formatProblem, lineColAt, sortProblems } from '../../src/builder/compile/position.js';

describe('validateJson', () => {
  it('locates errors as 1-based line:col', () => {
    // The message is V8's own and its wording changes between Node versions; the position is ours.
    const at = (text: string, file: string) =>
      validateJson(text, file).map(({ file: f, line, column, message }) => ({
        f,
        line,
        column,
        hasMessage: message.length > 0,
      }));
    expect(at('{\n  "a": 1,\n  "b" 2\n}\n', 'x.json')).toEqual([{ f: 'x.json', line: 3, column: 7, hasMessage: true }]);
    expect(at('{"a": [1, 2', 'y.json')).toEqual([{ f: 'y.json', line: 1, column: 12, hasMessage: true }]);
    expect(at('\n', 'e.json')).toEqual([{ f: 'e.json', line: 2, column: 1, hasMessage: true }]);
    expect(validateJson('{"ok": true}', 'z.json')).toEqual([]);
  });
});

describe('minifyJson', () => {
  it('drops whitespace outside strings only and keeps number spellings', () => {
    const text = '\ufeff{\n  "a b": "x \\" y\\\\",\n\t"n": [1.0, 1e5, 12345678901234567890],\r\n  "s": " sp "\n}\n';
    const min = minifyJson(text);
    expect(min).toBe('{"a b":"x \\" y\\\\","n":[1.0,1e5,12345678901234567890],"s":" sp "}');
    expect(JSON.parse(min)).toEqual(JSON.parse(text.slice(1)));
  });
});

describe('positions', () => {
  it('lineColAt counts from 1 and clamps', () => {
    expect(lineColAt('ab\ncd\n', 0)).toEqual({ line: 1, column: 1 });
    expect(lineColAt('ab\ncd\n', 3)).toEqual({ line: 2, column: 1 });
    expect(lineColAt('ab\ncd\n', 4)).toEqual({ line: 2, column: 2 });
    expect(lineColAt('ab\ncd\n', 99)).toEqual({ line: 3, column: 1 });
  });

  it('formats and sorts problems by file, line, column', () => {
    const p = [
      { file: 'b.js', line: 1, column: 1, message: 'm' },
      { file: 'a.sql', line: 9, column: 2, message: 'm' },
      { file: 'a.sql', line: 2, column: 5, message: 'm' },
    ];
    expect(sortProblems(p).map(formatProblem)).toEqual(['a.sql:2:5: m', 'a.sql:9:2: m', 'b.js:1:1: m']);
  });
});
