/**
 * customChange and executeCommand run Java classes or shell commands, which Slipway does not run. customChange has an
 * escape hatch: `database.customChanges: { "<class name>": "<SQL file>" }` runs that SQL instead, while the history row
 * keeps the checksum Liquibase computes for the customChange element (so Liquibase still agrees on the changeset).
 */
import { SlipwayError } from '../../errors.js';
import { splitSql } from '../changelog/sql-split.js';
import type { BuildContext, BuiltChange, ChangeNode } from './change-node.js';

function changeSetName(ctx: BuildContext): string {
  return `${ctx.file}::${ctx.changeSet.id}::${ctx.changeSet.author}`;
}

/** `<customChange class="…">` with `<param name value>` children. */
export function customChange(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const className = node.attrs.class;
  if (!className) {
    throw new SlipwayError('E_CHANGELOG', '<customChange> needs a class attribute', {
      file: ctx.file,
      line: node.line,
    });
  }
  const params: Record<string, string> = {};
  for (const p of node.children.filter((c) => c.name === 'param')) {
    const name = p.attrs.name;
    if (name !== undefined) params[name] = p.attrs.value ?? p.text.trim();
  }
  for (const [k, v] of Object.entries(node.attrs)) if (k !== 'class') params[k] = v;
  const sqlFile = ctx.customChanges?.[className];
  if (sqlFile === undefined) {
    throw new SlipwayError(
      'E_CHANGELOG',
      `Changeset ${changeSetName(ctx)} uses <customChange class="${className}">, a Java class Slipway cannot run`,
      {
        file: ctx.file,
        line: node.line,
        column: node.column,
        hint: `Write the SQL the class would run into a file and map it in slipway config: database.customChanges: { "${className}": "path/to/file.sql" } (path relative to the changelog root). The history row keeps Liquibase's checksum for the customChange.`,
      },
    );
  }
  const sql = ctx.readFile(sqlFile, node).toString('utf8');
  const statements = splitSql(sql).statements.map((s) => s.text);
  return {
    name: 'customChange',
    serial: { fields: { class: className, param: { map: params } } },
    sql: () => statements,
  };
}

/** `<executeCommand executable="…">`: always an error naming the changeset and the command. */
export function executeCommand(node: ChangeNode, ctx: BuildContext): BuiltChange {
  const args = node.children.filter((c) => c.name === 'arg').map((c) => c.attrs.value ?? '');
  const command = [node.attrs.executable ?? '', ...args].join(' ').trim();
  throw new SlipwayError(
    'E_CHANGELOG',
    `Changeset ${changeSetName(ctx)} uses <executeCommand> (${command || 'no executable'}), a shell command Slipway does not run`,
    {
      file: ctx.file,
      line: node.line,
      column: node.column,
      hint: 'Run the command outside the package (a deploy hook or a build step), and limit the changeset with dbms or contexts so the package skips it; or replace it with SQL.',
    },
  );
}
