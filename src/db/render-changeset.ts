import type { ChangeSet, Preconditions } from './model.js';
import { contextsColumn, labelsColumn } from './changelog/history-columns.js';
import { jdbcText } from './jdbc-text.js';
import { needsTerminator } from './psql-lexer.js';
import { DEFAULT_HISTORY_TABLES, historyTable, type HistoryTables } from './history-tables.js';
import {
  CHANGESET_CHECK,
  HISTORY_RECORD,
  HISTORY_RECORD_NEW,
  HISTORY_SNAPSHOT,
  HISTORY_SYNC,
  LIQUIBASE_VERSION,
  NEXT_ORDER,
  limitSize,
} from './render-bookkeeping.js';
import { renderPreconditionProgram } from './render-precondition.js';
import { bodyNeverRuns } from './precondition-static.js';
import { CHANGESET_MARKER, changeSetKey, commentText, dollarQuote, quoteLiteral, quotePsqlArg } from './sql-text.js';

function whereKey(cs: ChangeSet): string {
  return `ID = ${quoteLiteral(cs.id)} AND AUTHOR = ${quoteLiteral(cs.author)} AND FILENAME = ${quoteLiteral(cs.filename)}`;
}

/**
 * The row Liquibase 4.28 writes for a changeset, through the session's prepared INSERT (historyRecord in
 * render-bookkeeping.ts), which also adds it to the session's snapshot of the history; ifMissing, through its
 * conditional form, written only when the changeset check found no row of the changeset (psql's slipway_new: a
 * runOnChange/runAlways changeset with a row gets the RERAN UPDATE instead, as Liquibase decides before it runs the
 * changeset).
 */
export function renderHistoryInsert(cs: ChangeSet, exectype: 'EXECUTED' | 'MARK_RAN', ifMissing = false): string {
  return `${historyInsert(cs, exectype, ifMissing)};`;
}

/** renderHistoryInsert without its ";" (as withCommit takes it). */
function historyInsert(cs: ChangeSet, exectype: 'EXECUTED' | 'MARK_RAN', ifMissing: boolean): string {
  // MarkChangeSetRanGenerator cuts DESCRIPTION and COMMENTS to 250 (measured with a long change-type description).
  return (
    `EXECUTE ${ifMissing ? `${HISTORY_RECORD_NEW}(:'slipway_new', ` : `${HISTORY_RECORD}(`}${quoteLiteral(cs.id)}, ` +
    `${quoteLiteral(cs.author)}, ${quoteLiteral(cs.filename)}, ${quoteLiteral(cs.checksum)}, ` +
    `${quoteLiteral(limitSize(cs.description, 250))}, ${quoteLiteral(limitSize(cs.comment ?? '', 250))}, ` +
    `'${exectype}', ${quoteLiteral(contextsColumn(cs))}, ${quoteLiteral(labelsColumn(cs))}, ${quoteLiteral(cs.tag)})`
  );
}

/**
 * Liquibase's update of an existing row when a runOnChange/runAlways changeset runs again (EXECTYPE RERAN): where
 * FILENAME is the changeset's own path, exactly (MarkChangeSetRanGenerator binds changeSet.getFilePath()), so a row
 * recorded under another spelling (`classpath:db/x.xml`) is left as it was, and the changeset runs again next time
 * (measured: test/integration/db-history-foreign-paths-oracle.test.ts). All the rows it updates get one ORDEREXECUTED
 * (the CTE runs once), as Liquibase binds one, and the number is used up even when no row has that path (the next row
 * written comes one later; measured: test/integration/db-rerun-order-oracle.test.ts), but not for a changeset with no
 * row at all (psql's slipway_new: HISTORY_RECORD_NEW inserts it). The same statement updates the session's snapshot
 * of those rows (HISTORY_SNAPSHOT in render-bookkeeping.ts: the same rows, by the same key).
 */
export function renderHistoryRerun(cs: ChangeSet, t: HistoryTables = DEFAULT_HISTORY_TABLES, where?: string): string {
  return `${historyRerun(cs, t, where)};`;
}

/**
 * renderHistoryRerun without its ";" (as withCommit takes it). Like an INSERT, the UPDATE writes the changeset's
 * current COMMENTS, CONTEXTS, LABELS, DESCRIPTION and LIQUIBASE, and its TAG only when it holds a tagDatabase (a tag
 * set by `liquibase tag` on another changeset stays; measured: test/integration/db-rerun-columns-oracle.test.ts).
 */
function historyRerun(cs: ChangeSet, t: HistoryTables, where: string | undefined): string {
  const sum = quoteLiteral(cs.checksum);
  const key = where ?? whereKey(cs);
  const set =
    `DATEEXECUTED = NOW(), ORDEREXECUTED = (SELECT n FROM o), MD5SUM = ${sum}, ` +
    `EXECTYPE = 'RERAN', DEPLOYMENT_ID = :'slipway_deployment_id', ` +
    `COMMENTS = ${quoteLiteral(limitSize(cs.comment ?? '', 250))}, CONTEXTS = ${quoteLiteral(contextsColumn(cs))}, ` +
    `LABELS = ${quoteLiteral(labelsColumn(cs))}, LIQUIBASE = ${quoteLiteral(LIQUIBASE_VERSION)}, ` +
    `DESCRIPTION = ${quoteLiteral(limitSize(cs.description, 250))}` +
    (cs.tag !== null ? `, TAG = ${quoteLiteral(cs.tag)}` : '');
  // `(SELECT n FROM o) IS NOT NULL` names no column: PostgreSQL evaluates it once before it looks for rows (a
  // One-Time Filter), so o's nextval runs whether or not a row has the key.
  return (
    `WITH o AS (SELECT ${NEXT_ORDER} AS n WHERE NOT :'slipway_new'), ` +
    `r AS (UPDATE ${historyTable(t)} SET ${set} WHERE ${key} RETURNING 1) ` +
    `UPDATE ${HISTORY_SNAPSHOT} SET MD5SUM = ${sum} WHERE ${key} AND (SELECT n FROM o) IS NOT NULL`
  );
}

/** The lines of each changelog file by path (a Map, or a lookup that splits a file only when asked). */
export interface FileLines {
  get(file: string): string[] | undefined;
}

/** Source line of each statement in the changelog file (falls back to the changeset's line, e.g. for sqlFile). */
export function locateStatements(cs: ChangeSet, files: FileLines): number[] {
  const lines = files.get(cs.location.file);
  let cursor = cs.location.line; // 1-based line after the changeset header
  return cs.statements.map((stmt) => {
    const first = stmt
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim();
    if (!lines || !first) return cs.location.line;
    for (let i = cursor; i < lines.length; i++) {
      if (lines[i]!.includes(first)) {
        cursor = i + 1;
        return i + 1;
      }
    }
    return cs.location.line;
  });
}

/** Where each statement starts: the parser's statementLocations when present (exact, also for sqlFile), else located by text. */
function statementSources(cs: ChangeSet, fileLines: FileLines): { file: string; line: number }[] {
  const given = cs.statementLocations;
  if (given && given.length === cs.statements.length) return given;
  return locateStatements(cs, fileLines).map((line) => ({ file: cs.location.file, line }));
}

/**
 * Appends each statement, after its `-- at file:line`, to `out`. With `leaveOpen` the last statement, when it has no
 * terminator of its own, is left without one: the caller ends it with withCommit's line. Returns whether it did.
 */
function renderStatementsInto(
  out: string[],
  cs: ChangeSet,
  at: { file: string; line: number }[],
  leaveOpen = false,
): boolean {
  const stmts = cs.statements;
  let open = false;
  for (let i = 0; i < stmts.length; i++) {
    // What the server gets from Liquibase through pgjdbc (`??` is `?`), not the changelog's text as written.
    const stmt = jdbcText(stmts[i]!);
    const unterminated = needsTerminator(stmt);
    open = unterminated && leaveOpen && i === stmts.length - 1;
    out.push(`-- at ${at[i]!.file}:${at[i]!.line}`, unterminated && !open ? `${stmt}\n;` : stmt);
    // failOnError:false: remember any failure (psql's ERROR only describes the last statement).
    if (!cs.failOnError) out.push('\\if :ERROR', '\\set slipway_failed true', '\\endif');
  }
  return open;
}

/**
 * Appends to `out` the history statements `records` (each without its ";") sent together with COMMIT (`\;`: one
 * round trip, same transaction). After a statement left open (`afterOpen`) they are one line that ends it —
 * `\; <history> \; COMMIT;` — so the changeset's last statement goes in the same round trip, and psql still
 * reports an error in it at the line right after it (psql names the line where the query was sent); the runner maps
 * it by that statement's `-- at` marker as before. The records come without their ";" because slicing it off would
 * copy each whole INSERT first (V8 flattens a concatenated string to slice it): 6.8 % of the instructions of
 * `db package` on 10,000 changesets (callgrind, --single-threaded, ff04fe7).
 */
function withCommit(out: string[], records: string[], afterOpen: boolean): void {
  if (afterOpen) {
    let line = '\\; ';
    for (const r of records) line += `${r} \\; `;
    out.push(`${line}COMMIT;`);
  } else {
    for (const r of records) out.push(`${r} \\;`);
    out.push('COMMIT;');
  }
}

/**
 * Appends to `out` the history statements `records` of a runInTransaction:false changeset, whose check held the lock
 * row only for itself: in a transaction of their own that first holds it again and takes the history's snapshot
 * again if another writer was there since (HISTORY_SYNC in render-bookkeeping.ts), so that the row's ORDEREXECUTED
 * comes after that writer's rows.
 */
function withOwnCommit(out: string[], records: string[]): void {
  out.push('BEGIN \\;', `SELECT ${HISTORY_SYNC}(false) AS slipway_synced \\gset`);
  withCommit(out, records, false);
}

/**
 * failOnError:false, as Liquibase 4.28.1 does it (measured: `update` leaves no row and no table for such a changeset,
 * see test/integration/db-package-pg.test.ts for ours): a failing changeset is logged, rolled back where it ran in a
 * transaction, NOT recorded (ExecType FAILED is never written), and the run goes on.
 */
function renderTolerant(cs: ChangeSet, stmts: string[], record: string[], done: string[], key: string): string[] {
  const tx = cs.runInTransaction;
  return [
    '\\set ON_ERROR_STOP off',
    '\\set slipway_failed false',
    ...stmts,
    '\\set ON_ERROR_STOP on',
    '\\if :slipway_failed',
    ...(tx ? ['ROLLBACK;'] : []),
    `\\echo ${quotePsqlArg(`slipway: FAILED ${key} (failOnError false: not recorded, continuing)`)}`,
    '\\else',
    ...record,
    ...done,
    '\\endif',
  ];
}

/**
 * The changeset check's arguments (changeSetCheck in render-bookkeeping.ts): the key, then by name what differs from
 * a plain changeset in a transaction — runAlways runs whatever is recorded; runOnChange unless a row has the
 * current checksum or a validCheckSum; runInTransaction:false keeps the session's commit mode.
 */
function checkArgs(cs: ChangeSet): string {
  let args = `${quoteLiteral(cs.id)}, ${quoteLiteral(cs.author)}, ${quoteLiteral(cs.filename)}`;
  if (cs.runAlways) args += ', p_always => true';
  else if (cs.runOnChange)
    args += `, p_sums => ARRAY[${[cs.checksum, ...cs.validCheckSums].map((c) => quoteLiteral(c)).join(', ')}]`;
  if (!cs.runInTransaction) args += ', p_in_transaction => false';
  return args;
}

/** One changeset: in one transaction, skip it if recorded, else evaluate preconditions, run it and record it. */
export function renderChangeSet(
  cs: ChangeSet,
  changelog: { files: readonly { path: string }[] },
  fileLines: FileLines,
  t: HistoryTables = DEFAULT_HISTORY_TABLES,
): string {
  const key = changeSetKey(cs);
  const where = whereKey(cs);
  const rerunnable = cs.runOnChange || cs.runAlways;
  const tx = cs.runInTransaction;
  // Bookkeeping travels in as few queries as psql allows (`\;`): BEGIN with the session's changeset check
  // (changeSetCheck in render-bookkeeping.ts: commit mode, lock check, "already applied?"); then the history row with
  // COMMIT, which also carries the changeset's last statement (see withCommit). A changeset the check skips ends its
  // transaction with COMMIT too: nothing of the database's was written, but a snapshot of the history the check took
  // again (another writer was there) must stay for the next changesets. The commit does not wait for its WAL flush; the package's last
  // statement does, for all of them (FLUSH_COMMITS), and so does the end of the session when the run stops early.
  const out: string[] = [
    `-- ${CHANGESET_MARKER}${JSON.stringify({ id: cs.id, author: cs.author, filename: cs.filename })}`,
    `-- changeset ${commentText(key)} (${cs.location.file}:${cs.location.line})${cs.comment ? ` -- ${commentText(cs.comment)}` : ''}`,
  ];
  if (tx) out.push('BEGIN \\;');
  out.push(`SELECT * FROM ${CHANGESET_CHECK}(${checkArgs(cs)}) \\gset`, '\\if :slipway_run');
  const executed = `\\echo 'slipway: EXECUTED' ${quotePsqlArg(key)}`;
  const pre = cs.preconditions;
  if (!pre && cs.failOnError && !rerunnable) {
    // The common changeset, written straight into `out` (no intermediate arrays).
    const open = renderStatementsInto(out, cs, statementSources(cs, fileLines), tx);
    if (tx) withCommit(out, [historyInsert(cs, 'EXECUTED', false)], open);
    else withOwnCommit(out, [historyInsert(cs, 'EXECUTED', false)]);
    out.push(executed);
  } else {
    const stmts: string[] = [];
    const open = renderStatementsInto(stmts, cs, statementSources(cs, fileLines), tx && cs.failOnError);
    // Without their ";": withCommit takes them so; the other paths end them.
    const records = rerunnable
      ? [historyRerun(cs, t, where), historyInsert(cs, 'EXECUTED', true)]
      : [historyInsert(cs, 'EXECUTED', false)];
    const done = rerunnable
      ? ['\\if :slipway_new', executed, '\\else', `\\echo 'slipway: RERAN' ${quotePsqlArg(key)}`, '\\endif']
      : [executed];
    const run = (): string[] => {
      if (!cs.failOnError) {
        const record: string[] = [];
        if (tx) record.push(...records.map((r) => `${r};`), 'COMMIT;');
        else withOwnCommit(record, records);
        return renderTolerant(cs, stmts, record, done, key);
      }
      const lines = [...stmts];
      if (tx) withCommit(lines, records, open);
      else withOwnCommit(lines, records);
      lines.push(...done);
      return lines;
    };
    if (!pre) out.push(...run());
    else if (bodyNeverRuns(pre)) out.push(...renderStaticFailure(cs, pre, key, tx, run));
    else out.push(...renderPreconditions(cs, pre, key, tx, run, t));
  }
  if (tx) out.push('\\else', 'COMMIT;');
  out.push('\\endif');
  return out.join('\n');
}

type PreAction = Preconditions['onFail'];

/**
 * Evaluates `pre` into the psql variables slipway_pre (passed) and slipway_pre_error (could not be checked; the
 * error text stays in the setting slipway.pre). The check runs inside a DO block that catches its errors.
 */
function renderPreconditionCheck(pre: Preconditions, t: HistoryTables): string[] {
  // A sqlCheck's SQL is the changelog's own text: the program runs it through EXECUTE, so that a syntax error in it
  // (or a table it reads that does not exist) is an error inside this block, caught, where Liquibase's check errors
  // (onError applies; measured: onError="CONTINUE" over "Invalid SQL" skips the changeset).
  const body = `DECLARE passed boolean; BEGIN ${renderPreconditionProgram(pre, t)} PERFORM set_config('slipway.pre', CASE WHEN passed THEN 'pass' ELSE 'fail' END, false);`;
  const check = `${body} EXCEPTION WHEN OTHERS THEN PERFORM set_config('slipway.pre', 'error: ' || SQLERRM, false); END`;
  return [
    `DO ${dollarQuote(check)};`,
    "SELECT current_setting('slipway.pre') = 'pass' AS slipway_pre, current_setting('slipway.pre') LIKE 'error: %' AS slipway_pre_error \\gset",
  ];
}

/**
 * Changelog-level preconditions, before any changeset runs (Liquibase checks them while validating): WARN prints a
 * warning and goes on; HALT stops the package with the file:line of the `<preConditions>` and its message.
 */
export function renderChangelogPreconditions(
  pres: Preconditions[],
  t: HistoryTables = DEFAULT_HISTORY_TABLES,
): string[] {
  const out: string[] = [];
  for (const pre of pres) {
    const where = `${pre.location.file}:${pre.location.line}`;
    const outcome = (action: PreAction, which: 'onFail' | 'onError', what: string): string[] => {
      if (action === 'WARN')
        return [`\\echo ${quotePsqlArg(`WARNING: ${what} (${which} WARN: running the changelog anyway)`)}`];
      const detail = which === 'onError' ? " || ' (' || current_setting('slipway.pre') || ')'" : '';
      const hint = `Liquibase stops here too ("Validation Failed"); fix the database state, or set ${which}="WARN"`;
      return [
        `DO ${dollarQuote(`BEGIN RAISE EXCEPTION '%', ${quoteLiteral(`slipway: ${what}`)}${detail} USING HINT = ${quoteLiteral(hint)}; END`)};`,
      ];
    };
    out.push(
      `-- changelog preconditions (${commentText(where)})`,
      ...renderPreconditionCheck(pre, t),
      '\\if :slipway_pre_error',
      ...outcome(
        pre.onError,
        'onError',
        `changelog precondition at ${where} could not be checked${pre.onErrorMessage ? `: ${pre.onErrorMessage}` : ''}`,
      ),
      '\\elif :slipway_pre',
      '\\else',
      ...outcome(
        pre.onFail,
        'onFail',
        `changelog precondition at ${where} failed${pre.onFailMessage ? `: ${pre.onFailMessage}` : ''}`,
      ),
      '\\endif',
    );
  }
  return out;
}

/**
 * Preconditions, evaluated when the package runs. The check runs inside a DO block that catches its errors, so a
 * check that cannot run (a missing table in a sqlCheck, say) takes the onError path instead of stopping psql —
 * Liquibase's distinction between a failed and an erroring precondition.
 */
function renderPreconditions(
  cs: ChangeSet,
  pre: Preconditions,
  key: string,
  tx: boolean,
  run: () => string[],
  t: HistoryTables,
): string[] {
  return [
    ...renderPreconditionCheck(pre, t),
    '\\if :slipway_pre_error',
    ...renderPreOutcome(cs, pre.onError, preOutcomeText(pre, 'onError', key), 'onError', tx, run),
    '\\elif :slipway_pre',
    ...run(),
    '\\else',
    ...renderPreOutcome(cs, pre.onFail, preOutcomeText(pre, 'onFail', key), 'onFail', tx, run),
    '\\endif',
  ];
}

/**
 * Preconditions that fail on PostgreSQL whatever the database holds (bodyNeverRuns: a `<dbms type="mysql"/>`, a
 * property not defined): their onFail outcome, without a check at run time; the parser left the body out.
 */
function renderStaticFailure(
  cs: ChangeSet,
  pre: Preconditions,
  key: string,
  tx: boolean,
  run: () => string[],
): string[] {
  return [
    `-- preconditions fail on PostgreSQL (decided at build, ${commentText(`${pre.location.file}:${pre.location.line}`)}): onFail ${pre.onFail}`,
    ...renderPreOutcome(cs, pre.onFail, preOutcomeText(pre, 'onFail', key), 'onFail', tx, run),
  ];
}

/** What a failed (onFail) or erroring (onError) precondition reports: the changeset and the changelog's message. */
function preOutcomeText(pre: Preconditions, which: 'onFail' | 'onError', key: string): string {
  const message = which === 'onFail' ? pre.onFailMessage : pre.onErrorMessage;
  const what = which === 'onFail' ? 'precondition failed' : 'precondition could not be checked';
  return `${what} for changeset ${key}${message ? `: ${message}` : ''}`;
}

/** What HALT / WARN / MARK_RAN / CONTINUE do when a precondition failed (or could not be checked). */
function renderPreOutcome(
  cs: ChangeSet,
  action: PreAction,
  what: string,
  which: 'onFail' | 'onError',
  tx: boolean,
  run: () => string[],
): string[] {
  const key = changeSetKey(cs);
  switch (action) {
    case 'HALT': {
      // The check's own error text (for onError) is in the session setting slipway.pre.
      const detail = which === 'onError' ? " || ' (' || current_setting('slipway.pre') || ')'" : '';
      return [
        `DO ${dollarQuote(`BEGIN RAISE EXCEPTION '%', ${quoteLiteral(`slipway: ${what}`)}${detail} USING HINT = ${quoteLiteral(`${which} is HALT; fix the database state or change ${which} (MARK_RAN, CONTINUE, WARN)`)}; END`)};`,
      ];
    }
    case 'WARN':
      return [`\\echo ${quotePsqlArg(`WARNING: ${what} (${which} WARN: running it anyway)`)}`, ...run()];
    case 'MARK_RAN': {
      // Liquibase 4.28's MarkChangeSetRanGenerator INSERTs a MARK_RAN row whatever the table holds (only RERAN is an
      // UPDATE): a runAlways / runOnChange changeset whose precondition fails on a later run gets one more row each
      // time, and a later RERAN updates all of them (measured: test/integration/db-rerun-mark-ran-oracle.test.ts).
      // A plain changeset reaches here only without a row (slipway_run), so the insert is unconditional for all.
      const record = tx ? [renderHistoryInsert(cs, 'MARK_RAN'), 'COMMIT;'] : [];
      if (!tx) withOwnCommit(record, [historyInsert(cs, 'MARK_RAN', false)]);
      return [...record, `\\echo 'slipway: MARK_RAN' ${quotePsqlArg(key)}`];
    }
    case 'CONTINUE':
      return [
        ...(tx ? ['COMMIT;'] : []),
        `\\echo ${quotePsqlArg(`slipway: skipped ${key} (${which === 'onFail' ? 'precondition failed' : 'precondition could not be checked'}, ${which} CONTINUE)`)}`,
      ];
  }
}
