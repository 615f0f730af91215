/**
 * Conformance runner for the shared Liquibase corpus (../shared/corpus, read-only): packages a unit with Slipway and
 * runs it with psql on one database, runs real Liquibase 4.28 on another, and compares what both left behind.
 * Every comparison reports the first difference it finds, so a failing unit names one concrete place.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { buildDatabasePackage } from '../../src/db/package.js';
import { LIQUIBASE_BIN, liquibaseEnv } from './liquibase-cli.js';
import { PG_ADMIN_URL, queryRows, scratchDatabaseName, type TestDatabase } from './pg.js';

const run = promisify(execFile);
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
// The corpus lies in shared/ beside the checkout (CI: a clone with shared/ next to it); a git worktree one level
// deeper (wt/<name>) finds it one more level up. SLIPWAY_CORPUS_DIR overrides both. No fallback skips the suite.
const CORPUS_CANDIDATES = [path.resolve(repoRoot, '../shared/corpus'), path.resolve(repoRoot, '../../shared/corpus')];
export const CORPUS_DIR =
  process.env.SLIPWAY_CORPUS_DIR ??
  CORPUS_CANDIDATES.find((dir) => existsSync(path.join(dir, 'units.json'))) ??
  CORPUS_CANDIDATES[0]!;

export interface CorpusPass {
  args: string[];
  sameDatabase?: boolean;
}

export interface CorpusUnit {
  unit: string;
  searchRoot: string;
  changelog: string;
  args?: string[];
  globalArgs?: string[];
  passes?: CorpusPass[];
  rolesFirst?: string[];
  /** Schemas the application creates before it runs Liquibase (a tenant's schema as its default schema). */
  schemasFirst?: string[];
  /** Roles the changelog itself creates (cluster-wide): dropped before each run so that every run can create them. */
  rolesCreated?: string[];
  /**
   * SQL files (relative to the corpus folder) the application's installer runs before Liquibase (a Docker init script
   * creating the base schema), run with psql on every fresh database before Slipway or Liquibase.
   */
  sqlFirst?: string[];
  /**
   * `database.customChanges` for Slipway: class → SQL file, relative to the unit's search root. Liquibase gets the
   * classes from a `--classpath=` global argument (no-op stand-ins compiled for the corpus: on an empty database the
   * real classes have no rows to migrate).
   */
  customChanges?: Record<string, string>;
  /**
   * The mixed run stops Liquibase with `update-count`, never `update-to-tag`: Liquibase 4.28's update-to-tag fails
   * (NullPointerException) on a changelog that has a tagDatabase without a tag (YAML `- tagDatabase:`).
   */
  mixedByCount?: boolean;
  urlSuffix?: string;
  requiresExtension?: string;
  updateSqlOnly?: boolean;
  why?: string;
  expect?: { table?: string; rows?: number };
}

/** Where a unit first departs from Liquibase: the stage, the changeset when one is known, and the difference. */
export interface UnitOutcome {
  stage: 'package' | 'psql' | 'schema' | 'data' | 'history' | 'status' | 'validate' | 'mixed' | null;
  changeset?: string;
  message: string;
}

/** An entry of test/integration/corpus-known-gaps.json: a unit that does not pass yet, and exactly how it fails. */
export interface KnownGap {
  unit: string;
  stage: NonNullable<UnitOutcome['stage']>;
  changeset?: string;
  /** A substring of the failure message that pins the failure down. */
  match: string;
  reason: string;
}

/** The units of corpus/units.json, in file order. */
export function loadUnits(): CorpusUnit[] {
  const raw = JSON.parse(readFileSync(path.join(CORPUS_DIR, 'units.json'), 'utf8')) as { units: CorpusUnit[] };
  return raw.units;
}

/** A unit's passes: `passes` when it has several (on one database), else one pass with its `args`. */
export function passesOf(u: CorpusUnit): CorpusPass[] {
  return u.passes ?? [{ args: u.args ?? [] }];
}

interface SlipwayArgs {
  properties: Record<string, string>;
  contexts: string[];
  labels?: string;
  changelogTable?: string;
  changelogLockTable?: string;
  defaultSchemaName?: string;
  changelogSchema?: string;
}

/** The Slipway options equivalent to a unit's Liquibase arguments (-D, --contexts, --labels, table names). */
export function slipwayArgs(u: CorpusUnit, pass: CorpusPass, dbName: string): SlipwayArgs {
  const out: SlipwayArgs = { properties: {}, contexts: [] };
  for (const a of [...(u.globalArgs ?? []), ...pass.args]) {
    const eq = a.indexOf('=');
    const value = a.slice(eq + 1).replaceAll('${DATABASE_NAME}', dbName);
    if (a.startsWith('-D')) out.properties[a.slice(2, eq)] = value;
    else if (a.startsWith('--contexts=')) out.contexts = value.split(',');
    else if (a.startsWith('--labels=') || a.startsWith('--label-filter=')) out.labels = value;
    else if (a.startsWith('--database-changelog-table-name=')) out.changelogTable = value;
    else if (a.startsWith('--database-changelog-lock-table-name=')) out.changelogLockTable = value;
    else if (a.startsWith('--default-schema-name=')) out.defaultSchemaName = value;
    else if (a.startsWith('--liquibase-schema-name=')) out.changelogSchema = value;
    else if (a.startsWith('--classpath='))
      continue; // the custom change classes Liquibase runs (customChanges)
    else throw new Error(`corpus runner: unknown Liquibase argument ${a} in unit ${u.unit}`);
  }
  return out;
}

function historyTable(u: CorpusUnit): string {
  const g = (u.globalArgs ?? []).find((a) => a.startsWith('--database-changelog-table-name='));
  return g ? g.slice(g.indexOf('=') + 1) : 'databasechangelog';
}

/** Where Liquibase keeps its history: `--liquibase-schema-name`, else `--default-schema-name`, else public. */
function historySchema(u: CorpusUnit): string {
  const args = u.globalArgs ?? [];
  const g =
    args.find((a) => a.startsWith('--liquibase-schema-name=')) ??
    args.find((a) => a.startsWith('--default-schema-name='));
  return g ? g.slice(g.indexOf('=') + 1) : 'public';
}

function lockTable(u: CorpusUnit): string {
  const g = (u.globalArgs ?? []).find((a) => a.startsWith('--database-changelog-lock-table-name='));
  return g ? g.slice(g.indexOf('=') + 1) : 'databasechangeloglock';
}

/** `currentSchema` of a JDBC URL suffix as a PostgreSQL search_path (what pgjdbc sets), or null. */
function searchPathOf(u: CorpusUnit): string | null {
  const m = /[?&]currentSchema=([^&]+)/.exec(u.urlSuffix ?? '');
  return m ? decodeURIComponent(m[1]!) : null;
}

function pgEnv(u: CorpusUnit): NodeJS.ProcessEnv {
  const sp = searchPathOf(u);
  return { ...process.env, ...(sp ? { PGOPTIONS: `-c search_path=${sp}` } : {}) };
}

async function output(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const { stdout, stderr } = await run(cmd, args, { cwd: '/', maxBuffer: 256 * 1024 * 1024, ...(env ? { env } : {}) });
  return stdout + stderr;
}

/** Real Liquibase 4.28 on `db` with the unit's search root, changelog and global arguments. */
export async function liquibase(u: CorpusUnit, db: TestDatabase, command: string[], args: string[]): Promise<string> {
  const url = new URL(db.url);
  const argv = [
    `--url=jdbc:postgresql://${url.hostname}:${url.port || '5432'}${url.pathname}${u.urlSuffix ?? ''}`,
    `--username=${decodeURIComponent(url.username) || 'postgres'}`,
    `--password=${decodeURIComponent(url.password)}`,
    `--search-path=${path.resolve(CORPUS_DIR, u.searchRoot)}`,
    `--changelog-file=${u.changelog}`,
    ...(u.globalArgs ?? []),
    ...command,
    ...args.map((a) => a.replaceAll('${DATABASE_NAME}', db.name)),
  ];
  try {
    return await output(LIQUIBASE_BIN, argv, liquibaseEnv());
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `liquibase ${command.join(' ')} failed on ${u.unit}:\n${err.stdout ?? ''}${err.stderr ?? err.message}`,
    );
  }
}

/** A random database name for one unit: its three runs (Slipway, Liquibase, mixed) use it one after another. */
export function unitDatabaseName(): string {
  return scratchDatabaseName('corpus');
}

/**
 * Creates the database `name` with the unit's roles (cluster-wide, created once) in place. All runs of a unit use the
 * same name, one after another, because changelogs may write the database's name into SQL and, through property
 * expansion, into checksums (edp-ddm's `-DdbName`): two names would differ for a reason that is not Slipway's.
 */
export async function freshDatabase(u: CorpusUnit, name: string): Promise<TestDatabase> {
  await queryRows(PG_ADMIN_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  const created = (u.rolesCreated ?? []).map((r) => r.replaceAll('${DATABASE_NAME}', name).replaceAll('"', '""'));
  for (const role of created) await queryRows(PG_ADMIN_URL, `DROP ROLE IF EXISTS "${role}"`);
  await queryRows(PG_ADMIN_URL, `CREATE DATABASE "${name}"`);
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  const db: TestDatabase = {
    name,
    url: url.toString(),
    drop: async () => {
      await queryRows(PG_ADMIN_URL, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      for (const role of created) await queryRows(PG_ADMIN_URL, `DROP ROLE IF EXISTS "${role}"`);
    },
  };
  for (const role of u.rolesFirst ?? []) {
    const q = role.replaceAll('"', '""');
    // Roles are cluster-wide and other runs may create the same one at the same moment: tolerate duplicates.
    await queryRows(
      db.url,
      `DO $r$ BEGIN CREATE ROLE "${q}"; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $r$`,
    );
  }
  for (const schema of u.schemasFirst ?? []) await queryRows(db.url, `CREATE SCHEMA "${schema.replaceAll('"', '""')}"`);
  for (const file of u.sqlFirst ?? []) {
    await output('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url, '-f', path.resolve(CORPUS_DIR, file)]);
  }
  return db;
}

/** Builds Slipway's package for one pass; throws what `buildDatabasePackage` throws. */
export async function slipwayPackage(u: CorpusUnit, pass: CorpusPass, dbName: string): Promise<string> {
  const a = slipwayArgs(u, pass, dbName);
  const r = await buildDatabasePackage({
    rootDir: path.resolve(CORPUS_DIR, u.searchRoot),
    changelog: u.changelog,
    properties: a.properties,
    contexts: a.contexts,
    ...(a.labels !== undefined ? { labels: a.labels } : {}),
    ...(a.changelogTable ? { changelogTable: a.changelogTable } : {}),
    ...(a.changelogLockTable ? { changelogLockTable: a.changelogLockTable } : {}),
    ...(a.defaultSchemaName ? { defaultSchemaName: a.defaultSchemaName } : {}),
    ...(a.changelogSchema ? { changelogSchema: a.changelogSchema } : {}),
    ...(u.customChanges
      ? {
          customChanges: Object.fromEntries(
            Object.entries(u.customChanges).map(([cls, file]) => [cls, path.resolve(CORPUS_DIR, u.searchRoot, file)]),
          ),
        }
      : {}),
    application: 'corpus',
    version: '0',
    sourceDateEpoch: 0,
  });
  return r.sql;
}

/** Runs package SQL with `psql -v ON_ERROR_STOP=1 -f`; on failure names the changeset the failing line belongs to. */
export async function runPsql(u: CorpusUnit, db: TestDatabase, sql: string): Promise<UnitOutcome | null> {
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-corpus-'));
  const file = path.join(dir, 'package.sql');
  try {
    await writeFile(file, sql);
    await output('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', db.url, '-f', file], pgEnv(u));
    return null;
  } catch (e) {
    const text = `${(e as { stderr?: string }).stderr ?? (e as Error).message}`;
    const err = /psql:[^:]*:(\d+): (ERROR: .*)/.exec(text);
    const line = err ? Number(err[1]) : 0;
    const lines = sql.split('\n').slice(0, line);
    const marker = [...lines].reverse().find((l) => l.startsWith('-- changeset '));
    return {
      stage: 'psql',
      ...(marker ? { changeset: marker.slice('-- changeset '.length).replace(/ \(.*$/, '') } : {}),
      message: err ? err[2]! : text.trim().split('\n').slice(-3).join(' '),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** `pg_dump --schema-only`, with only what must differ between two dumps removed (pg_dump's random key). */
export async function dumpSchema(db: TestDatabase): Promise<string[]> {
  return normaliseDump(await output('pg_dump', ['--schema-only', '-d', db.url]));
}

function normaliseDump(text: string): string[] {
  // pg_dump ≥ 15.14 brackets the dump with \restrict/\unrestrict and a random key.
  return text.split('\n').filter((l) => !/^\\(un)?restrict /.test(l));
}

/**
 * Large objects by content: each column of type oid (in a user table) and the md5 of every large object, so that a
 * row whose value is a large object compares by what it holds — two runs create their objects under different oids.
 */
async function largeObjects(db: TestDatabase): Promise<{ columns: Set<string>; digests: Map<string, string> }> {
  const cols = await queryRows(
    db.url,
    `SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) || '.' || quote_ident(a.attname) AS col
       FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE a.atttypid = 'oid'::regtype AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
        AND n.nspname NOT IN ('pg_catalog', 'information_schema')`,
  );
  const digests = new Map<string, string>();
  if (cols.length > 0) {
    const los = await queryRows(
      db.url,
      'SELECT oid::text AS oid, md5(lo_get(oid)) AS md5 FROM pg_largeobject_metadata',
    );
    for (const r of los) digests.set(r.oid as string, `<lo md5 ${r.md5 as string}>`);
  }
  return { columns: new Set(cols.map((r) => r.col as string)), digests };
}

/** A COPY block's oid columns (their positions), from `COPY <schema>.<table> (<columns>) FROM stdin;`. */
function oidPositions(copy: string, columns: Set<string>): number[] {
  const m = /^COPY (\S+) \((.*)\) FROM stdin;$/.exec(copy);
  if (!m || columns.size === 0) return [];
  return m[2]!
    .split(', ')
    .map((c, i) => (columns.has(`${m[1]}.${c}`) ? i : -1))
    .filter((i) => i >= 0);
}

/** Table data (`pg_dump --data-only`) without the history/lock tables; run-time values masked, rows sorted per table. */
export async function dumpData(u: CorpusUnit, db: TestDatabase): Promise<string[]> {
  const text = await output('pg_dump', [
    '--data-only',
    `--exclude-table=${historySchema(u)}.${historyTable(u)}`,
    `--exclude-table=${historySchema(u)}.${lockTable(u)}`,
    '-d',
    db.url,
  ]);
  const lo = await largeObjects(db);
  const out: string[] = [];
  let block: string[] | null = null;
  let oids: number[] = [];
  for (const raw of normaliseDump(text)) {
    if (block) {
      if (raw === '\\.') {
        out.push(...block.sort(), raw);
        block = null;
      } else {
        const fields = raw.split('\t');
        for (const i of oids) fields[i] = lo.digests.get(fields[i]!) ?? fields[i]!;
        block.push(maskRunTimeValues(fields.join('\t')));
      }
    } else {
      if (raw.startsWith('SELECT pg_catalog.setval(')) out.push(raw);
      else if (raw.startsWith('COPY ')) {
        out.push(raw);
        oids = oidPositions(raw, lo.columns);
        block = [];
      }
    }
  }
  return out;
}

const TODAY = new Date().toISOString().slice(0, 10);

/**
 * Values a run produces rather than the changelog: timestamps of the run day (NOW(), CURRENT_TIMESTAMP defaults) and
 * UUIDs (uuid_generate_v4(), random()-based properties). Data the changelog writes literally never looks like either
 * on the day the suite runs, unless it is dated today; that residual risk is accepted.
 */
function maskRunTimeValues(line: string): string {
  return line
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<uuid>')
    .replace(new RegExp(`${TODAY}[ T][0-9:.+-]*`, 'g'), '<now>');
}

const HISTORY_COLUMNS =
  'id, author, filename, md5sum, description, comments, tag, contexts, labels, exectype, orderexecuted';

/** The history rows in the compared columns, in ORDEREXECUTED order (psql -At form). */
export async function historyRows(u: CorpusUnit, db: TestDatabase): Promise<string[]> {
  const rows = await queryRows(
    db.url,
    `SELECT ${HISTORY_COLUMNS} FROM ${historySchema(u)}.${historyTable(u)} ORDER BY orderexecuted, id`,
  );
  return rows.map((r) =>
    Object.values(r)
      .map((v) => (v === null ? '∅' : String(v)))
      .join('|'),
  );
}

/** First difference of two line lists as a short message, or null when equal. */
export function firstDifference(label: string, ours: string[], theirs: string[]): string | null {
  const n = Math.max(ours.length, theirs.length);
  for (let i = 0; i < n; i++) {
    if (ours[i] !== theirs[i]) {
      return `${label} differs at line ${i + 1} (slipway ${ours.length} lines, liquibase ${theirs.length}):\n  slipway:   ${ours[i] ?? '(end)'}\n  liquibase: ${theirs[i] ?? '(end)'}`;
    }
  }
  return null;
}

/** Multiset difference for dumps whose order is not meaningful; null when equal. */
function setDifference(label: string, ours: string[], theirs: string[]): string | null {
  const count = new Map<string, number>();
  for (const l of theirs) count.set(l, (count.get(l) ?? 0) + 1);
  const extra: string[] = [];
  for (const l of ours) {
    const c = count.get(l) ?? 0;
    if (c > 0) count.set(l, c - 1);
    else extra.push(l);
  }
  const missing = [...count.entries()].filter(([, c]) => c > 0).map(([l]) => l);
  if (!extra.length && !missing.length) return null;
  return `${label}: ${extra.length} line(s) only in slipway's, ${missing.length} only in liquibase's:\n  slipway:   ${extra[0] ?? '-'}\n  liquibase: ${missing[0] ?? '-'}`;
}

/** The changeset a history-row difference concerns (filename::id::author of the first differing row). */
function rowChangeset(row: string | undefined): string | undefined {
  if (!row) return undefined;
  const [id, author, filename] = row.split('|');
  return `${filename}::${id}::${author}`;
}

/** What a run left behind, read before its database is dropped. */
export interface Snapshot {
  schema: string[];
  data: string[];
  history: string[];
}

/** Schema, data and history rows of `db`. */
export async function snapshot(u: CorpusUnit, db: TestDatabase): Promise<Snapshot> {
  return { schema: await dumpSchema(db), data: await dumpData(u, db), history: await historyRows(u, db) };
}

/** Compares what two runs left: schema, then data, then history rows; the first difference, or null. */
export function compareSnapshots(
  u: CorpusUnit,
  ours: Snapshot,
  theirs: Snapshot,
  stagePrefix: 'full' | 'mixed',
): UnitOutcome | null {
  const stage = (s: 'schema' | 'data' | 'history'): UnitOutcome['stage'] => (stagePrefix === 'mixed' ? 'mixed' : s);
  const schema = firstDifference('pg_dump --schema-only', ours.schema, theirs.schema);
  if (schema) return { stage: stage('schema'), message: schema };
  const data = setDifference('table data', ours.data, theirs.data);
  if (data) return { stage: stage('data'), message: data };
  const history = firstDifference(`${historyTable(u)} rows`, ours.history, theirs.history);
  if (history) {
    const i = ours.history.findIndex((r, k) => r !== theirs.history[k]);
    const cs = rowChangeset(ours.history[i] ?? theirs.history[i]);
    return { stage: stage('history'), ...(cs ? { changeset: cs } : {}), message: history };
  }
  return null;
}

/**
 * What `liquibase status --verbose` says of a database with the last pass's arguments: the count line (its URL, which
 * names the scratch database, cut off) and the changesets it lists, or "up to date". Changesets Liquibase itself
 * leaves unrecorded (failOnError=false that failed, runAlways) are listed on its own database too, so the verdict on
 * Slipway's database is compared with the verdict on Liquibase's, not with "up to date".
 */
export async function liquibaseStatus(u: CorpusUnit, db: TestDatabase): Promise<string> {
  const last = passesOf(u).at(-1)!;
  const out = await liquibase(u, db, ['status', '--verbose'], last.args).catch((e: Error) => e.message);
  if (/is up to date/.test(out)) return 'up to date';
  const lines = out.split('\n');
  const count = lines.find((l) => /changesets? ha(s|ve) not been applied/.test(l));
  if (!count) return `unreadable status output:\n${lines.slice(-12).join('\n')}`;
  return [
    count.replace(/ to \S+@\S+$/, ''),
    ...lines.filter((l) => /^\s+\S.*::.*::/.test(l)).map((l) => l.trim()),
  ].join('\n');
}

/** Liquibase's status of Slipway's database against its status of its own database: they must list the same. */
export function statusDifference(ourStatus: string, theirStatus: string): UnitOutcome | null {
  if (ourStatus === theirStatus) return null;
  return {
    stage: 'status',
    message: `liquibase status differs:\n  on slipway's database: ${ourStatus}\n  on liquibase's: ${theirStatus}`,
  };
}

/** `liquibase validate` on the database Slipway's package built must find nothing (last pass's arguments). */
export async function liquibaseValidates(u: CorpusUnit, ours: TestDatabase): Promise<UnitOutcome | null> {
  const last = passesOf(u).at(-1)!;
  const validate = await liquibase(u, ours, ['validate'], last.args).catch((e: Error) => e.message);
  if (!/No validation errors found/.test(validate)) {
    return { stage: 'validate', message: `liquibase validate: ${validate.split('\n').slice(-12).join('\n')}` };
  }
  return null;
}

/** A tag Liquibase recorded near the middle of its run, for a mixed `update-to-tag` run; null when there is none. */
export async function middleTag(u: CorpusUnit, theirs: TestDatabase): Promise<string | null> {
  const rows = await queryRows(
    theirs.url,
    `SELECT tag, orderexecuted, (SELECT count(*) FROM ${historySchema(u)}.${historyTable(u)}) AS n FROM ${historySchema(u)}.${historyTable(u)} WHERE tag IS NOT NULL ORDER BY orderexecuted`,
  );
  if (!rows.length) return null;
  const n = Number(rows[0]!.n);
  const best = [...rows].sort(
    (a, b) => Math.abs(Number(a.orderexecuted) - n / 2) - Math.abs(Number(b.orderexecuted) - n / 2),
  )[0]!;
  return String(best.tag);
}

/** Row count of the history table (for update-count in mixed runs). */
export async function historyCount(u: CorpusUnit, db: TestDatabase): Promise<number> {
  const rows = await queryRows(db.url, `SELECT count(*)::int AS n FROM ${historySchema(u)}.${historyTable(u)}`);
  return Number(rows[0]!.n);
}

/**
 * The EXECUTED history INSERTs of a script (Liquibase's `update-sql` output or Slipway's package), once per changeset,
 * as id|author|filename|md5sum|description|comments|exectype|contexts|labels: for units only `update-sql` can run.
 */
export function historyInserts(u: CorpusUnit, sql: string): string[] {
  const head = `INSERT INTO ${historySchema(u)}.${historyTable(u)} (ID, AUTHOR, FILENAME, DATEEXECUTED, ORDEREXECUTED, MD5SUM, DESCRIPTION, COMMENTS, EXECTYPE, CONTEXTS, LABELS, LIQUIBASE, DEPLOYMENT_ID`;
  const seen = new Set<string>();
  const out: string[] = [];
  // A row may end with psql's `\;` (sent with the COMMIT that follows it, as one query), or share a line with it
  // after the changeset's last statement: `\; <row> \; [<row> \; ]COMMIT;`.
  const statements = sql
    .split('\n')
    .flatMap((line) => (line.startsWith('\\; ') ? line.slice(3).split(' \\; ') : [line]));
  for (const line of statements) {
    // Slipway's packages write most rows through their session's prepared INSERT (historyRecord in
    // src/db/render-bookkeeping.ts): id, author, filename, md5sum, description, comments, exectype, contexts,
    // labels, tag — the INSERT's values without DATEEXECUTED, ORDEREXECUTED, LIQUIBASE and DEPLOYMENT_ID; a
    // runOnChange/runAlways row through its conditional form, written only when the changeset check found none
    // (`slipway_record_new(:'slipway_new', …)`).
    const prepared = /^EXECUTE slipway_record(?:_new\(:'slipway_new', |\()(.*)\)$/.exec(line.replace(/ \\;$|;$/, ''));
    let row: string;
    let v: string[];
    if (prepared) {
      v = splitValues(prepared[1]!);
      if (v[6] !== 'EXECUTED') continue;
      row = v.slice(0, 9).join('|');
    } else {
      // Liquibase's own INSERT, values as written.
      if (!line.startsWith(head)) continue;
      const m = /\) VALUES \((.*)\)$/.exec(line.slice(head.length).replace(/ \\;$|;$/, ''));
      if (!m) continue;
      v = splitValues(m[1]!);
      if (v[8] !== 'EXECUTED') continue;
      row = v.filter((_, i) => ![3, 4, 11, 12, 13].includes(i)).join('|');
    }
    const key = v.slice(0, 3).join('|');
    if (!seen.has(key)) out.push(row);
    seen.add(key);
  }
  return out;
}

/** Splits a VALUES list of SQL literals and expressions at top-level commas; quotes removed, '' unescaped. */
function splitValues(list: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let depth = 0;
  for (let i = 0; i < list.length; i++) {
    const ch = list[i]!;
    if (quoted) {
      if (ch === "'" && list[i + 1] === "'") {
        cur += "'";
        i++;
      } else if (ch === "'") quoted = false;
      else cur += ch;
    } else if (ch === "'") quoted = true;
    else if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else {
      if (ch === '(') depth++;
      if (ch === ')') depth--;
      cur += ch;
    }
  }
  out.push(cur.trim());
  return out.map((v) => (v === 'NULL' ? '∅' : v));
}

export { queryRows };
