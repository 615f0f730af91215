/**
 * The YAML node tree yaml-tree.ts builds changelog elements from, whichever reader produced it (yaml-fast-reader.ts,
 * else yaml-library-reader.ts): scalars as SnakeYAML's resolvers need them, positions as the yaml library gives them.
 */
import { SlipwayError } from '../../errors.js';

/** 1-based line and column of a node's first character (the yaml library's LineCounter.linePos of range[0]). */
export interface YamlPos {
  line: number;
  column: number;
}

export interface YamlScalar extends YamlPos {
  kind: 'scalar';
  /**
   * true: a plain, untagged, non-null scalar, and `value` is its source text, which SnakeYAML resolves (YAML 1.1).
   * false: `value` is the final text (quoted, block or tagged), or null for a YAML null (`~`, `null`, nothing).
   */
  plain: boolean;
  value: string | null;
  /** A plain `<<` key: a merge key. */
  merge: boolean;
}

export interface YamlSeq extends YamlPos {
  kind: 'seq';
  items: (YamlNode | null)[];
}

export interface YamlPair {
  key: YamlNode | null;
  value: YamlNode | null;
}

export interface YamlMap extends YamlPos {
  kind: 'map';
  pairs: YamlPair[];
}

/** `*name`, which stands for the node anchored `&name`; written where the alias is. */
export interface YamlAlias extends YamlPos {
  kind: 'alias';
  target: YamlNode | null;
}

/** Anything else the yaml library gives (a `key: value` pair as an item of a flow list). */
export interface YamlOther extends YamlPos {
  kind: 'other';
}

export type YamlNode = YamlScalar | YamlSeq | YamlMap | YamlAlias | YamlOther;

/** Nesting deeper than the stack allows (the tree builder's own overflow is reported the same way). */
export function tooDeep(e: RangeError, file: string, line: number): SlipwayError {
  return new SlipwayError('E_CHANGELOG', `The YAML/JSON nests too deeply to read (${e.message})`, {
    file,
    line,
    hint: 'No changelog needs this depth: flatten the nesting (and/or take any number of checks).',
  });
}
