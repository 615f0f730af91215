/**
 * YAML/JSON changelogs (`databaseChangeLog: [- include: …, - changeSet: …]`) mapped onto the XML element tree, so
 * one loader validates and converts all three formats. JSON is read by the same YAML 1.2 parser.
 */
// Imported, not required on first use (as it was): a runtime require() would load a second copy from node_modules
// beside the one the esbuild bundle contains. This module itself is imported on need (walk.ts), so a changelog with no
// YAML or JSON file does not load yaml.
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode, type Pair } from 'yaml';
import { SlipwayError } from '../../errors.js';
import type { ChangelogNode } from './xml-tree.js';

const TEXT_CHILDREN = new Set(['comment', 'rollback', 'validCheckSum']);
const PRECONDITION_ATTRS = new Set([
  'onFail',
  'onError',
  'onFailMessage',
  'onErrorMessage',
  'onUpdateSQL',
  'onSqlOutput',
]);

/** Parses a YAML or JSON changelog into the element tree. */
export function parseYamlTree(content: string, file: string): ChangelogNode {
  const lc = new LineCounter();
  const doc = parseDocument(content, { lineCounter: lc, prettyErrors: false });
  const err = doc.errors[0];
  if (err) {
    const pos = lc.linePos(err.pos[0]);
    throw new SlipwayError('E_CHANGELOG', `Malformed YAML/JSON: ${err.message.split('\n')[0]}`, {
      file,
      line: pos.line,
      column: pos.col,
      hint: 'Fix the syntax at this position.',
    });
  }
  const lineOf = (n: YamlNode | null | undefined): { line: number; column: number } => {
    const r = n?.range;
    if (!r) return { line: 1, column: 1 };
    const p = lc.linePos(r[0]);
    return { line: p.line, column: p.col };
  };
  const bad = (n: YamlNode | null | undefined, msg: string): never => {
    throw new SlipwayError('E_CHANGELOG', msg, {
      file,
      ...lineOf(n),
      hint: 'Follow the Liquibase YAML/JSON changelog shape: databaseChangeLog: [ - changeSet: {id, author, changes: [ - sql: {sql: …} ]} ].',
    });
  };
  const scalarText = (n: YamlNode | null | undefined): string | null => {
    if (!isScalar(n)) return null;
    const text = n.value === null ? '' : String(n.value);
    // A `|` or `>` block that ends the file without a line break: SnakeYAML (Liquibase) gives no final "\n" there,
    // the yaml library adds one. Measured on a real changelog: the remarks' checksum differs otherwise.
    if ((n.type === 'BLOCK_LITERAL' || n.type === 'BLOCK_FOLDED') && n.range && text.endsWith('\n')) {
      const header = /^[|>][0-9+-]*/.exec(content.slice(n.range[0]))?.[0] ?? '';
      const end = n.range[1];
      if (!header.includes('+') && end >= content.length && !/[\r\n]$/.test(content)) return text.slice(0, -1);
    }
    return text;
  };

  const convert = (name: string, value: YamlNode | null, keyNode: YamlNode | null): ChangelogNode => {
    const node: ChangelogNode = { name, attrs: {}, children: [], text: '', ...lineOf(keyNode ?? value) };
    const text = scalarText(value);
    if (text !== null) {
      if (name === 'sql' || TEXT_CHILDREN.has(name)) node.text = text;
      else bad(value, `"${name}" needs a mapping, not a value`);
      return node;
    }
    if (isSeq(value)) {
      for (const item of value.items as YamlNode[]) addItem(node, item);
      return node;
    }
    if (!isMap(value)) return bad(value, `"${name}" has an unexpected shape`);
    for (const pair of value.items as Pair<YamlNode, YamlNode>[]) {
      const key = scalarText(pair.key);
      if (key === null) bad(pair.key, 'Keys must be plain strings');
      const k = key!;
      const v = pair.value;
      const t = scalarText(v);
      if (k === 'changes' && isSeq(v)) for (const item of v.items as YamlNode[]) addItem(node, item);
      else if (TEXT_CHILDREN.has(k) && isSeq(v) && v.items.every((i) => isScalar(i)))
        // `validCheckSum: [ - 8:…, - ANY ]`: each entry is one value, like repeated <validCheckSum> elements.
        for (const item of v.items as YamlNode[])
          node.children.push({ name: k, attrs: {}, children: [], text: scalarText(item) ?? '', ...lineOf(item) });
      else if (t !== null && TEXT_CHILDREN.has(k))
        node.children.push({ name: k, attrs: {}, children: [], text: t, ...lineOf(pair.key) });
      // `key: null` (or `key:` with nothing) is no value at all for Liquibase's ParsedNode: the field stays unset.
      else if (isScalar(v) && v.value === null) continue;
      else if (t !== null) node.attrs[k] = t;
      else node.children.push(convert(k, v, pair.key));
    }
    return node;
  };
  // A list item is a one-key mapping (`- sql: {…}`); precondition lists may also carry `- onFail: HALT`.
  const addItem = (parent: ChangelogNode, item: YamlNode): void => {
    if (!isMap(item) || item.items.length !== 1)
      return void bad(item, `Each entry under "${parent.name}" must be a single-key mapping`);
    const pair = item.items[0] as Pair<YamlNode, YamlNode>;
    const key = scalarText(pair.key);
    if (key === null) return void bad(pair.key, 'Keys must be plain strings');
    const t = scalarText(pair.value);
    if (t !== null && PRECONDITION_ATTRS.has(key)) parent.attrs[key] = t;
    // Liquibase's ParsedNode treats `- file: x` in a list (`include: [ - file: x ]`) as the value `file` of the
    // parent, exactly like `include: {file: x}`; only text-bearing changes (`- sql: …`) and empty ones stay elements.
    // Inside a sql change, `sql: [ - sql: text ]` is its sql field, as `sql: {sql: text}` (measured: same checksum).
    else if (
      t !== null &&
      t !== '' &&
      (key !== 'sql' || parent.name === 'sql') &&
      !TEXT_CHILDREN.has(key) &&
      parent.name !== 'databaseChangeLog'
    )
      parent.attrs[key] = t;
    else parent.children.push(convert(key, pair.value, pair.key));
  };

  const root = doc.contents as YamlNode | null;
  if (!isMap(root)) return bad(root, 'Expected a mapping with a databaseChangeLog key');
  const pair = root.items.find((p) => scalarText(p.key as YamlNode) === 'databaseChangeLog') as
    Pair<YamlNode, YamlNode> | undefined;
  if (!pair) return bad(root, 'Expected a databaseChangeLog key');
  return convert('databaseChangeLog', pair.value, pair.key);
}
