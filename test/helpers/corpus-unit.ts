/**
 * One corpus unit end to end, stopping at the first stage where Slipway departs from Liquibase 4.28:
 * package → psql → schema → data → history → Liquibase status/validate on Slipway's database → mixed run
 * (Liquibase first up to a tag or a count, then Slipway's package) compared with Liquibase's full run, or, where they
 * differ, with Liquibase's own run in the same two steps.
 */
import { SlipwayError } from '../../src/errors.js';
import {
  compareSnapshots,
  firstDifference,
  freshDatabase,
  historyCount,
  historyInserts,
  liquibase,
  liquibaseStatus,
  liquibaseValidates,
  statusDifference,
  middleTag,
  passesOf,
  queryRows,
  runPsql,
  slipwayPackage,
  snapshot,
  unitDatabaseName,
  type CorpusPass,
  type CorpusUnit,
  type Snapshot,
  type UnitOutcome,
} from './corpus-runner.js';
import type { TestDatabase } from './pg.js';

/** A package that cannot be built, as an outcome naming the file:line the parser blamed. */
function packageFailure(e: unknown): UnitOutcome {
  if (e instanceof SlipwayError) {
    const where = e.file ? ` (${e.file}${e.line ? `:${e.line}` : ''})` : '';
    return { stage: 'package', message: `${e.code}: ${e.message}${where}` };
  }
  throw e;
}

async function packageFor(u: CorpusUnit, pass: CorpusPass, db: TestDatabase): Promise<string | UnitOutcome> {
  try {
    return await slipwayPackage(u, pass, db.name);
  } catch (e) {
    return packageFailure(e);
  }
}

/** The server must offer the unit's extension (PostGIS for edp-ddm/registry): missing is a failure, never a skip. */
async function requireExtension(u: CorpusUnit, db: TestDatabase): Promise<void> {
  if (!u.requiresExtension) return;
  const rows = await queryRows(db.url, `SELECT 1 FROM pg_available_extensions WHERE name = '${u.requiresExtension}'`);
  if (rows.length) return;
  throw new Error(
    `corpus unit ${u.unit} needs the PostgreSQL extension ${u.requiresExtension} on the test server (Debian: postgresql-15-postgis-3; .ci/run installs it)`,
  );
}

/** Units Liquibase can only render (`update-sql`): their history INSERTs must equal Slipway's package's. */
async function runUpdateSqlOnly(u: CorpusUnit): Promise<UnitOutcome | null> {
  const db = await freshDatabase(u, unitDatabaseName());
  try {
    const pass = passesOf(u)[0]!;
    const sql = await packageFor(u, pass, db);
    if (typeof sql !== 'string') return sql;
    const theirs = historyInserts(u, await liquibase(u, db, ['update-sql'], pass.args));
    const diff = firstDifference('history INSERTs of update-sql', historyInserts(u, sql), theirs);
    return diff ? { stage: 'history', message: diff } : null;
  } finally {
    await db.drop();
  }
}

/** Runs `fn` on a fresh database named `name`, dropping it afterwards. */
async function withDatabase<T>(u: CorpusUnit, name: string, fn: (db: TestDatabase) => Promise<T>): Promise<T> {
  const db = await freshDatabase(u, name);
  try {
    return await fn(db);
  } finally {
    await db.drop();
  }
}

/** Runs every stage for `u` and returns the first departure from Liquibase, or null when the unit conforms. */
export async function runUnit(u: CorpusUnit): Promise<UnitOutcome | null> {
  if (u.updateSqlOnly) return runUpdateSqlOnly(u);
  const passes = passesOf(u);
  const name = unitDatabaseName();
  const ours = await withDatabase(u, name, async (db) => {
    await requireExtension(u, db);
    for (const pass of passes) {
      const sql = await packageFor(u, pass, db);
      if (typeof sql !== 'string') return sql;
      const failed = await runPsql(u, db, sql);
      if (failed) return failed;
    }
    return {
      snap: await snapshot(u, db),
      status: await liquibaseStatus(u, db),
      valid: await liquibaseValidates(u, db),
    };
  });
  if (!('snap' in ours)) return ours;
  const theirs = await withDatabase(u, name, async (db) => {
    for (const pass of passes) await liquibase(u, db, ['update'], pass.args);
    return {
      snap: await snapshot(u, db),
      status: await liquibaseStatus(u, db),
      tag: u.mixedByCount ? null : await middleTag(u, db),
      rows: await historyCount(u, db),
    };
  });
  const diff =
    compareSnapshots(u, ours.snap, theirs.snap, 'full') ?? statusDifference(ours.status, theirs.status) ?? ours.valid;
  if (diff) return diff;
  const mixed = await withDatabase(u, name, (db) => mixedRun(u, passes, theirs, db));
  if (!('snap' in mixed) || !mixed.outcome) return 'snap' in mixed ? null : mixed;
  // A full run is the oracle only when running in two steps changes nothing Liquibase records: a runAlways (or
  // runOnChange) changeset in the first half runs again in the second (RERAN, a later ORDEREXECUTED) under Liquibase
  // too. On a difference, Liquibase's own two-step run decides.
  const lbMixed = await withDatabase(u, name, async (db) => {
    await liquibaseFirstHalf(u, passes, theirs, db);
    await liquibase(u, db, ['update'], passes.at(-1)!.args);
    return snapshot(u, db);
  });
  return compareSnapshots(u, mixed.snap, lbMixed, 'mixed');
}

/**
 * Liquibase runs every pass but the last, then the last one only part-way (`update-to-tag` at a tag near the middle
 * when the changelog has tags, else `update-count` half the rows).
 */
async function liquibaseFirstHalf(
  u: CorpusUnit,
  passes: CorpusPass[],
  theirs: { tag: string | null; rows: number },
  db: TestDatabase,
): Promise<void> {
  const last = passes.at(-1)!;
  for (const pass of passes.slice(0, -1)) await liquibase(u, db, ['update'], pass.args);
  const before = passes.length > 1 ? await historyCount(u, db) : 0;
  if (theirs.tag) await liquibase(u, db, ['update-to-tag', `--tag=${theirs.tag}`], last.args);
  else {
    const count = Math.max(1, Math.floor((theirs.rows - before) / 2));
    await liquibase(u, db, ['update-count', `--count=${count}`], last.args);
  }
}

/** The first half by Liquibase, then Slipway's package of the last pass; its outcome against the full run. */
async function mixedRun(
  u: CorpusUnit,
  passes: CorpusPass[],
  theirs: { snap: Snapshot; tag: string | null; rows: number },
  db: TestDatabase,
): Promise<UnitOutcome | { snap: Snapshot; outcome: UnitOutcome | null }> {
  await liquibaseFirstHalf(u, passes, theirs, db);
  const sql = await packageFor(u, passes.at(-1)!, db);
  if (typeof sql !== 'string') return { ...sql, stage: 'mixed' };
  const failed = await runPsql(u, db, sql);
  if (failed) return { ...failed, stage: 'mixed' };
  const snap = await snapshot(u, db);
  return { snap, outcome: compareSnapshots(u, snap, theirs.snap, 'mixed') };
}
