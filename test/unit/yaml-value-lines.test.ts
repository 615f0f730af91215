/**
 * Where the text inside a YAML/JSON value was written (value-lines.ts): for each style of scalar, every marker word
 * (`w1`, `w2`…) of a `sql:` value is placed at the file line it is written on, from the tree of either reader.
 */
import { describe, expect, it } from 'vitest';
import { readYamlFast } from '../../src/db/changelog/yaml-fast-reader.js';
import { readYamlWithLibrary } from '../../src/db/changelog/yaml-library-reader.js';
import { buildYamlTree } from '../../src/db/changelog/yaml-tree.js';
import { attrLine, lineAtOffset, sqlPlace, type SqlPlace } from '../../src/db/changelog/value-lines.js';
import type { ChangelogNode } from '../../src/db/changelog/xml-tree.js';

const FILE = 'db/changelog.yaml';

const changelog = (sqlValue: string): string =>
  `databaseChangeLog:\n  - changeSet:\n      id: 1\n      author: a\n      changes:\n        - sql:\n            splitStatements: false\n            sql: ${sqlValue}\n`;

/** The first `sql` change of the tree. */
function sqlNode(tree: ChangelogNode): ChangelogNode {
  const find = (n: ChangelogNode): ChangelogNode | undefined =>
    n.name === 'sql' ? n : n.children.map(find).find((x) => x !== undefined);
  return find(tree)!;
}

/** File line of offset `offset` of `sql`, as build-changeset.ts reads a piece placed at `p`. */
function lineOf(p: SqlPlace, sql: string, offset: number): number {
  if (p.offsetLines) return lineAtOffset(p.offsetLines, offset);
  const k = sql.slice(0, offset).split('\n').length - 1;
  return p.lineMap?.[k] ?? p.line + k;
}

/** Marker word → [line it is written on in the file, line the tree places it at], for each reader that reads it. */
function placements(content: string, readers = ['fast', 'library']): Record<string, Record<string, [number, number]>> {
  const out: Record<string, Record<string, [number, number]>> = {};
  for (const reader of readers) {
    const root = reader === 'fast' ? readYamlFast(content) : readYamlWithLibrary(content, FILE);
    expect(root, `${reader} reads it`).not.toBeNull();
    const node = sqlNode(buildYamlTree(root, FILE, content));
    const sql = node.attrs.sql ?? node.text;
    const place = sqlPlace(node, sql, 'sql');
    const found: Record<string, [number, number]> = {};
    for (const m of sql.matchAll(/w\d+/g)) {
      const written = content.slice(0, content.indexOf(m[0])).split('\n').length;
      found[m[0]] = [written, lineOf(place, sql, m.index)];
    }
    expect(Object.keys(found).length).toBeGreaterThan(0);
    out[reader] = found;
  }
  return out;
}

function expectExact(content: string, readers?: string[]): void {
  for (const [reader, found] of Object.entries(placements(content, readers)))
    for (const [word, [written, placed]] of Object.entries(found)) expect(placed, `${reader}: ${word}`).toBe(written);
}

describe('lines inside YAML/JSON values', () => {
  const exact: Record<string, string> = {
    literal: changelog('|\n              w1 a;\n\n              DO $$ w2\n                w3; $$;\n              w4;'),
    literalStrip: changelog('|-\n              w1;\n              w2;'),
    literalKeep: changelog('|+\n              w1;\n              w2;\n\n'),
    literalIndentIndicator: changelog('|2\n                w1;\n              w2;'),
    literalHeaderComment: changelog('| # the body\n              w1;\n              w2;'),
    folded: changelog(
      '>\n              w1; w2\n              w3;\n\n              w4;\n                w5 more\n              w6',
    ),
    foldedStrip: changelog('>-\n              w1;\n              w2;'),
    doubleQuoted: changelog('"w1;\n              w2;\\n\n\n              w3 \\t w4;\\\n              w5"'),
    singleQuoted: changelog("'w1 ''x'';\n              w2;\n\n              w3'"),
    oneLinePlain: changelog('w1; w2;'),
    oneLineQuoted: changelog('"w1;\\nw2;"'),
  };
  // The fast reader declines `|+`, indentation indicators and comments after a block's header (the library reads them).
  const libraryOnly = new Set(['literalKeep', 'literalIndentIndicator', 'literalHeaderComment']);
  it.each(Object.entries(exact))('%s: each word at its own line, from both readers', (name, content) => {
    if (libraryOnly.has(name)) expect(readYamlFast(content)).toBeNull();
    expectExact(content, libraryOnly.has(name) ? ['library'] : undefined);
  });

  it('a plain scalar over several lines (the yaml library reads it)', () => {
    expect(readYamlFast(changelog('w1;\n              w2;'))).toBeNull();
    expectExact(changelog('w1;\n              w2;\n\n              w3;'), ['library']);
  });

  it('a literal block is placed by its first line; a folded one by offset', () => {
    const lit = sqlNode(buildYamlTree(readYamlFast(exact.literal!)!, FILE, exact.literal!));
    expect(sqlPlace(lit, lit.attrs.sql!, 'sql')).toEqual({ line: 9 });
    expect(attrLine(lit, 'sql')).toBe(9);
    expect(attrLine(lit, 'splitStatements')).toBe(7);
    const fold = sqlNode(buildYamlTree(readYamlFast(exact.folded!)!, FILE, exact.folded!));
    expect(sqlPlace(fold, fold.attrs.sql!, 'sql')).toEqual({
      line: 9,
      offsetLines: { offsets: [0, 7, 11, 17, 25], lines: [9, 10, 12, 13, 14] },
    });
  });

  it('JSON: every line of a string with \\n escapes is the line the string starts on', () => {
    const content = `{"databaseChangeLog": [\n  {"changeSet": {"id": "1", "author": "a", "changes": [\n    {"sql": {\n      "sql": "w1;\\nw2;\\n\\nw3;"}}]}}]}\n`;
    for (const found of Object.values(placements(content)))
      expect(Object.values(found).map(([, placed]) => placed)).toEqual([4, 4, 4]);
  });

  it('after ${…} expansion changed the text, each line is placed where the written line starts', () => {
    const content = exact.folded!;
    const node = sqlNode(buildYamlTree(readYamlFast(content)!, FILE, content));
    const expanded = node.attrs.sql!.replace('w3', 'longer_name');
    expect(sqlPlace(node, expanded, 'sql')).toEqual({ line: 9, lineMap: [9, 12, 13, 14, 15] });
  });

  it('- sql: text (the change as a value) is placed by its text', () => {
    const content =
      'databaseChangeLog:\n- changeSet:\n    id: 1\n    author: a\n    changes:\n    - sql: |\n        w1;\n        w2;\n';
    expectExact(content);
  });
});
