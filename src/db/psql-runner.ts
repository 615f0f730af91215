import { SlipwayError } from '../errors.js';
import { lexPsqlScript, type ScriptItem } from './psql-lexer.js';
import type { SqlSession } from './session.js';
import { CHANGESET_MARKER } from './sql-text.js';

export interface RunScriptResult {
  executed: { id: string; author: string; filename: string; exectype: string }[];
  changeSetsSeen: number;
  /** Changesets the script reported failed and left unrecorded (failOnError false), and skipped (precondition CONTINUE). */
  failed: number;
  preconditionSkipped: number;
  echoed: string[];
  /** Statement errors the script chose to survive (ON_ERROR_STOP off, e.g. failOnError:false changesets). */
  errors: SlipwayError[];
}

interface Where {
  changeSet: { id: string; author: string; filename: string } | null;
  at: { file: string; line: number } | null;
}

/**
 * Runs a psql script over `session` with psql's semantics, ON_ERROR_STOP on unless the script turns it off: the
 * meta-commands Slipway's packages use (\set, \unset, \gset, \if/\elif/\else/\endif, \echo, \quit), those of
 * pg_dump's output (COPY … FROM STDIN with its data, \copy … from stdin, \restrict/\unrestrict) and the display-only
 * ones (\timing, \pset…, ignored) are interpreted here; any other one is an error. As in psql, ERROR is set to true/false after each SQL statement, and with
 * ON_ERROR_STOP off a failing statement is reported through `onError` and the script goes on.
 */
export interface RunScriptOptions {
  signal?: AbortSignal;
  /** Called when a changeset marker is reached (before its statements run). */
  onChangeSet?: (cs: { id: string; author: string; filename: string }) => void;
  /** Called when the script reports a changeset recorded (EXECUTED, RERAN, MARK_RAN). */
  onRecorded?: (cs: { id: string; author: string; filename: string; exectype: string }) => void;
  /** Called with each \echo line as it runs (so output before a failure is not lost). */
  onEcho?: (text: string) => void;
  /** Called for a failing statement while ON_ERROR_STOP is off. */
  onError?: (error: SlipwayError) => void;
}

export async function runPsqlScript(
  session: SqlSession,
  script: string,
  opts: RunScriptOptions = {},
): Promise<RunScriptResult> {
  const { signal } = opts;
  const vars = new Map<string, string>([['ON_ERROR_STOP', 'on']]);
  // Runs one statement the way psql would: ERROR reflects the outcome; with ON_ERROR_STOP off the error is not fatal.
  const exec = async (text: string, line: number, copyData?: string) => {
    try {
      const rows = await runStatement(session, text, line, where, signal, copyData);
      vars.set('ERROR', 'false');
      return rows;
    } catch (error) {
      vars.set('ERROR', 'true');
      if (isOn(vars.get('ON_ERROR_STOP'))) throw error;
      opts.onError?.(error as SlipwayError);
      result.errors.push(error as SlipwayError);
      return null;
    }
  };
  const conds: { active: boolean; taken: boolean; parent: boolean }[] = [];
  const active = () => conds.length === 0 || conds[conds.length - 1]!.active;
  const result: RunScriptResult = {
    executed: [],
    changeSetsSeen: 0,
    failed: 0,
    preconditionSkipped: 0,
    echoed: [],
    errors: [],
  };
  const where: Where = { changeSet: null, at: null };
  // psql's \restrict KEY (what pg_dump >= 17.6 / 16.10 / 15.14 writes around a dump): until \unrestrict KEY, no
  // other meta-command may run, so a dump's data cannot smuggle one in.
  let restricted: string | null = null;
  for (const item of lexPsqlScript(script, vars)) {
    if (signal?.aborted) throw stoppedBetweenStatements(session, signal, where);
    if (active() && noteMarkers(item, where, result) && where.changeSet) opts.onChangeSet?.(where.changeSet);
    if (item.kind === 'sql') {
      if (active()) await exec(item.text, item.line);
      continue;
    }
    if (item.kind === 'copy' && item.meta && restricted !== null && active())
      throw metaError('\\copy in restricted mode: only \\unrestrict with the key of \\restrict is allowed', item.line);
    if (item.kind === 'copy') {
      // A failed COPY with ON_ERROR_STOP off: psql would then read the data as script lines; Slipway stops instead
      // of running data as commands.
      if (active() && (await exec(item.text, item.line, item.data)) === null)
        throw metaError(
          'a COPY … FROM STDIN failed with ON_ERROR_STOP off: psql would run its data as commands',
          item.line,
        );
      continue;
    }
    const { command, args } = item;
    if (restricted !== null && active() && !(command === 'unrestrict' && args[0] === restricted))
      throw metaError(
        `\\${command} in restricted mode: only \\unrestrict with the key of \\restrict is allowed`,
        item.line,
      );
    if (command === 'if') {
      const on = active() && parseBool(args[0], item.line);
      conds.push({ active: on, taken: on, parent: active() });
    } else if (command === 'elif' || command === 'else') {
      const top = conds[conds.length - 1];
      if (!top) throw metaError(`\\${command} without \\if`, item.line);
      const on = top.parent && !top.taken && (command === 'else' || parseBool(args[0], item.line));
      top.active = on;
      top.taken ||= on;
    } else if (command === 'endif') {
      if (!conds.pop()) throw metaError('\\endif without \\if', item.line);
    } else if (!active()) {
      continue;
    } else if (command === 'set') {
      if (args[0]) vars.set(args[0], args.slice(1).join(''));
    } else if (command === 'unset') {
      if (args[0]) vars.delete(args[0]);
    } else if (command === 'gset' || command === 'g') {
      if (!item.query) continue;
      const rows = await exec(item.query.text, item.query.line);
      if (command === 'gset' && rows) assignRow(rows, vars, args[0] ?? '', item.line);
    } else if (command === 'echo') {
      const text = args.join(' ');
      result.echoed.push(text);
      opts.onEcho?.(text);
      // The outcome lines render-changeset.ts writes for each changeset the package reached and did not skip as
      // already applied.
      const m = /^slipway: (EXECUTED|RERAN|MARK_RAN|FAILED|skipped) /.exec(text);
      if (m && where.changeSet) {
        if (m[1] === 'FAILED') result.failed++;
        else if (m[1] === 'skipped') result.preconditionSkipped++;
        else {
          const rec = { ...where.changeSet, exectype: m[1]! };
          result.executed.push(rec);
          opts.onRecorded?.(rec);
        }
      }
    } else if (command === 'q' || command === 'quit') {
      break;
    } else if (command === 'restrict') {
      if (!args[0]) throw metaError('\\restrict needs a key', item.line);
      restricted = args[0];
    } else if (command === 'unrestrict') {
      if (restricted === null) throw metaError('\\unrestrict without \\restrict', item.line);
      restricted = null;
    } else if (DISPLAY_ONLY.has(command)) {
      // How psql prints results and timings: nothing of what the script does to the database.
      continue;
    } else {
      throw metaError(`unsupported psql meta-command \\${command}`, item.line);
    }
  }
  if (conds.length > 0) throw metaError('\\if without \\endif at end of script', 0);
  return result;
}

/** The meta-commands runPsqlScript interprets (besides \copy … from stdin, a COPY with its data). */
const INTERPRETED = new Set([
  'if',
  'elif',
  'else',
  'endif',
  'set',
  'unset',
  'gset',
  'g',
  'echo',
  'q',
  'quit',
  'restrict',
  'unrestrict',
]);

/**
 * Reads the whole script before any of it runs, so that one runPsqlScript could not finish is refused with nothing
 * applied (psql itself would run the statements before the command it cannot do, and stop there): a meta-command
 * it does not interpret, \if/\elif/\else/\endif out of balance, a meta-command in \restrict mode, a literal \if
 * value that is no boolean, text after `COPY … FROM STDIN;` (the lexer's own error). Only a branch of a literal
 * \if that cannot be taken (`\if false`) is passed over, as the runner passes over it; a branch on a variable
 * (set by \gset or ERROR while the script runs) may be taken, so it is checked.
 */
export function checkPsqlScript(script: string, file?: string): void {
  // 'on'/'off': known without the database (a literal \if value); 'maybe': depends on what the script reads.
  type State = 'on' | 'off' | 'maybe';
  const conds: { state: State; taken: State; parentOff: boolean }[] = [];
  const off = () => conds.length > 0 && conds[conds.length - 1]!.state === 'off';
  const literal = (arg: string | undefined, line: number): State =>
    arg !== undefined && arg.includes(':') ? 'maybe' : parseBool(arg, line) ? 'on' : 'off';
  let restricted: string | null = null;
  try {
    // Variables are left uninterpolated: their values change while the script runs, and only the commands matter.
    for (const item of lexPsqlScript(script, new Map())) {
      if (item.kind === 'sql') continue;
      if (item.kind === 'copy') {
        if (item.meta && restricted !== null && !off())
          throw metaError(
            '\\copy in restricted mode: only \\unrestrict with the key of \\restrict is allowed',
            item.line,
          );
        continue;
      }
      const { command, args, line } = item;
      if (command === 'if') {
        const state = off() ? 'off' : literal(args[0], line);
        conds.push({ state, taken: state, parentOff: off() });
        continue;
      }
      if (command === 'elif' || command === 'else') {
        const top = conds[conds.length - 1];
        if (!top) throw metaError(`\\${command} without \\if`, line);
        if (top.parentOff || top.taken === 'on') top.state = 'off';
        else {
          const cond = command === 'else' ? 'on' : literal(args[0], line);
          top.state = top.taken === 'maybe' && cond === 'on' ? 'maybe' : cond;
          if (top.state !== 'off') top.taken = top.state;
        }
        continue;
      }
      if (command === 'endif') {
        if (!conds.pop()) throw metaError('\\endif without \\if', line);
        continue;
      }
      if (off()) continue;
      if (restricted !== null && !(command === 'unrestrict' && args[0] === restricted))
        throw metaError(
          `\\${command} in restricted mode: only \\unrestrict with the key of \\restrict is allowed`,
          line,
        );
      if (command === 'restrict') {
        if (!args[0]) throw metaError('\\restrict needs a key', line);
        restricted = args[0];
      } else if (command === 'unrestrict') {
        if (restricted === null) throw metaError('\\unrestrict without \\restrict', line);
        restricted = null;
      } else if ((command === 'q' || command === 'quit') && conds.every((c) => c.state === 'on')) {
        return;
      } else if (!INTERPRETED.has(command) && !DISPLAY_ONLY.has(command)) {
        throw metaError(`unsupported psql meta-command \\${command}`, line);
      }
    }
    if (conds.length > 0) throw metaError('\\if without \\endif at end of script', 0);
  } catch (e) {
    if (!(e instanceof SlipwayError)) throw e;
    throw new SlipwayError(e.code, `${e.message}; nothing was run (the script is read whole before it runs)`, {
      ...(file ? { file } : {}),
      ...(e.line ? { line: e.line } : {}),
      ...(e.hint ? { hint: e.hint } : {}),
      cause: e,
    });
  }
}

function noteMarkers(item: ScriptItem, where: Where, result: RunScriptResult): boolean {
  let seen = false;
  for (const c of item.comments) {
    if (c.startsWith(CHANGESET_MARKER)) {
      const parsed = JSON.parse(c.slice(CHANGESET_MARKER.length)) as { id: string; author: string; filename: string };
      where.changeSet = { id: parsed.id, author: parsed.author, filename: parsed.filename };
      where.at = null;
      result.changeSetsSeen++;
      seen = true;
    } else {
      const m = /^at (.+):(\d+)$/.exec(c);
      if (m) where.at = { file: m[1]!, line: Number(m[2]) };
    }
  }
  return seen;
}

/** psql meta-commands that only change how psql prints (results, timings, pager): no effect on the database. */
const DISPLAY_ONLY = new Set(['timing', 'pset', 'a', 't', 'x', 'H', 'C', 'f', 'T']);

async function runStatement(
  session: SqlSession,
  text: string,
  line: number,
  where: Where,
  signal: AbortSignal | undefined,
  copyData?: string,
) {
  try {
    if (copyData !== undefined) {
      await session.copyFrom(text, copyData, { signal });
      return [];
    }
    return (await session.query(text, { signal })).rows;
  } catch (cause) {
    const e = statementError(cause, text, line, where);
    // Cancelled because the run was interrupted: say so (ON_ERROR_STOP off must not carry on past it either).
    if (signal?.aborted && (cause as { code?: string }).code === '57014') {
      throw new SlipwayError(
        'E_DB',
        `${where.changeSet ? `changeset ${where.changeSet.filename}::${where.changeSet.id}::${where.changeSet.author}` : 'statement'} cancelled by ${String(signal.reason)} while it ran (SQLSTATE 57014)`,
        {
          ...(e.file ? { file: e.file } : {}),
          ...(e.line ? { line: e.line } : {}),
          details: e.details,
          hint: 'it was not recorded; its transaction (changesets run in one unless runInTransaction:false) is rolled back',
          cause,
        },
      );
    }
    throw e;
  }
}

/**
 * The run's signal fired and the script stops before its next statement. PGlite runs in-process and cannot cancel a
 * statement: one under way when the signal came ran to its end first (PostgreSQL's was cancelled, see runStatement).
 */
function stoppedBetweenStatements(session: SqlSession, signal: AbortSignal, where: Where): SlipwayError {
  const cs = where.changeSet
    ? ` in changeset ${where.changeSet.filename}::${where.changeSet.id}::${where.changeSet.author}`
    : '';
  const pglite =
    session.engine === 'pglite'
      ? ' (PGlite cannot cancel a running statement: one under way when the signal came finished first)'
      : '';
  return new SlipwayError('E_DB', `stopped by ${String(signal.reason)} between statements${cs}${pglite}`, {
    hint: 'what the script had not committed is rolled back and not recorded',
    cause: signal.reason,
  });
}

function statementError(cause: unknown, text: string, scriptLine: number, where: Where): SlipwayError {
  const e = cause as { message?: string; position?: string; hint?: string; detail?: string; code?: string };
  const pos = e.position ? Number(e.position) : 1;
  const before = text.slice(0, Math.max(0, pos - 1));
  const lineOffset = before.split('\n').length - 1;
  const column = pos - 1 - before.lastIndexOf('\n');
  const stmtLine = text.split('\n')[lineOffset] ?? '';
  const file = where.at?.file;
  const line = where.at ? where.at.line + lineOffset : scriptLine + lineOffset;
  const cs = where.changeSet
    ? `changeset ${where.changeSet.filename}::${where.changeSet.id}::${where.changeSet.author} failed: `
    : '';
  const gutter = `${line} | `;
  const details = [gutter + stmtLine, ' '.repeat(gutter.length + Math.max(0, column - 1)) + '^'];
  if (e.detail) details.push(`detail: ${e.detail}`);
  return new SlipwayError('E_DB', `${cs}${e.message ?? String(cause)}${e.code ? ` (SQLSTATE ${e.code})` : ''}`, {
    ...(file ? { file, line, column } : { line: scriptLine + lineOffset, column }),
    details,
    hint:
      e.hint ??
      (where.changeSet
        ? 'the changeset was rolled back and not recorded; fix it and run the package again'
        : 'the script stopped here: what it committed before this statement stays, an open transaction is rolled back'),
    cause,
  });
}

function assignRow(rows: Record<string, string | null>[], vars: Map<string, string>, prefix: string, line: number) {
  if (rows.length !== 1) throw metaError(`\\gset expects exactly one row, got ${rows.length}`, line);
  for (const [k, v] of Object.entries(rows[0]!)) {
    if (v === null) vars.delete(prefix + k);
    else vars.set(prefix + k, String(v));
  }
}

function isOn(value: string | undefined): boolean {
  const v = (value ?? '').toLowerCase();
  return v !== '' && v !== 'off' && v !== 'false' && v !== '0' && v !== 'no';
}

/** psql's boolean words: unique prefixes of true/false/yes/no/on/off, and 1/0. */
function parseBool(value: string | undefined, line: number): boolean {
  const v = (value ?? '').trim().toLowerCase();
  if (v === '') throw metaError('\\if needs a boolean expression', line);
  if (v === '1' || 'true'.startsWith(v) || 'yes'.startsWith(v) || (v.length > 1 && 'on'.startsWith(v))) return true;
  if (v === '0' || 'false'.startsWith(v) || 'no'.startsWith(v) || (v.length > 1 && 'off'.startsWith(v))) return false;
  throw metaError(`unrecognized value "${value}" for \\if: a boolean is expected`, line);
}

function metaError(message: string, line: number): SlipwayError {
  return new SlipwayError('E_DB', message, {
    ...(line > 0 ? { line } : {}),
    hint: 'this script needs psql features slipway does not interpret; run it with psql',
  });
}
