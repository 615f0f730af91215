/** `<preConditions>` of an XML/YAML changeset into the model (one level of and/or, `not` around single checks). */
import { SlipwayError } from '../../errors.js';
import type { Precondition, Preconditions } from '../model.js';
import type { ChangelogNode } from './xml-tree.js';

const TYPES: Record<string, Precondition['type']> = {
  sqlCheck: 'sql-check',
  tableExists: 'table-exists',
  columnExists: 'column-exists',
  viewExists: 'view-exists',
  sequenceExists: 'sequence-exists',
  indexExists: 'index-exists',
  changeSetExecuted: 'changeset-executed',
  dbms: 'dbms',
};

type Action = Preconditions['onFail'];

function action(v: string | undefined, node: ChangelogNode, file: string): Action {
  if (v === undefined) return 'HALT';
  const u = v.toUpperCase();
  if (u === 'HALT' || u === 'CONTINUE' || u === 'MARK_RAN' || u === 'WARN') return u;
  throw new SlipwayError('E_CHANGELOG', `Unknown precondition action "${v}"`, {
    file,
    line: node.line,
    hint: 'Use HALT, CONTINUE, MARK_RAN or WARN.',
  });
}

/** Parses a `<preConditions>` element. */
export function parseNodePreconditions(
  node: ChangelogNode,
  file: string,
  expand: (s: string) => string,
): Preconditions {
  let operator: 'and' | 'or' = 'and';
  let children = node.children;
  const only = children.length === 1 ? children[0]! : null;
  if (only && (only.name === 'and' || only.name === 'or')) {
    operator = only.name;
    children = only.children;
  }
  const checks = children.map((c) => parseCheck(c, file, expand, false));
  return {
    onFail: action(node.attrs.onFail, node, file),
    onError: action(node.attrs.onError, node, file),
    ...(node.attrs.onFailMessage ? { onFailMessage: node.attrs.onFailMessage } : {}),
    ...(node.attrs.onErrorMessage ? { onErrorMessage: node.attrs.onErrorMessage } : {}),
    operator,
    checks,
    location: { file, line: node.line },
  };
}

function parseCheck(node: ChangelogNode, file: string, expand: (s: string) => string, negate: boolean): Precondition {
  if (node.name === 'not') {
    if (node.children.length !== 1) {
      throw new SlipwayError('E_CHANGELOG', '<not> with more than one check is not supported', {
        file,
        line: node.line,
        hint: 'Use one <not> per check.',
      });
    }
    return parseCheck(node.children[0]!, file, expand, !negate);
  }
  const type = TYPES[node.name];
  if (!type) {
    throw new SlipwayError('E_CHANGELOG', `Precondition <${node.name}> is not supported here`, {
      file,
      line: node.line,
      hint: `Supported: ${Object.keys(TYPES).join(', ')}, not, and one level of and/or.`,
    });
  }
  const attrs: Record<string, string> = {};
  for (const [k, v] of Object.entries(node.attrs)) if (k !== 'expectedResult' && k !== 'sql') attrs[k] = expand(v);
  const p: Precondition = { type, attrs };
  if (type === 'sql-check') {
    p.expectedResult = node.attrs.expectedResult ?? '';
    p.sql = expand(node.attrs.sql ?? node.text).trim();
  }
  if (negate) p.negate = true;
  return p;
}
