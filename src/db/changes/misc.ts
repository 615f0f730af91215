/** output, empty and stop: changes without schema effect. */
import type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';
import { loadFields } from './fields.js';
import { stringLiteral } from './identifiers.js';
import { dollarQuote } from '../sql-text.js';

function buildOutput(node: ChangeNode): BuiltChange {
  const f = loadFields(node, { message: 's', target: 's' });
  if (f.message === undefined && node.text.trim() !== '') f.message = node.text.trim();
  f.target ??= 'STDERR';
  // Deliberate difference: Liquibase prints the message while updating; the package has no console of its own, so
  // the change runs no SQL (the message is kept in the checksum and the changelog).
  return { name: 'output', serial: { fields: f }, sql: () => [], inverse: () => [] };
}

function buildEmpty(): BuiltChange {
  return { name: 'empty', serial: { fields: {} }, sql: () => [], inverse: () => [] };
}

function buildStop(node: ChangeNode, _ctx: BuildContext): BuiltChange {
  const f = loadFields(node, { message: 's' });
  if (f.message === undefined && node.text.trim() !== '') f.message = node.text.trim();
  f.message ??= 'Stop command in changelog file';
  const message = f.message;
  return {
    name: 'stop',
    serial: { fields: f },
    // Liquibase stops the update with this message and records nothing; raising an error does the same in psql.
    sql: () => [`DO ${dollarQuote(`BEGIN RAISE EXCEPTION '%', ${stringLiteral(message)}; END`)}`],
  };
}

export const MISC_CHANGES = { output: buildOutput, empty: buildEmpty, stop: buildStop };
