/**
 * Reads a changelog XML file into a small element tree with 1-based line/column per element (saxes tracks them),
 * so every later error can point at the element that caused it.
 */
import type { YamlNode } from './yaml-nodes.js';
import { SaxesParser } from 'saxes';
import { SlipwayError } from '../../errors.js';

export interface ChangelogNode {
  /** Local name (namespace prefix dropped). */
  name: string;
  /** Attributes by local name; namespace declarations and `xsi:*` are dropped. */
  attrs: Record<string, string>;
  children: ChangelogNode[];
  /** Direct text and CDATA content, concatenated. */
  text: string;
  line: number;
  column: number;
  /** `xsi:schemaLocation` / `xsi:noNamespaceSchemaLocation` as written, when the element has one. */
  schemaLocation?: string;
  /**
   * XML: the line of each attribute (by local name) written on a later line than the element starts on (a start tag
   * over several lines), where its value's closing quote is; absent when the whole start tag is on one line.
   */
  attrLines?: Record<string, number>;
  /**
   * Set on an entry of a YAML/JSON changeSet's `changes:` list (or mapping). Such entries become children of the
   * changeSet like its own keys, but Liquibase reads a changeSet's comment from its own `comment:` key only.
   */
  changesEntry?: true;
  /**
   * YAML/JSON: the node the element was made from (its mapping, list or scalar) and the file's text, from which
   * value-lines.ts finds the lines of an attribute's value or of the text on need. An XML element's text starts on
   * its line, and so do its attributes unless attrLines says otherwise.
   */
  yaml?: YamlNode | null;
  yamlText?: string;
}

/**
 * How deep changelog elements may nest. Liquibase's own changelogs nest a dozen levels; the walks over the tree
 * (property expansion, change building, preconditions) recurse, so a bound far above any real file keeps an absurd
 * one (100,000 nested elements) an error naming its place instead of a stack overflow.
 */
export const MAX_NODE_DEPTH = 1000;

/** E_CHANGELOG at the first element of `root` (XML or YAML/JSON) nested deeper than MAX_NODE_DEPTH; iterative. */
export function checkNodeDepth(root: ChangelogNode, file: string): void {
  const todo: [ChangelogNode, number][] = [[root, 1]];
  for (let next = todo.pop(); next; next = todo.pop()) {
    const [node, depth] = next;
    if (depth > MAX_NODE_DEPTH) throw tooDeep(file, node.line, node.column);
    for (const c of node.children) todo.push([c, depth + 1]);
  }
}

function tooDeep(file: string, line: number, column?: number): SlipwayError {
  return new SlipwayError('E_CHANGELOG', `Elements nest deeper than ${MAX_NODE_DEPTH} levels`, {
    file,
    line,
    ...(column !== undefined ? { column } : {}),
    hint: 'No changelog needs this depth: flatten the nesting (<and>/<or> take any number of checks).',
  });
}

/** Parses `content` of `file`; malformed XML throws E_CHANGELOG with saxes' line and column. */
export function parseXmlTree(content: string, file: string): ChangelogNode {
  const parser = new SaxesParser({ xmlns: false, position: true });
  const stack: ChangelogNode[] = [];
  let root: ChangelogNode | null = null;
  let failure: { message: string; line: number; column: number } | null = null;
  parser.on('error', (err) => {
    failure ??= { message: err.message.replace(/^[^:]*:\d+:\d+:\s*/, ''), line: parser.line, column: parser.column };
  });
  // Position of the tag name (opentagstart), so multi-line start tags report the line the element begins on.
  let startLine = 1;
  let startColumn = 1;
  // Attributes a start tag has on lines below its first (saxes reports each as its closing quote is read): most
  // tags are on one line, and cost one comparison per attribute.
  let laterLines: Record<string, number> | undefined;
  parser.on('opentagstart', () => {
    startLine = parser.line;
    startColumn = parser.column;
    laterLines = undefined;
  });
  parser.on('attribute', (a) => {
    if (parser.line === startLine) return;
    const colon = a.name.indexOf(':');
    (laterLines ??= {})[colon < 0 ? a.name : a.name.slice(colon + 1)] = parser.line;
  });
  parser.on('opentag', (tag) => {
    const attrs: Record<string, string> = {};
    let schemaLocation: string | undefined;
    const given = tag.attributes;
    for (const k in given) {
      const v = String(given[k]);
      const colon = k.indexOf(':');
      if (colon < 0) {
        if (k !== 'xmlns') attrs[k] = v;
        continue;
      }
      if (k === 'xsi:schemaLocation' || k === 'xsi:noNamespaceSchemaLocation') schemaLocation = v;
      if (k.startsWith('xmlns:') || k.startsWith('xsi:')) continue;
      attrs[k.slice(colon + 1)] = v;
    }
    const colon = tag.name.indexOf(':');
    // One object shape for every node (schemaLocation added after, on the rare root that has one).
    const node: ChangelogNode = {
      name: colon < 0 ? tag.name : tag.name.slice(colon + 1),
      attrs,
      children: [],
      text: '',
      line: startLine,
      column: startColumn,
    };
    if (schemaLocation !== undefined) node.schemaLocation = schemaLocation;
    if (laterLines !== undefined) node.attrLines = laterLines;
    // Stops here: the tree itself is built without recursion, but what walks it later recurses.
    if (stack.length >= MAX_NODE_DEPTH) throw tooDeep(file, startLine, startColumn);
    const parent = stack[stack.length - 1];
    if (parent) parent.children.push(node);
    else root ??= node;
    stack.push(node);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  const addText = (t: string): void => {
    const top = stack[stack.length - 1];
    if (top) top.text += t;
  };
  parser.on('text', addText);
  parser.on('cdata', addText);
  try {
    parser.write(content.replace(/^\uFEFF/, '')).close();
  } catch (e) {
    if (e instanceof SlipwayError) throw e;
    failure ??= { message: (e as Error).message, line: parser.line, column: parser.column };
  }
  if (failure !== null) {
    const f = failure as { message: string; line: number; column: number };
    throw new SlipwayError('E_CHANGELOG', `Malformed XML: ${f.message}`, {
      file,
      line: f.line,
      column: f.column,
      hint: 'Fix the XML at this position; Liquibase would reject the file too.',
    });
  }
  if (!root)
    throw new SlipwayError('E_CHANGELOG', 'The XML file has no root element', {
      file,
      line: 1,
      hint: 'A Liquibase XML changelog starts with <databaseChangeLog>.',
    });
  return root;
}
