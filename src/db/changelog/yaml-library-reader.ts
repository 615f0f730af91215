/**
 * The complete YAML 1.2 reader (the yaml library): the slow path of yaml-tree.ts, which reads a file with it only when
 * yaml-fast-reader.ts declines the file or the tree built from the fast read is refused, so that every file, valid or
 * not, reads exactly as it did with this reader alone (results and error messages with file:line). Imported on need:
 * the library is big (its code runs interpreted on a cold start).
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, visit, type Node as Node_ } from 'yaml';
import { SlipwayError } from '../../errors.js';
import { tooDeep, type YamlNode, type YamlPos } from './yaml-nodes.js';

/**
 * SnakeYAML's LoaderOptions.maxAliasesForCollections, which Liquibase 4.28 leaves at its default: a document with more
 * aliases to mappings or lists is refused (measured: 50 load, 51 fail with "Number of aliases for non-scalar nodes
 * exceeds the specified max=50"). Aliases are expanded as SnakeYAML expands them, so the same bound keeps a nest of
 * aliases (a "billion laughs" document) from growing the tree without end.
 */
const MAX_ALIASES_FOR_COLLECTIONS = 50;

/** The document's root node (null for an empty one); throws the parse error, with file:line, of a malformed file. */
export function readYamlWithLibrary(content: string, file: string): YamlNode | null {
  const lc = new LineCounter();
  // SnakeYAML as Liquibase 4.28 sets it up allows a key twice in one mapping; the last value wins (measured:
  // `changeSet: {id: a, …, id: b}` records id b; `- sql:` then `sql: text` at the same indent runs the text).
  const doc = parseDocument(content, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  const err = doc.errors[0];
  if (err) {
    const pos = lc.linePos(err.pos[0]);
    // The yaml library reports its own stack overflow on absurd nesting as a parse error.
    const first = err.message.split('\n')[0]!;
    const what = /Maximum call stack size exceeded/.test(first) ? `it nests too deeply to read (${first})` : first;
    throw new SlipwayError('E_CHANGELOG', `Malformed YAML/JSON: ${what}`, {
      file,
      line: pos.line,
      column: pos.col,
      hint: 'Fix the syntax at this position.',
    });
  }
  const posOf = (n: Node_ | null | undefined): YamlPos => {
    const r = n?.range;
    if (!r) return { line: 1, column: 1 };
    const p = lc.linePos(r[0]);
    return { line: p.line, column: p.col };
  };
  // SnakeYAML counts every alias to a collection while it composes the whole document, before Liquibase reads any
  // key, so aliases under keys Liquibase ignores count too; each alias is counted once, where it is written.
  let collectionAliases = 0;
  visit(doc, {
    Alias(_, alias) {
      const target = alias.resolve(doc);
      if (!isMap(target) && !isSeq(target)) return;
      if (++collectionAliases <= MAX_ALIASES_FOR_COLLECTIONS) return;
      throw new SlipwayError(
        'E_CHANGELOG',
        `More than ${MAX_ALIASES_FOR_COLLECTIONS} YAML aliases to mappings or lists (this is alias ${collectionAliases})`,
        {
          file,
          ...posOf(alias),
          hint: `Liquibase 4.28 refuses the file too (SnakeYAML: "Number of aliases for non-scalar nodes exceeds the specified max=${MAX_ALIASES_FOR_COLLECTIONS}"): write some of the repeated parts out, or split the changelog.`,
        },
      );
    },
  });
  // Each node once (an anchored node is shared by its aliases, as SnakeYAML shares it).
  const seen = new Map<unknown, YamlNode>();
  const conv = (n: Node_ | null | undefined): YamlNode | null => {
    if (!n) return null;
    const done = seen.get(n);
    if (done) return done;
    let out: YamlNode;
    if (isAlias(n)) {
      out = { kind: 'alias', target: null, ...posOf(n) };
      seen.set(n, out);
      out.target = conv(n.resolve(doc) as Node_ | undefined);
      return out;
    }
    if (isScalar(n)) {
      // A plain scalar is read as SnakeYAML reads it, from its source text: the yaml library's YAML 1.2 numbers
      // (`0o17`, `08`) are strings there.
      const src = n.type === 'PLAIN' && !n.tag && n.value !== null ? n.source : undefined;
      const plain = src !== undefined;
      let value = plain ? src : n.value === null ? null : String(n.value);
      // A `|` or `>` block that ends the file without a line break: SnakeYAML (Liquibase) gives no final "\n" there,
      // the yaml library adds one. Measured on a real changelog: the remarks' checksum differs otherwise.
      if ((n.type === 'BLOCK_LITERAL' || n.type === 'BLOCK_FOLDED') && n.range && value?.endsWith('\n')) {
        const header = /^[|>][0-9+-]*/.exec(content.slice(n.range[0]))?.[0] ?? '';
        const end = n.range[1];
        if (!header.includes('+') && end >= content.length && !/[\r\n]$/.test(content)) value = value.slice(0, -1);
      }
      out = { kind: 'scalar', plain, value, merge: n.type === 'PLAIN' && n.value === '<<', ...posOf(n) };
    } else if (isSeq(n)) {
      const seq: YamlNode = { kind: 'seq', items: [], ...posOf(n) };
      seen.set(n, seq);
      for (const item of n.items as Node_[]) seq.items.push(conv(item));
      return seq;
    } else if (isMap(n)) {
      const map: YamlNode = { kind: 'map', pairs: [], ...posOf(n) };
      seen.set(n, map);
      for (const p of n.items) map.pairs.push({ key: conv(p.key as Node_), value: conv(p.value as Node_) });
      return map;
    } else out = { kind: 'other', ...posOf(n) };
    seen.set(n, out);
    return out;
  };
  try {
    return conv(doc.contents as Node_ | null);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    const root = doc.contents;
    const key = isMap(root)
      ? root.items.find((p) => isScalar(p.key) && p.key.value === 'databaseChangeLog')?.key
      : null;
    throw tooDeep(e, file, posOf(key as Node_ | null).line);
  }
}
