/**
 * YAML/JSON changelogs (`databaseChangeLog: [- include: …, - changeSet: …]`) mapped onto the XML element tree, so
 * one loader validates and converts all three formats. JSON is read as YAML, as Liquibase reads it: by
 * yaml-fast-reader.ts, or by the yaml library (yaml-library-reader.ts) for what that reader declines.
 */
import { SlipwayError } from '../../errors.js';
import { checkNodeDepth, type ChangelogNode } from './xml-tree.js';
import { ALLOWED_ATTRS } from './node-attrs.js';
import { isYamlTimestamp, yamlTimestampText } from './yaml-timestamp.js';
import { readYamlFast } from './yaml-fast-reader.js';
import { tooDeep, type YamlMap, type YamlNode, type YamlPair, type YamlScalar, type YamlSeq } from './yaml-nodes.js';

const TEXT_CHILDREN = new Set(['comment', 'rollback', 'validCheckSum']);
const PRECONDITION_ATTRS = new Set([
  'onFail',
  'onError',
  'onFailMessage',
  'onErrorMessage',
  'onUpdateSQL',
  'onSqlOutput',
]);

const ROLLBACK_REFERENCE = new Set(['changeSetPath', 'changeSetAuthor', 'changeSetId']);

// SnakeYAML 2.2's implicit resolvers (YAML 1.1), which Liquibase 4.28 reads every changelog with, JSON too.
const SNAKE_BOOL = /^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$/;
const SNAKE_INT =
  /^(?:[-+]?0b_*[0-1][0-1_]*|[-+]?0_*[0-7][0-7_]*|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x_*[0-9a-fA-F][0-9a-fA-F_]*|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$/;
const SNAKE_FLOAT =
  /^(?:[-+]?[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

/** Java's Double.toString: plain digits with at least one decimal in [1e-3, 1e7), else d.dddE±n. */
function javaDouble(d: number): string {
  if (Number.isNaN(d)) return 'NaN';
  if (!Number.isFinite(d)) return d > 0 ? 'Infinity' : '-Infinity';
  if (d === 0) return Object.is(d, -0) ? '-0.0' : '0.0';
  const abs = Math.abs(d);
  if (abs >= 1e-3 && abs < 1e7) {
    const s = String(d);
    return s.includes('.') ? s : `${s}.0`;
  }
  const [m, e] = d.toExponential().split('e') as [string, string];
  return `${m.includes('.') ? m : `${m}.0`}E${e.startsWith('+') ? e.slice(1) : e}`;
}

/**
 * The text Liquibase 4.28 sees for a plain (unquoted, untagged, non-null) scalar, or null when it is a string
 * there: its source text (a YAML 1.1 timestamp is read before, by yaml-timestamp.ts). SnakeYAML resolves plain scalars by YAML 1.1 and Liquibase reads each
 * value through the constructed object's toString, so `yes`/`on` are "true", `017` is octal 15, `1_000` is 1000,
 * `0xFFFFFFFFFFFFFFF` is exact (a long, not a double), and a float is Java's Double: `1.0` stays "1.0", `1e3` is
 * "1000.0", `1e20` "1.0E20" (measured on value/valueNumeric and the changeset checksum; the yaml library's YAML 1.2
 * numbers gave "1", "1000", rounded longs and a different checksum). Java 17 prints a few 17-digit doubles one
 * digit off the shortest form this gives.
 */
function snakeYamlPlain(src: string): string | null {
  if (SNAKE_BOOL.test(src)) return /^(?:yes|true|on)$/i.test(src) ? 'true' : 'false';
  if (SNAKE_INT.test(src)) {
    let v = src.replaceAll('_', '');
    const negative = v.startsWith('-');
    if (v.startsWith('-') || v.startsWith('+')) v = v.slice(1);
    let n: bigint;
    if (v.includes(':')) n = v.split(':').reduce((acc, part) => acc * 60n + BigInt(part), 0n);
    else if (v.startsWith('0b')) n = BigInt(v);
    else if (v.startsWith('0x')) n = BigInt(v);
    else if (v.length > 1 && v.startsWith('0')) n = BigInt(`0o${v.slice(1)}`);
    else n = BigInt(v);
    return (negative ? -n : n).toString();
  }
  if (SNAKE_FLOAT.test(src)) {
    let v = src.replaceAll('_', '').toLowerCase();
    const sign = v.startsWith('-') ? -1 : 1;
    if (v.startsWith('-') || v.startsWith('+')) v = v.slice(1);
    let d: number;
    if (v === '.inf') d = Infinity;
    else if (v === '.nan') d = NaN;
    else if (v.includes(':')) d = v.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
    else d = Number(v);
    return javaDouble(d * sign);
  }
  return null;
}

/**
 * Whether a plain scalar can be other than its text: SnakeYAML's timestamps, ints and floats start with a digit, a
 * sign or a dot, its booleans with y, n, t, f or o (either case). Most changelog text (names, types, SQL) starts with
 * none of them and skips the four regular expressions tried on it (a key's text is asked for more than once).
 */
function mayResolve(src: string): boolean {
  const c = src.charCodeAt(0) | 0x20; // ASCII lower case; digits, '-', '+' and '.' are unchanged by the bit
  return (
    (c >= 0x30 && c <= 0x39) ||
    c === 0x2d ||
    c === 0x2b ||
    c === 0x2e ||
    c === 0x79 ||
    c === 0x6e ||
    c === 0x74 ||
    c === 0x66 ||
    c === 0x6f
  );
}

const isScalar = (n: YamlNode | null | undefined): n is YamlScalar => n?.kind === 'scalar';
const isSeq = (n: YamlNode | null | undefined): n is YamlSeq => n?.kind === 'seq';
const isMap = (n: YamlNode | null | undefined): n is YamlMap => n?.kind === 'map';
const lineOf = (n: YamlNode | null | undefined): { line: number; column: number } =>
  n ? { line: n.line, column: n.column } : { line: 1, column: 1 };

/** Parses a YAML or JSON changelog into the element tree. */
export async function parseYamlTree(content: string, file: string): Promise<ChangelogNode> {
  try {
    const fast = readYamlFast(content);
    if (fast) return buildYamlTree(fast, file, content);
  } catch {
    // Refused (or too deep for the fast reader's recursion): the library reads it again and gives the error.
  }
  const { readYamlWithLibrary } = await import('./yaml-library-reader.js');
  return buildYamlTree(readYamlWithLibrary(content, file), file, content);
}

/**
 * The element tree of a document's root node; refuses what does not have the changelog's shape (file:line).
 * `content`: the file's text, kept in each element for where the text of its values is (value-lines.ts).
 */
export function buildYamlTree(root: YamlNode | null, file: string, content: string): ChangelogNode {
  const bad = (n: YamlNode | null | undefined, msg: string, o: { hint?: string } = {}): never => {
    throw new SlipwayError('E_CHANGELOG', msg, {
      file,
      ...lineOf(n),
      hint:
        o.hint ??
        'Follow the Liquibase YAML/JSON changelog shape: databaseChangeLog: [ - changeSet: {id, author, changes: [ - sql: {sql: …} ]} ].',
    });
  };
  // `*name` stands for the node anchored `&name` (SnakeYAML resolves aliases while it composes); an alias to no
  // anchor is already a parse error.
  const deref = (n: YamlNode | null | undefined): YamlNode | null | undefined => (n?.kind === 'alias' ? n.target : n);
  // `key`: the field the scalar is the value of (a YAML date reads differently under valueDate/defaultValueDate).
  const scalarText = (node: YamlNode | null | undefined, key?: string): string | null => {
    const n = deref(node);
    if (!isScalar(n)) return null;
    if (!n.plain) return n.value ?? '';
    const src = n.value!;
    if (!mayResolve(src)) return src;
    if (isYamlTimestamp(src)) return yamlTimestampText(src, key);
    return snakeYamlPlain(src) ?? src;
  };

  /** A mapping's pairs with each key once: the last value, at the place of the key's first occurrence (SnakeYAML). */
  // A merge key (`<<: *defaults`, or a list of them) brings in the pairs of the mappings it names before the
  // mapping's own keys, which win (SnakeYAML's SafeConstructor.flattenMapping).
  const pairsOf = (map: YamlMap): YamlPair[] => {
    const own = map.pairs;
    const merged: YamlPair[] = [];
    for (const pair of own) {
      if (!(isScalar(pair.key) && pair.key.merge)) continue;
      const v = deref(pair.value);
      for (const m of isSeq(v) ? v.items.map(deref) : [v])
        if (isMap(m)) merged.push(...pairsOf(m));
        else bad(pair.value, 'A merge key (<<) needs a mapping or a list of mappings');
    }
    const pairs = merged.length ? [...merged, ...own.filter((p) => !(isScalar(p.key) && p.key.value === '<<'))] : own;
    const at = new Map<string, number>();
    const out: YamlPair[] = [];
    for (const pair of pairs) {
      const key = scalarText(pair.key);
      if (key === null) return pairs; // reported by the caller
      const i = at.get(key);
      if (i === undefined) {
        at.set(key, out.length);
        out.push(pair);
      } else out[i] = { ...pair, key: out[i]!.key };
    }
    return out;
  };

  /**
   * One element. `change` is set for an entry of a changeSet's `changes` list: there a value that is no mapping is
   * the change's value (`- sql: text`), an empty one a change with no fields (`- tagDatabase:`), as Liquibase's
   * ParsedNode has them; what the loader makes of a change with a bare value is decided there.
   */
  const convert = (name: string, raw: YamlNode | null, keyNode: YamlNode | null, change = false): ChangelogNode => {
    const value = deref(raw) ?? null;
    // `yaml`, `yamlText`: where the attributes' and the text's values were written, read on need (value-lines.ts).
    const node: ChangelogNode = {
      name,
      attrs: {},
      children: [],
      text: '',
      ...lineOf(keyNode ?? value),
      yaml: value,
      yamlText: content,
    };
    const text = scalarText(value);
    if (text !== null || (change && value === null)) {
      if (name === 'sql' || TEXT_CHILDREN.has(name) || change) node.text = text ?? '';
      else bad(value, `"${name}" needs a mapping, not a value`);
      return node;
    }
    if (isSeq(value)) {
      for (const item of value.items) addItem(node, item);
      return node;
    }
    if (!isMap(value)) return bad(value, `"${name}" has an unexpected shape`);
    for (const pair of pairsOf(value)) addField(node, pair);
    return node;
  };
  /** One `key: value` of a mapping (or of a changeSet's list of mappings) as a field or child of `node`. */
  const addField = (node: ChangelogNode, pair: YamlPair): void => {
    const name = node.name;
    const key = scalarText(pair.key);
    if (key === null) bad(pair.key, 'Keys must be plain strings');
    // ChangeSet.handleChildNode reads `validCheckSums:` (a list, or one value) exactly as `validCheckSum:`.
    const k = name === 'changeSet' && key === 'validCheckSums' ? 'validCheckSum' : key!;
    const v = deref(pair.value) ?? null;
    const t = scalarText(v, k);
    // `rollback: {sql: …}`: each key but the changeSet reference is a change, as in `rollback: [ - sql: … ]`.
    if (name === 'rollback' && !ROLLBACK_REFERENCE.has(k)) addPair(node, pair, true);
    else if (k === 'changes' && isSeq(v)) for (const item of v.items) addItem(node, item, true);
    // `changes: {sql: …}` (a mapping, no list): each key is a change, as in a list (measured: it runs).
    else if (k === 'changes' && isMap(v)) for (const p of pairsOf(v)) addPair(node, p, true);
    else if (k === 'comment' && isSeq(v) && v.items.every((i) => isScalar(deref(i))))
      // `comment: [a, b]` is one value, a java.util.List, which ChangeSet.load prints with its toString (measured:
      // the history row's COMMENTS is "[a, b]"). Only several `comment` keys are several comments (joined).
      node.children.push({ name: k, attrs: {}, children: [], text: javaListText(v.items), ...lineOf(pair.key) });
    else if (TEXT_CHILDREN.has(k) && isSeq(v) && v.items.every((i) => isScalar(deref(i))))
      // `validCheckSum: [ - 8:…, - ANY ]`: each entry is one value (an alias to one, too), like repeated
      // <validCheckSum> elements.
      for (const item of v.items)
        node.children.push({ name: k, attrs: {}, children: [], text: scalarText(item) ?? '', ...lineOf(item) });
    else if (t !== null && TEXT_CHILDREN.has(k))
      node.children.push({
        name: k,
        attrs: {},
        children: [],
        text: t,
        ...lineOf(pair.key),
        yaml: v,
        yamlText: content,
      });
    // `sql: create schema quartz` straight under a changeSet, with no `changes:` list: ChangeSet.handleChildNode makes
    // every child whose name is a change type a change, in its place among the others, and keeps other text as an
    // attribute it never reads (measured on 4.28: the sql runs, description "sql"; found on
    // PhoenikSoft/team-balance-app). The loader decides which: a change, or a warning for text it ignores.
    else if (t !== null && t !== '' && name === 'changeSet' && !ALLOWED_ATTRS.changeSet!.includes(k))
      node.children.push(convert(k, v, pair.key, true));
    // `key: null` (or `key:` with nothing) is no value at all for Liquibase's ParsedNode: the field stays unset.
    else if (isScalar(v) && v.value === null) return;
    else if (t !== null) node.attrs[k] = t;
    else node.children.push(convert(k, v, pair.key));
  };
  /** java.util.List's toString of a list of scalars: "[a, b]", a null entry "null". */
  const javaListText = (items: (YamlNode | null)[]): string =>
    `[${items
      .map((i) => {
        const n = deref(i);
        return isScalar(n) && n.value === null ? 'null' : (scalarText(n) ?? '');
      })
      .join(', ')}]`;
  // A list item is a mapping, usually of one key (`- sql: {…}`); precondition lists may also carry `- onFail: HALT`.
  // Liquibase's ParsedNode makes every key of an item a child of the list's owner, in order, so an item of several
  // keys is several entries (measured: `- sql: {…}` and `createTable: {…}` in one item run both, in that order).
  // `change`: the item is an entry of a changeSet's `changes` list, where every key is a change (or is ignored).
  const addItem = (parent: ChangelogNode, raw: YamlNode | null, change = false): void => {
    const item = deref(raw);
    if (!isMap(item) || item.pairs.length === 0)
      return void bad(item, `Each entry under "${parent.name}" must be a mapping (- key: value)`);
    for (const pair of pairsOf(item)) addPair(parent, pair, change);
  };
  const addPair = (parent: ChangelogNode, pair: YamlPair, change: boolean): void => {
    const key = scalarText(pair.key);
    if (key === null) return void bad(pair.key, 'Keys must be plain strings');
    const t = scalarText(pair.value);
    if (change) parent.children.push({ ...convert(key, pair.value, pair.key, true), changesEntry: true });
    // `changeSet: [ - id: x, - comment: a, - comment: b, - changes: […] ]`: ParsedNode makes each item's keys fields
    // of the changeSet, as in its mapping, and each `comment` one of its comments (measured: "a\nb" recorded).
    else if (parent.name === 'changeSet') addField(parent, pair);
    else if (t !== null && PRECONDITION_ATTRS.has(key)) parent.attrs[key] = t;
    // `databaseChangeLog: [ - baz: text ]`: DatabaseChangeLog.handleChildNode ignores text under a name it does not
    // know, as it ignores `- comment: text`; the loader warns (W_IGNORED_ATTRIBUTE). A mapping there stays an error.
    else if (
      t !== null &&
      t !== '' &&
      parent.name === 'databaseChangeLog' &&
      !ALLOWED_ATTRS.databaseChangeLog!.includes(key)
    )
      parent.children.push({ name: key, attrs: {}, children: [], text: t, ...lineOf(pair.key) });
    // `databaseChangeLog: [ - objectQuotingStrategy: QUOTE_ALL_OBJECTS, - logicalFilePath: x, … ]`: DatabaseChangeLog
    // .load reads these as values of the changelog (measured on 4.28: the quoting applies to its changeSets and its
    // own preconditions, the logicalFilePath is the FILENAME recorded), as XML's root attributes.
    else if (t !== null && parent.name === 'databaseChangeLog' && ALLOWED_ATTRS.databaseChangeLog!.includes(key))
      parent.attrs[key] = t;
    // Liquibase's ParsedNode treats `- file: x` in a list (`include: [ - file: x ]`) as the value `file` of the
    // parent, exactly like `include: {file: x}`; only text-bearing changes (`- sql: …`) and empty ones stay elements.
    // Inside a sql change, `sql: [ - sql: text ]` is its sql field, as `sql: {sql: text}` (measured: same checksum).
    else if (
      t !== null &&
      t !== '' &&
      (key !== 'sql' || parent.name === 'sql') &&
      !TEXT_CHILDREN.has(key) &&
      parent.name !== 'databaseChangeLog'
    ) {
      // Each key of each item becomes a child of the list's owner in Liquibase's ParsedNode, so a key that two items
      // both give is two children, and reading it stops Liquibase ("Multiple nodes match null/name": `columns: [
      // {name: a}, {name: b}]` without `- column:`). Kept as one attribute, the last item's would win in silence:
      // found on HzAjax/SarComp, where that made a one-column table.
      if (key in parent.attrs)
        bad(pair.key, `"${key}" is given by more than one entry of the list under "${parent.name}"`, {
          hint:
            parent.name === 'columns'
              ? 'Write each column as an entry of its own: columns: [ - column: {name: a, …}, - column: {name: b, …} ]. Liquibase 4.28 stops on this list too ("Multiple nodes match").'
              : `Give "${key}" once. Liquibase 4.28 stops on this list too ("Multiple nodes match null/${key}").`,
        });
      parent.attrs[key] = t;
    } else parent.children.push(convert(key, pair.value, pair.key));
  };

  if (!isMap(root)) return bad(root, 'Expected a mapping with a databaseChangeLog key');
  const pair = pairsOf(root).find((p) => scalarText(p.key) === 'databaseChangeLog');
  if (!pair) return bad(root, 'Expected a databaseChangeLog key');
  let tree: ChangelogNode;
  try {
    tree = convert('databaseChangeLog', pair.value, pair.key);
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    throw tooDeep(e, file, lineOf(pair.key).line);
  }
  checkNodeDepth(tree, file);
  return tree;
}
