/** loadData and loadUpdateData: CSV rows as INSERTs / upserts (placeholder until the CSV reader lands). */
import { SlipwayError } from '../../errors.js';
import type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';

function notYet(node: ChangeNode, ctx: BuildContext): BuiltChange {
  throw new SlipwayError('E_CHANGELOG', `Change type <${node.name}> is not supported yet`, {
    file: ctx.file,
    line: node.line,
    hint: 'Write the rows as <insert> changes or <sql>.',
  });
}

export const LOAD_CHANGES = { loadData: notYet, loadUpdateData: notYet };
