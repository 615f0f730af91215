import type { ChangeSet } from './model.js';
import { DEFAULT_HISTORY_TABLES, historyTable, lockTable, type HistoryTables } from './history-tables.js';
import { quoteLiteral } from './sql-text.js';
import { normalizeChangeLogPathSql } from './changelog/paths.js';

/** LIQUIBASE column value: what Liquibase 4.28.1 (npm liquibase@4.28.1) writes — measured, it reports 4.28.0. */
export const LIQUIBASE_VERSION = '4.28.0';
/** Session advisory lock key that keeps two Slipway runs apart; released when the connection ends, even on failure. */
export const ADVISORY_LOCK_KEY = 1936484720;

/**
 * The history tables exactly as Liquibase 4.28 creates them on PostgreSQL (copied from `liquibase update-sql`
 * output, also with renamed tables: the lock table's key is `<name>_pkey`), made idempotent with IF NOT EXISTS so
 * the package runs on new and existing databases alike.
 */
export function historyDdl(t: HistoryTables = DEFAULT_HISTORY_TABLES): string[] {
  const lock = lockTable(t);
  return [
    `CREATE TABLE IF NOT EXISTS ${lock} (ID INTEGER NOT NULL, LOCKED BOOLEAN NOT NULL, LOCKGRANTED TIMESTAMP WITHOUT TIME ZONE, LOCKEDBY VARCHAR(255), CONSTRAINT ${t.lock}_pkey PRIMARY KEY (ID));`,
    `INSERT INTO ${lock} (ID, LOCKED) SELECT 1, FALSE WHERE NOT EXISTS (SELECT 1 FROM ${lock} WHERE ID = 1);`,
    `CREATE TABLE IF NOT EXISTS ${historyTable(t)} (ID VARCHAR(255) NOT NULL, AUTHOR VARCHAR(255) NOT NULL, FILENAME VARCHAR(255) NOT NULL, DATEEXECUTED TIMESTAMP WITHOUT TIME ZONE NOT NULL, ORDEREXECUTED INTEGER NOT NULL, EXECTYPE VARCHAR(10) NOT NULL, MD5SUM VARCHAR(35), DESCRIPTION VARCHAR(255), COMMENTS VARCHAR(255), TAG VARCHAR(255), LIQUIBASE VARCHAR(20), CONTEXTS VARCHAR(255), LABELS VARCHAR(255), DEPLOYMENT_ID VARCHAR(10));`,
  ];
}

/** The default tables' DDL (kept for callers that do not rename them). */
export const HISTORY_DDL = historyDdl();

/**
 * The lock check's body (PL/pgSQL, a variable `held text` declared): raises when Liquibase holds its lock. `version`,
 * a declared text variable, also receives the lock row's version (see changeSetCheck); `raiseIf`, a PL/pgSQL
 * condition, raises only when it holds too.
 */
function lockCheckBody(t: HistoryTables, version?: string, raiseIf?: string): string {
  const held = `CASE WHEN LOCKED THEN COALESCE(LOCKEDBY, '?') || ' since ' || COALESCE(LOCKGRANTED::text, '?') END`;
  const read = version ? `SELECT ${held}, xmin::text || ctid::text INTO held, ${version}` : `SELECT ${held} INTO held`;
  return `${read} FROM ${lockTable(t)} WHERE ID = 1 FOR UPDATE; IF held IS NOT NULL${raiseIf ? ` AND ${raiseIf}` : ''} THEN RAISE EXCEPTION 'slipway: ${t.lock} is held by %', held USING HINT = 'another Liquibase run is in progress; wait for it, or if it died run: liquibase release-locks'; END IF;`;
}

/**
 * Fails the current statement when Liquibase holds its lock. Run inside a changeset's transaction, FOR UPDATE also
 * makes a concurrent Liquibase wait until the changeset commits; nothing is written, so a failure never leaves the
 * lock held.
 */
export function lockCheck(t: HistoryTables = DEFAULT_HISTORY_TABLES): string {
  return `DO $slipway$ DECLARE held text; BEGIN ${lockCheckBody(t)} END $slipway$;`;
}

export const LOCK_CHECK = lockCheck();

/**
 * The session's normalizeChangeLogPath (Liquibase 4.28's DatabaseChangeLog.normalizePath), a temporary SQL function
 * made of normalizeChangeLogPathSql: created by the prelude and by rollback scripts (CHANGELOG_PATH_FUNCTION), called
 * through recordedPathKeySql and recordedFilenameSql.
 */
export const CHANGELOG_PATH = 'pg_temp.slipway_changelog_path';

/** Creates CHANGELOG_PATH (immutable: the planner folds it over a constant). */
export const CHANGELOG_PATH_FUNCTION = `CREATE OR REPLACE FUNCTION ${CHANGELOG_PATH}(p text) RETURNS text LANGUAGE sql IMMUTABLE AS $slipway$ SELECT ${normalizeChangeLogPathSql('p')} $slipway$;`;

/** recordedPathKey (paths.ts) of the FILENAME column `column`, in SQL: normalised twice, as Liquibase 4.28 keys a row. */
export function recordedPathKeySql(column: string): string {
  return `${CHANGELOG_PATH}(${CHANGELOG_PATH}(${column}))`;
}

/**
 * SQL: the history row's FILENAME (`column`) names the changeset recorded as `filename` (a SQL expression), as
 * Liquibase 4.28 finds rows (`normalizePath(FILENAME)::ID::AUTHOR`): the same text, else the same recordedPathKey as
 * the changeset path's normalizeChangeLogPath, `key` (a SQL expression; given, it is not computed again). The exact
 * comparison comes first, so a row Slipway or Liquibase 4.x wrote costs no normalising; `classpath:db/x.xml`,
 * `/db/x.xml` or `db\x.xml` (older Liquibase, Spring Boot, Windows) take the second. `ignoreCase`: compared as
 * RanChangeSet.isSameAs and DatabaseChangeLog.getChangeSets compare (rollback), `key` then lower-cased by the caller.
 */
export function recordedFilenameSql(
  column: string,
  filename: string,
  key = `${CHANGELOG_PATH}(${filename})`,
  ignoreCase = false,
): string {
  const recorded = recordedPathKeySql(column);
  return `(${column} = ${filename} OR ${ignoreCase ? `lower(${recorded})` : recorded} = ${key})`;
}

/** The session's changeset check, created by the prelude (a temporary function: it ends with the session). */
export const CHANGESET_CHECK = 'pg_temp.slipway_changeset';

/** The session's prepared history INSERT (historyRecord), deallocated at the package's end. */
export const HISTORY_RECORD = 'slipway_record';

/** historyRecord's conditional form: its first argument says whether to write the row at all (psql's slipway_new). */
export const HISTORY_RECORD_NEW = 'slipway_record_new';

/**
 * The session's copy of what decides "already applied?" — ID, AUTHOR, FILENAME, PATHKEY (its recordedPathKeySql) and
 * MD5SUM of every history row — indexed by key, so that a changeset check is an index lookup: the history table has
 * no index (Liquibase creates none, and the user's table is not ours to add one to), and a scan of it for every
 * changeset made a package of n changesets cost O(n²) (10,000 changesets re-run on a database that has them: 15–17 s
 * of the server's CPU, 2–3 s with the snapshot; /proc/<backend>/schedstat). Liquibase 4.28 reads its history once per run too (ShouldRunChangeSetFilter over the cached
 * getRanChangeSetList) and adds the rows it writes. Taken by the first changeset check, kept current by the
 * package's own history writes (historyRecord, historyRerun in render-changeset.ts), taken again when another writer
 * may have changed the history (changeSetCheck).
 */
export const HISTORY_SNAPSHOT = 'pg_temp.slipway_ran';

/**
 * ORDEREXECUTED as Liquibase 4.28 numbers rows (StandardChangeLogHistoryService.getNextSequenceValue: MAX read once,
 * then one more per row written): a session sequence, set to MAX + 1 whenever the snapshot is taken.
 */
export const ORDER_SEQUENCE = 'pg_temp.slipway_order';

/** The next ORDEREXECUTED (ORDER_SEQUENCE). */
export const NEXT_ORDER = `nextval('${ORDER_SEQUENCE}')`;

/** The session setting holding the lock row's version the snapshot was taken at ('' before the first). */
const SNAPSHOT_AT = 'slipway.history_at';

/** The prelude's part of the snapshot: the session's table, index and sequence, no snapshot taken yet. */
export const HISTORY_SNAPSHOT_DDL = [
  `SET ${SNAPSHOT_AT} TO '';`,
  'CREATE TEMP TABLE slipway_ran (ID text, AUTHOR text, FILENAME text, PATHKEY text, MD5SUM text);',
  `CREATE INDEX slipway_ran_key ON ${HISTORY_SNAPSHOT} (ID, AUTHOR, PATHKEY);`,
  'CREATE TEMP SEQUENCE slipway_order;',
];

/** SQL: the snapshot rows of the history rows in `rows` (a table or a CTE with ID, AUTHOR, FILENAME, MD5SUM). */
function snapshotInsert(rows: string): string {
  return `INSERT INTO ${HISTORY_SNAPSHOT} SELECT ID, AUTHOR, FILENAME, ${recordedPathKeySql('FILENAME')}, MD5SUM FROM ${rows}`;
}

/**
 * The function each changeset's first query calls (`SELECT * FROM pg_temp.slipway_changeset(id, author, filename)
 * \gset`, after BEGIN): in one statement whose plans PL/pgSQL keeps for the session, instead of a SET, a DO block
 * compiled anew for every changeset and a SELECT parsed and planned anew. In this order, as before:
 * 1. In a changeset's transaction (p_in_transaction), `synchronous_commit` off for that transaction only: its COMMIT
 *    returns without waiting for the WAL flush. Nothing is weakened: asynchronous commit never corrupts and never
 *    reorders — a server crash can only lose the last commits, each with its own history row, so the database is as
 *    if the run had stopped earlier and the next run applies them again. What makes them durable: the package's
 *    last statement, FLUSH_COMMITS, a synchronous commit, flushes the WAL of all of them before psql exits 0; and
 *    when the run stops early (a failing changeset, ON_ERROR_STOP, psql killed, the connection lost), the server
 *    ends the session by dropping its temporary objects — this function — in a transaction committed with the
 *    session's own `synchronous_commit`, which flushes them too. `slipway db apply` drops it itself before it
 *    reports a failure (DROP_CHANGESET_CHECK).
 * 2. The lock check (lockCheck's), which holds Liquibase's lock row until the changeset commits.
 * 3. The snapshot (HISTORY_SNAPSHOT), taken — in a statement of its own, a new snapshot taken once the lock row is
 *    held — when there is none yet or the lock row is not the version it was taken at (HISTORY_SYNC). A tool that
 *    writes the history as Liquibase does takes Liquibase's lock first and releases it after (Liquibase's update,
 *    rollback, changelog-sync, and the scripts update-sql prints; Slipway's own scripts wait for the advisory lock
 *    instead), and each is an UPDATE of the lock row: a new row version (xmin, ctid). Holding the row unlocked, no
 *    such writer is running, and none can start before this changeset commits. A writer that ignores the lock is not
 *    noticed (nor would Liquibase notice it), and neither is a changeset's own SQL writing the history: as in
 *    Liquibase, the run goes by the history it read and the rows it wrote.
 * 4. "Already applied?", from the snapshot: slipway_new = no history row; slipway_run = no row (p_sums NULL), no row
 *    with one of these checksums (runOnChange: p_sums) or always (runAlways: p_always). A row is the changeset's when
 *    Liquibase 4.28's ShouldRunChangeSetFilter finds it by its key (recordedFilenameSql: FILENAME the changeset's
 *    path, or PATHKEY its normalised path — also `classpath:db/x.xml`, `/db/x.xml` or `db\x.xml`); the index finds
 *    both, a row with the same FILENAME having the PATHKEY of the path normalised once more. slipway_new also decides
 *    whether a runOnChange/runAlways changeset's history is an INSERT or the RERAN UPDATE (render-changeset.ts).
 */
export function changeSetCheck(): string {
  return [
    `CREATE OR REPLACE FUNCTION ${CHANGESET_CHECK}(p_id text, p_author text, p_filename text, p_sums text[] DEFAULT NULL, p_always boolean DEFAULT false, p_in_transaction boolean DEFAULT true, OUT slipway_new boolean, OUT slipway_run boolean) LANGUAGE plpgsql AS $slipway$`,
    'DECLARE k text;',
    'BEGIN',
    "  IF p_in_transaction THEN PERFORM set_config('synchronous_commit', 'off', true); END IF;",
    `  PERFORM ${HISTORY_SYNC}();`,
    `  k := ${CHANGELOG_PATH}(p_filename);`,
    '  SELECT count(*) = 0, p_always OR count(*) FILTER (WHERE p_sums IS NULL OR MD5SUM = ANY (p_sums)) = 0',
    `    INTO slipway_new, slipway_run FROM ${HISTORY_SNAPSHOT}`,
    `   WHERE ID = p_id AND AUTHOR = p_author AND PATHKEY = ANY (ARRAY[k, ${CHANGELOG_PATH}(k)]) AND (FILENAME = p_filename OR PATHKEY = k);`,
    'END',
    '$slipway$;',
  ].join('\n');
}

/**
 * The session's lock check and snapshot (changeSetCheck's steps 2 and 3), also called on its own, as
 * `slipway_history(false)`, before the history row of a runInTransaction:false changeset (render-changeset.ts),
 * whose check held the lock row only for itself: a Liquibase run between the check and the row is noticed before the
 * row takes its ORDEREXECUTED. There it does not raise when Liquibase holds its lock: the changeset's statements
 * have run and their row is written, as it was before; the next changeset's check stops the package.
 */
export const HISTORY_SYNC = 'pg_temp.slipway_history';

/** Creates HISTORY_SYNC. */
export function historySync(t: HistoryTables = DEFAULT_HISTORY_TABLES): string {
  const history = historyTable(t);
  return [
    `CREATE OR REPLACE FUNCTION ${HISTORY_SYNC}(p_check_lock boolean DEFAULT true) RETURNS void LANGUAGE plpgsql AS $slipway$`,
    'DECLARE held text; lock_at text;',
    'BEGIN',
    `  ${lockCheckBody(t, 'lock_at', 'p_check_lock')}`,
    `  lock_at := COALESCE(lock_at, 'no lock row');`,
    `  IF lock_at <> current_setting('${SNAPSHOT_AT}') THEN`,
    `    TRUNCATE ${HISTORY_SNAPSHOT};`,
    `    ${snapshotInsert(history)};`,
    `    PERFORM setval('${ORDER_SEQUENCE}', COALESCE(MAX(ORDEREXECUTED), 0) + 1, false) FROM ${history};`,
    `    PERFORM set_config('${SNAPSHOT_AT}', lock_at, false);`,
    '  END IF;',
    'END',
    '$slipway$;',
  ].join('\n');
}

/**
 * The package's last statement: a synchronous commit of a transaction that writes WAL (one that only takes an id
 * commits asynchronously: measured with txid_current()), so it waits for the flush of all WAL before it — every
 * changeset's asynchronous commit (changeSetCheck). Dropping the session's check function is that transaction; it
 * names no table, so it is the same whatever the history tables are called.
 */
export const FLUSH_COMMITS = `DROP FUNCTION ${CHANGESET_CHECK};`;

/**
 * The package's end: the prepared INSERTs and the snapshot go (a second package in the same session makes them
 * again), then FLUSH_COMMITS.
 */
export const PACKAGE_END = `DEALLOCATE ${HISTORY_RECORD};\nDEALLOCATE ${HISTORY_RECORD_NEW};\nDROP FUNCTION ${HISTORY_SYNC};\nDROP TABLE ${HISTORY_SNAPSHOT};\nDROP SEQUENCE ${ORDER_SEQUENCE};\n${FLUSH_COMMITS}`;

/** FLUSH_COMMITS for a run that stopped (the function may not exist yet): what `slipway db apply` runs on failure. */
export const DROP_CHANGESET_CHECK = `DROP FUNCTION IF EXISTS ${CHANGESET_CHECK};`;

/**
 * The history row of a changeset as one prepared statement (`EXECUTE slipway_record(id, author, filename, md5sum,
 * description, comments, exectype, contexts, labels, tag)`): PostgreSQL parses, analyses and plans the ~400-byte
 * INSERT once per session instead of once per changeset (that was ~30 % of the server's CPU for changesets of one
 * small statement, perf). The row is the one the INSERT wrote itself: same columns and values, TAG NULL when the
 * changeset has none (the column's default), ORDEREXECUTED the next of ORDER_SEQUENCE; the same statement adds it to
 * the snapshot (HISTORY_SNAPSHOT). `conditional`: HISTORY_RECORD_NEW, whose first argument (psql's :'slipway_new')
 * says whether to write the row — a runOnChange/runAlways changeset recorded already gets the RERAN UPDATE instead.
 */
export function historyRecord(t: HistoryTables = DEFAULT_HISTORY_TABLES, conditional = false): string {
  const at = conditional ? 2 : 1;
  const v = (i: number): string => `$${i + at - 1}`;
  const values = `${v(1)}, ${v(2)}, ${v(3)}, NOW(), ${NEXT_ORDER}, ${v(4)}, ${v(5)}, ${v(6)}, ${v(7)}, ${v(8)}, ${v(9)}, '${LIQUIBASE_VERSION}', :'slipway_deployment_id', ${v(10)}`;
  const params = `${conditional ? 'boolean, ' : ''}text, text, text, text, text, text, text, text, text, text`;
  const insert = `INSERT INTO ${historyTable(t)} (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, MD5SUM, DESCRIPTION, COMMENTS, EXECTYPE, CONTEXTS, LABELS, LIQUIBASE, DEPLOYMENT_ID, TAG) ${conditional ? `SELECT ${values} WHERE $1` : `VALUES (${values})`}`;
  return `PREPARE ${conditional ? HISTORY_RECORD_NEW : HISTORY_RECORD}(${params}) AS WITH r AS (${insert} RETURNING ID, AUTHOR, FILENAME, MD5SUM) ${snapshotInsert('r')};`;
}

/** Session setup: ON_ERROR_STOP, advisory lock, a Liquibase-style DEPLOYMENT_ID (last 10 digits of epoch millis). */
export function renderPrelude(t: HistoryTables = DEFAULT_HISTORY_TABLES, defaultSchema?: string): string[] {
  return [
    '\\set ON_ERROR_STOP on',
    ...(defaultSchema ? [searchPathSql(defaultSchema)] : []),
    `SELECT pg_advisory_lock(${ADVISORY_LOCK_KEY}) IS NOT NULL AS slipway_advisory_lock \\gset`,
    "SELECT lpad(((extract(epoch FROM clock_timestamp()) * 1000)::bigint % 10000000000)::text, 10, '0') AS slipway_deployment_id \\gset",
    ...historyDdl(t),
    lockCheck(t),
    CHANGELOG_PATH_FUNCTION,
    ...HISTORY_SNAPSHOT_DDL,
    historySync(t),
    changeSetCheck(),
    historyRecord(t),
    historyRecord(t, true),
  ];
}

/**
 * Liquibase's DatabaseUtils.initializeDatabase for a defaultSchemaName on PostgreSQL: unless the search_path already
 * starts with the schema, `SET SEARCH_PATH TO <schema>, <the current entries>`. `schema` is a lower-case identifier
 * (checked by historyTables), so it needs no quoting.
 */
export function searchPathSql(schema: string): string {
  return `SELECT set_config('search_path', CASE WHEN current_setting('search_path') ~ '^"?${schema}"?(,|$)' THEN current_setting('search_path') ELSE '${schema}, ' || current_setting('search_path') END, false) AS slipway_search_path \\gset`;
}

/** Liquibase's StringUtil.limitSize: longer values are cut to `max` with "..." at the end. */
export function limitSize(value: string, max = 255): string {
  return value.length > max ? value.slice(0, max - 3) + '...' : value;
}

/** The validation block up to its first VALUES row. */
const VALIDATION_HEAD = [
  'DO $slipway$',
  'DECLARE drift text;',
  'BEGIN',
  '  CREATE TEMP TABLE slipway_expected (id text, author text, filename text, md5sum text, v8 text, valid text[]) ON COMMIT DROP;',
  '  INSERT INTO slipway_expected VALUES',
  '',
].join('\n');

/** A changeset's row of the checksum validation block (renderChecksumValidationRows), without a separator. */
export function checksumValidationRow(cs: ChangeSet): string {
  // A runOnChange changeset never drifts (any recorded sum is valid) and only a NULL sum is filled in: with its
  // sum in place, the changeset check (changeSetCheck) does not run it again, as Liquibase does not.
  const valid = cs.runOnChange
    ? "'{ANY}'"
    : cs.validCheckSums.length
      ? `ARRAY[${cs.validCheckSums.map((v) => quoteLiteral(v)).join(', ')}]`
      : "'{}'";
  const v8 = cs.runOnChange ? null : (cs.checksumV8 ?? null);
  return `  (${quoteLiteral(cs.id)}, ${quoteLiteral(cs.author)}, ${quoteLiteral(cs.filename)}, ${quoteLiteral(cs.checksum)}, ${quoteLiteral(v8)}, ${valid})`;
}

/**
 * Validates every recorded checksum before anything runs (Liquibase validates first too): a changeset whose
 * recorded MD5SUM is neither the current one, its "8:" form (when known), nor a validCheckSum stops the run, listing
 * all of them. Then, as Liquibase does, NULL (cleared) and matching "8:" sums are upgraded to the "9:" value.
 * "8:" rows of changesets whose v8 sum is unknown are accepted as they are. A runOnChange changeset's NULL sum is
 * filled in too, so it does not run again (measured: test/integration/db-null-md5sum-oracle.test.ts).
 * `rows`: the text of the checksumValidationRow of each changeset in run order, joined by ',\n', in pieces (none
 * when there are no changesets). Yields the block in pieces, so that no caller holds the rows: held as one array and
 * joined, the rows of 10,000 changesets were 7.5 MB promoted to V8's old space (--trace-gc-nvp), the package's whole
 * render garbage but 0.4 MB.
 */
export function* renderChecksumValidationRows(
  rows: Iterable<string>,
  t: HistoryTables = DEFAULT_HISTORY_TABLES,
): Generator<string> {
  let first = true;
  for (const piece of rows) {
    if (piece.length === 0) continue;
    if (first) yield VALIDATION_HEAD;
    yield piece;
    first = false;
  }
  if (first) return;
  const join = `h.ID = p.id AND h.AUTHOR = p.author AND ${recordedFilenameSql('h.FILENAME', 'p.filename')}`;
  yield [
    ';',
    "  SELECT string_agg(format('%s::%s::%s (recorded %s, changelog has %s)', h.FILENAME, h.ID, h.AUTHOR, h.MD5SUM, p.md5sum), '; ' ORDER BY h.ORDEREXECUTED)",
    '    INTO drift',
    `    FROM ${historyTable(t)} h JOIN slipway_expected p ON ${join}`,
    '   WHERE h.MD5SUM IS NOT NULL AND h.MD5SUM <> p.md5sum AND h.MD5SUM IS DISTINCT FROM p.v8',
    "     AND NOT (p.v8 IS NULL AND h.MD5SUM LIKE '8:%') AND NOT (h.MD5SUM = ANY (p.valid)) AND NOT ('ANY' = ANY (p.valid));",
    '  IF drift IS NOT NULL THEN',
    "    RAISE EXCEPTION 'slipway: checksum changed for changesets already applied: %', drift",
    "      USING HINT = 'revert the edit, add a new changeset instead, or mark it runOnChange / add --validCheckSum';",
    '  END IF;',
    `  UPDATE ${historyTable(t)} h SET MD5SUM = p.md5sum FROM slipway_expected p WHERE ${join} AND (h.MD5SUM IS NULL OR h.MD5SUM = p.v8);`,
    'END',
    '$slipway$;',
  ].join('\n');
}
