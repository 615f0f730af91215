/**
 * The fast YAML/JSON reader against the yaml library (the reader every changelog was read with before): wherever the
 * fast reader accepts a file, its node tree (positions included) and the changelog tree built from it equal the
 * library's; wherever it declines, parseYamlTree gives the library's result or error. Files: every YAML/JSON file of
 * the corpus and of test/fixtures, hand-written edge cases, and seeded random mutations of the corpus files.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readYamlFast } from '../../src/db/changelog/yaml-fast-reader.js';
import { readYamlWithLibrary } from '../../src/db/changelog/yaml-library-reader.js';
import { buildYamlTree, parseYamlTree } from '../../src/db/changelog/yaml-tree.js';
import type { YamlNode } from '../../src/db/changelog/yaml-nodes.js';
import { sqlPlace } from '../../src/db/changelog/value-lines.js';
import type { ChangelogNode } from '../../src/db/changelog/xml-tree.js';
import { CORPUS_DIR } from '../helpers/corpus-runner.js';
import { seededRandom } from '../helpers/seeded-random.js';

const repo = path.resolve(import.meta.dirname, '../..');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.(ya?ml|json)$/.test(e.name) && e.name !== 'units.json')
    .map((e) => path.join(e.parentPath, e.name));
}

/** A `key:` with nothing gives a null whose position the fast reader does not reproduce (no result reads it). */
function withoutNullPositions(n: YamlNode | null): unknown {
  if (!n) return n;
  if (n.kind === 'scalar' && n.value === null) return { kind: 'scalar', value: null, plain: n.plain };
  if (n.kind === 'seq') return { ...n, items: n.items.map(withoutNullPositions) };
  if (n.kind === 'map')
    return {
      ...n,
      pairs: n.pairs.map((p) => ({ key: withoutNullPositions(p.key), value: withoutNullPositions(p.value) })),
    };
  return n;
}

const outcome = <T>(f: () => T): T | { error: string; details: unknown } => {
  try {
    return f();
  } catch (e) {
    return { error: (e as Error).message, details: (e as { details?: unknown }).details };
  }
};

/**
 * `content` with the continuation lines of each quoted scalar the fast reader read over several lines indented by the
 * scalar's column more. SnakeYAML (Liquibase's reader, the spec here) does not check the indentation of those lines;
 * the yaml library refuses lines it finds not indented enough ('Missing closing "quote'). Leading white space of
 * a continuation line is dropped by folding, so the indented file reads to the same values, at the same positions.
 */
function withQuotedContinuationsIndented(content: string, fast: YamlNode): string {
  const lines = content.split('\n');
  const lineStarts: number[] = [];
  for (let i = 0, o = 0; i < lines.length; o += lines[i]!.length + 1, i++) lineStarts.push(o);
  const extra = new Map<number, number>();
  const visit = (n: YamlNode | null): void => {
    if (!n) return;
    if (n.kind === 'seq') n.items.forEach(visit);
    if (n.kind === 'map') n.pairs.forEach((p) => (visit(p.key), visit(p.value)));
    if (n.kind !== 'scalar' || n.plain) return;
    const start = lineStarts[n.line - 1]! + n.column - 1;
    const q = content[start];
    if (q !== '"' && q !== "'") return;
    // The closing quote: skipping `\x` escapes in double quotes, `''` in single ones.
    let i = start + 1;
    for (; i < content.length; i++) {
      if (q === '"' && content[i] === '\\') i++;
      else if (content[i] === q && !(q === "'" && content[i + 1] === "'")) break;
      else if (q === "'" && content[i] === "'") i++;
    }
    let line = n.line;
    for (let j = start; j < i; j++) if (content[j] === '\n') extra.set(line++, n.column);
  };
  visit(fast);
  return lines.map((l, i) => ' '.repeat(extra.get(i) ?? 0) + l).join('\n');
}

/** The tree with, in place of the YAML each element was made from, the line of each attribute's value and text. */
function withValueLines(n: ChangelogNode): unknown {
  const { yaml: _yaml, yamlText: _text, children, ...rest } = n;
  return {
    ...rest,
    children: children.map(withValueLines),
    valueLines: Object.keys(n.attrs).map((k) => sqlPlace(n, n.attrs[k]!, k)),
    textLine: sqlPlace(n, n.text),
  };
}

/** Whether the fast reader accepted `content`; throws (through expect) where it differs from the library. */
function compare(content: string, file = 'db/changelog.yaml'): boolean {
  const fast = readYamlFast(content);
  if (!fast) return false;
  let slow = outcome(() => readYamlWithLibrary(content, file));
  // The one exception: a quoted scalar whose continuation lines the yaml library finds not indented enough, which
  // SnakeYAML (Liquibase) reads; there the fast reader must read what the library reads once they are indented.
  if ('error' in (slow as object))
    slow = outcome(() => readYamlWithLibrary(withQuotedContinuationsIndented(content, fast), file));
  expect(withoutNullPositions(fast), file).toEqual(withoutNullPositions(slow as YamlNode));
  expect(
    outcome(() => withValueLines(buildYamlTree(fast, file, content))),
    file,
  ).toEqual(outcome(() => withValueLines(buildYamlTree(slow as YamlNode, file, content))));
  return true;
}

describe('the fast YAML/JSON reader', () => {
  it('reads every corpus and fixture file as the yaml library does, and declines few of them', () => {
    const files = [...yamlFiles(CORPUS_DIR), ...yamlFiles(path.join(repo, 'test/fixtures'))];
    expect(files.length).toBeGreaterThan(240);
    const declined = files.filter((f) => !compare(readFileSync(f, 'utf8'), f));
    // Measured: none declined (of 249; 354 of 359 with 110 more from public repositories, see the commit).
    expect(declined, declined.join('\n')).toEqual([]);
  });

  it('reads every corpus and fixture file written with CRLF line breaks as the yaml library reads it', () => {
    const files = [...yamlFiles(CORPUS_DIR), ...yamlFiles(path.join(repo, 'test/fixtures'))];
    const declined = files.filter((f) => {
      const lf = readFileSync(f, 'utf8');
      const crlf = lf.replaceAll('\r\n', '\n').replaceAll('\n', '\r\n');
      return crlf.includes('\n') && !compare(crlf, f);
    });
    expect(declined, declined.join('\n')).toEqual([]);
  });

  const cases: Record<string, string> = {
    plainScalars:
      'databaseChangeLog:\n- changeSet:\n    id: 017\n    author: yes\n    comment: 1_000 ~ x\n    labels: 0x1F\n    context: 1e3\n    created: 2020-01-01\n    runOrder: 190:20:30\n    x: .inf\n    y: -.5\n    z: -1\n    n: null\n    e:\n    changes:\n    - sql: {sql: select 1}\n',
    quoted: `databaseChangeLog:\n- changeSet:\n    "id": "a\\tb\\u00e9\\x41\\U0001F600\\/\\"\\\\ \\N\\_\\L\\P"\n    'author': 'it''s'\n    comment: "  "\n    changes:\n    - sql:\n        sql: 'x' # trailing\n`,
    literalAndFolded:
      'databaseChangeLog:\n  - changeSet:\n      id: 1\n      author: a\n      changes:\n        - sql:\n            sql: |\n              select 1;\n\n                indented\n              \n              end\n            comment: >\n              one\n              two\n\n              three\n                more\n              four\n\n\n        - sql:\n            sql: |-\n              x\n               \n\n',
    blockAtEof:
      'databaseChangeLog:\n- changeSet:\n    id: 1\n    author: a\n    changes:\n    - sql:\n        sql: >\n          a\n          b',
    json: '{\n  "databaseChangeLog": [\n    {"changeSet": {"id": "1", "author": "a", "changes": [\n      {"sql": {"sql": "select \\"x\\" \\/ 1", "splitStatements": false}},\n      {"createTable": {"tableName": "t", "columns": [{"column": {"name": "id", "type": "bigint", "autoIncrement": true, "startWith": 12345678901234567890, "x": 1.5E3, "y": -0.0, "z": null}}]}}\n    ]}}\n  ]\n}\n',
    jsonCompact:
      '{"databaseChangeLog":[{"include":{"file":"a.json"}},{"include":{"file":"b.yaml","relativeToChangelogFile":true}}]}',
    duplicateKeys:
      'databaseChangeLog:\n- changeSet:\n    id: a\n    author: x\n    id: b\n    changes:\n    - sql: select 1\n',
    compactNesting:
      'databaseChangeLog:\n- changeSet:\n    id: 1\n    author: a\n    validCheckSum:\n    - 8:abc\n    - ANY\n    changes:\n    - insert:\n        tableName: t\n        columns:\n        - column: {name: a, value: "x, y"}\n        -   column:\n              name: b\n              valueNumeric: 1.0\n    - - nested\n',
    commentsEverywhere:
      '# head\n\ndatabaseChangeLog:   # c\n  # between\n- changeSet:\n    id: 1 # one\n    author: a#b\n    changes:\n\n    # note\n    - sql: "select 1" #q\n',
    indentedRoot: '  databaseChangeLog:\n    - include:\n        file: x.yaml\n',
    multiLineQuoted:
      "databaseChangeLog:\n- changeSet:\n    id: 1\n    author: a\n    comment: \"one  \n      two\n\n\n      three \\\n      four\\ \n\n     \\tfive\\\n      six\n      \"\n    changes:\n    - sql:\n        sql: 'it''s\n          a ''b\n\n          c'' d'\n",
    // Liquibase (SnakeYAML) reads this; the yaml library refuses it: see withQuotedContinuationsIndented.
    multiLineQuotedAtKeyIndent:
      "databaseChangeLog:\n- changeSet:\n    id: 1\n    author: a\n    changes:\n    - delete:\n        tableName: t5\n        where: \"id IN (\n          'a',\n          'b'\n        )\"\n    - sql:\n        sql: 'x\n  y'\n",
    // Declined: the library reads these (or refuses them) itself.
    anchors:
      'databaseChangeLog:\n- changeSet: &cs\n    id: 1\n    author: a\n    changes:\n    - sql: select 1\n- changeSet:\n    <<: *cs\n    id: 2\n',
    multiLinePlain: 'databaseChangeLog:\n- changeSet:\n    id: 1\n    author: a\n    comment: one\n      two\n',
    tabs: 'databaseChangeLog:\n- changeSet:\n\tid: 1\n',
    documents: '---\ndatabaseChangeLog:\n- include:\n    file: a.yaml\n---\nother: 1\n',
    badIndent: 'databaseChangeLog:\n- changeSet:\n    id: 1\n   author: a\n',
    unclosed: 'databaseChangeLog:\n- changeSet: {id: 1, author: a\n',
    badEscape: 'databaseChangeLog:\n- changeSet:\n    id: "\\q"\n',
    crlf: 'databaseChangeLog:\r\n- include:\r\n    file: a.yaml\r\n',
    crlfScalars:
      "databaseChangeLog:\r\n- changeSet:\r\n    id: 1\r\n    author: a # c\r\n    comment: \"one\r\n      two\\\r\n      three\r\n\r\n      four\"\r\n    changes:\r\n    - sql:\r\n        sql: |\r\n          select 1;\r\n\r\n            x\r\n        comment: >-\r\n          a\r\n          b\r\n    - sql: {sql: 'it''s', splitStatements: false}\r\n",
    crlfMixed: 'databaseChangeLog:\r\n- include:\n    file: a.yaml\r\n- include: {file: b.yaml}\n',
    loneCr: 'databaseChangeLog:\r- include:\r\n    file: a.yaml\r\n',
    bom: '\ufeffdatabaseChangeLog:\n- include:\n    file: a.yaml\n',
    notAChangelog: 'databaseChangeLog: 1\n',
    listRoot: '- databaseChangeLog: []\n',
    multiLineQuotedSeparator: 'databaseChangeLog:\n- changeSet:\n    id: "1\n---\n    "\n',
    multiLineQuotedKey: 'databaseChangeLog:\n- changeSet:\n    "id\n     x": 1\n',
    // SnakeYAML gives a newline for the empty line, the yaml library a space: the library's reading stays.
    multiLineQuotedEscapedBreak: 'databaseChangeLog:\n- changeSet:\n    id: "1\\\n\n     2"\n',
    multiLineQuotedAtEof: 'databaseChangeLog:\n- changeSet:\n    id: "1\n     ',
  };
  it.each(Object.entries(cases))('%s: the same tree or error as the library', async (name, content) => {
    const accepted = compare(content);
    const expectAccepted =
      !/^(anchors|multiLinePlain|tabs|documents|badIndent|unclosed|badEscape|loneCr|bom|listRoot|multiLineQuoted(Separator|Key|EscapedBreak|AtEof))$/.test(
        name,
      );
    expect(accepted).toBe(expectAccepted);
    let libraryInput = content;
    if (name === 'multiLineQuotedAtKeyIndent') {
      expect(() => readYamlWithLibrary(content, 'db/changelog.yaml')).toThrow('Missing closing "quote');
      libraryInput = withQuotedContinuationsIndented(content, readYamlFast(content)!);
    }
    const library = outcome(() =>
      buildYamlTree(readYamlWithLibrary(libraryInput, 'db/changelog.yaml'), 'db/changelog.yaml', libraryInput),
    );
    let ours: unknown;
    try {
      ours = await parseYamlTree(content, 'db/changelog.yaml');
    } catch (e) {
      ours = { error: (e as Error).message, details: (e as { details?: unknown }).details };
    }
    const lines = (t: unknown): unknown =>
      t && typeof t === 'object' && 'name' in t ? withValueLines(t as ChangelogNode) : t;
    expect(lines(ours)).toEqual(lines(library));
  });

  it('reads random mutations of the corpus files as the library does wherever it accepts them', () => {
    const rnd = seededRandom('yaml mutations');
    const sources = yamlFiles(CORPUS_DIR)
      .map((f) => readFileSync(f, 'utf8'))
      .filter((c) => c.length < 4000);
    const bits = [
      ...[':', ' ', '\n', '#', '-', '"', "'", '\t', '|', '>', '[', ']', '{', '}', ',', '\\', ': ', '- ', '  ', ' #'],
      ...['|-', '>-', '\n  ', '\n- ', '\\u00e9', "''", '\n\n', '&a ', '*a', '!!str ', '? ', '---\n', '~', '0x1F'],
      ...['1e3', '2020-01-01', 'yes', '\r\n', '   ', '\n    \n', ' \n', '<<: '],
    ];
    let accepted = 0;
    for (let i = 0; i < 1500; i++) {
      let c = sources[rnd.int(0, sources.length)]!;
      for (let m = rnd.int(1, 4); m > 0; m--) {
        const p = rnd.int(0, c.length + 1);
        const bit = bits[rnd.int(0, bits.length)]!;
        const op = rnd.int(0, 3);
        c =
          op === 0
            ? c.slice(0, p) + bit + c.slice(p)
            : c.slice(0, p) + (op === 1 ? '' : bit) + c.slice(p + 1 + rnd.int(0, 3));
      }
      if (compare(c, `mutation ${i}`)) accepted++;
      // The same mutation with CRLF line breaks (a Windows checkout), compared again.
      compare(c.replaceAll('\r\n', '\n').replaceAll('\n', '\r\n'), `mutation ${i}, CRLF`);
    }
    // About a third of the mutations stay in the subset the fast reader takes (measured: 13988 of 40000).
    expect(accepted).toBeGreaterThan(200);
  });
});
