// History rows whose FILENAME another tool spelled differently — `classpath:db/…` (Liquibase 3.x, Spring Boot),
// `/db/…`, `db\…` (Windows), a drive letter, `//`, `..` — compared with real Liquibase 4.28 on the same history.
// Liquibase finds a row by `normalizePath(FILENAME)::ID::AUTHOR` (ShouldRunChangeSetFilter, ValidatingVisitor;
// FILENAME normalised twice: StandardChangeLogHistoryService, then RanChangeSet.toString), so such a row counts as
// the changeset's: not run again, its NULL checksum upgraded in place, undone by rollback. Measured (update on a
// seeded history): `CLASSPATH:` and `classpath*:` are not normalised (run again, a new row); a runOnChange or
// runAlways changeset with a foreign row runs again but MarkChangeSetRanGenerator's RERAN UPDATE binds the
// changeset's own path exactly, so the row stays as it was and no row is added (it runs again on every update).
// Slipway used to match FILENAME exactly: it ran every such changeset again and failed on the first CREATE TABLE.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { changelogXml } from '../helpers/changelog-xml.js';
import {
  applyOurPackage,
  liquibaseOk,
  liquibaseRollback,
  psqlRows,
  schemaDump,
  useOracleCase,
  type OracleCase,
} from '../helpers/liquibase-oracle.js';
import { getStatus } from '../../src/db/status.js';
import { parseChangelog } from '../../src/db/changelog/index.js';
import { readHistory } from '../../src/db/delta.js';
import { renderRollbackSql } from '../../src/db/rollback.js';
import { CHANGELOG_PATH_FUNCTION } from '../../src/db/render-bookkeeping.js';
import { normalizeChangeLogPath, recordedPathKey } from '../../src/db/changelog/paths.js';
import { LIQUIBASE_NORMALIZE_PATH } from '../fixtures/db/liquibase-normalize-path.js';

const MAIN = 'db/changelog/main.xml';

/** FILENAME each changeset's row is given after the first update (the spellings other tools leave). */
const SPELLED: Record<string, string> = {
  p1: 'classpath:db/changelog/main.xml',
  p2: '/db/changelog/main.xml',
  p3: 'db\\changelog\\main.xml',
  p4: 'classpath:/db/changelog/main.xml',
  p5: 'C:\\db\\changelog\\main.xml',
  p6: '//db/changelog/main.xml',
  p7: 'db/sql/../changelog/./main.xml',
  p8: 'CLASSPATH:db/changelog/main.xml',
  p9: 'classpath:db/changelog/main.xml',
  r1: 'classpath:db/changelog/main.xml',
  a1: '/db/changelog/main.xml',
};

const plain = (id: string): string =>
  `<changeSet id="${id}" author="a"><createTable tableName="${id}"><column name="x" type="int"/></createTable></changeSet>`;

const changelog = (version: number, extra = ''): string =>
  changelogXml(
    [
      '<changeSet id="log" author="a"><createTable tableName="log"><column name="x" type="text"/></createTable></changeSet>',
      ...['p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p9'].map(plain),
      `<changeSet id="p8" author="a"><sql>insert into log values ('p8')</sql><rollback>delete from log where x = 'p8'</rollback></changeSet>`,
      `<changeSet id="r1" author="a" runOnChange="true"><sql>insert into log values ('r1 ${version}')</sql><rollback>delete from log where x like 'r1%'</rollback></changeSet>`,
      `<changeSet id="a1" author="a" runAlways="true"><sql>insert into log values ('a1')</sql><rollback>delete from log where x = 'a1'</rollback></changeSet>`,
      extra,
    ].join('\n'),
  );

// Added for the second update: a changeSetExecuted check on a row spelled with a drive letter, and a new changeset.
const LATER = [
  '<changeSet id="n1" author="a"><preConditions onFail="MARK_RAN"><changeSetExecuted id="p5" author="a" changeLogFile="db/changelog/main.xml"/></preConditions>',
  `<sql>insert into log values ('n1')</sql><rollback>delete from log where x = 'n1'</rollback></changeSet>`,
].join('');

/** The history without ORDEREXECUTED, in its order, and what the changesets wrote into log. */
const HISTORY =
  "SELECT concat_ws('|', id, author, filename, md5sum, description, exectype) FROM databasechangelog ORDER BY orderexecuted, id";
const LOG = "SELECT coalesce(string_agg(x, ',' ORDER BY ctid), '') FROM log";

function both(c: OracleCase, sql: string): void {
  psqlRows(c.theirs, sql);
  psqlRows(c.ours, sql);
}

function expectSame(c: OracleCase): void {
  expect(schemaDump(c.ours)).toBe(schemaDump(c.theirs));
  expect(psqlRows(c.ours, HISTORY)).toEqual(psqlRows(c.theirs, HISTORY));
  expect(psqlRows(c.ours, LOG)).toEqual(psqlRows(c.theirs, LOG));
}

/** Both databases as Liquibase left them, then each row's FILENAME respelled (and p9's checksum cleared). */
async function seed(c: OracleCase, clearP9 = true): Promise<void> {
  await liquibaseOk(c.root, c.theirs, MAIN, 'update');
  await liquibaseOk(c.root, c.ours, MAIN, 'update');
  const values = Object.entries(SPELLED)
    .map(([id, f]) => `('${id}', '${f}')`)
    .join(', ');
  both(
    c,
    `UPDATE databasechangelog h SET filename = v.f FROM (VALUES ${values}) AS v (id, f) WHERE h.id = v.id; ${clearP9 ? "UPDATE databasechangelog SET md5sum = NULL WHERE id = 'p9'; " : ''}TRUNCATE log`,
  );
}

describe('history rows with foreign FILENAME spellings, as Liquibase 4.28 reads them', () => {
  const c = useOracleCase('lbpaths', { [MAIN]: changelog(1) });

  it('update, status and rollback find them by the normalised path', async () => {
    await seed(c);
    await writeFile(path.join(c.root, MAIN), changelog(2, LATER));

    // status before the update: Liquibase lists what its update would run.
    const theirStatus = await liquibaseOk(c.root, c.theirs, MAIN, 'status', '--verbose');
    const pending = [...theirStatus.matchAll(/^\s+(\S+::\S+::\S+)$/gm)].map((m) => m[1]);
    expect(pending).toEqual(['p8', 'r1', 'a1', 'n1'].map((id) => `${MAIN}::${id}::a`));
    const ours = await getStatus({ databaseUrl: c.ours.url, rootDir: c.root, changelog: MAIN });
    expect(
      ours.changeSets.filter((s) => s.state === 'pending').map((s) => `${s.filename}::${s.id}::${s.author}`),
    ).toEqual(pending);
    // The rows of p8 (CLASSPATH: is not normalised) and of nothing else are the changelog's unknowns.
    expect(ours.changeSets.filter((s) => s.state === 'unknown').map((s) => `${s.filename}::${s.id}`)).toEqual([
      `${SPELLED.p8}::p8`,
    ]);
    expect(ours.drift).toBe(0);

    await liquibaseOk(c.root, c.theirs, MAIN, 'update');
    await applyOurPackage(c.root, MAIN, c.ours);
    expectSame(c);
    // The foreign rows stayed (p9's checksum filled in on its own row); r1 and a1 ran without a row of their own.
    expect(
      psqlRows(c.ours, "SELECT filename FROM databasechangelog WHERE id IN ('p9', 'r1', 'a1') ORDER BY id"),
    ).toEqual([SPELLED.a1, SPELLED.p9, SPELLED.r1]);
    expect(psqlRows(c.ours, "SELECT md5sum IS NOT NULL FROM databasechangelog WHERE id = 'p9'")).toEqual(['t']);

    // Again: r1 and a1 run again (their rows still hold what they held), nothing else.
    await liquibaseOk(c.root, c.theirs, MAIN, 'update');
    await applyOurPackage(c.root, MAIN, c.ours);
    expectSame(c);

    // rollback-count 4: the newest four rows by DATEEXECUTED, ORDEREXECUTED — n1's and p8's new rows, then the foreign
    // rows of a1 and r1 (never updated, so still of the first update), each deleted under its own spelling.
    const theirs = await liquibaseRollback(c, MAIN, 4);
    expect(theirs.ok, theirs.out).toBe(true);
    expect(await ourRollbackFromHistory(c, 4)).toBe('');
    expectSame(c);
  }, 600_000);
});

describe('a checksum changed under a foreign spelling', () => {
  const c = useOracleCase('lbpaths_drift', { [MAIN]: changelog(1) });

  it('stops the update as Liquibase does', async () => {
    // No NULL checksum here: Liquibase fills those in before it validates, and keeps them when validation fails;
    // Slipway's validation block fills them in only when it passes (whatever the spelling).
    await seed(c, false);
    await writeFile(path.join(c.root, MAIN), changelog(1).replace('tableName="p2"', 'tableName="p2_renamed"'));
    const theirs = await runLiquibaseUpdate(c);
    expect(theirs).toMatch(/db\/changelog\/main\.xml::p2::a was: 9:/);
    await expect(applyOurPackage(c.root, MAIN, c.ours)).rejects.toThrow(/checksum changed[^\n]*p2::a/);
    expectSame(c);
  }, 300_000);
});

describe('the session function is normalizeChangeLogPath', () => {
  const c = useOracleCase('lbpaths_fn', {});

  it('on every form measured from Liquibase, once and twice', () => {
    const forms = [...LIQUIBASE_NORMALIZE_PATH.map((r) => r[0]), `${'d/'.repeat(9)}${'../'.repeat(9)}x.xml`];
    const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;
    const sql = `${CHANGELOG_PATH_FUNCTION}\nSELECT concat_ws(E'\\t', n, pg_temp.slipway_changelog_path(p), pg_temp.slipway_changelog_path(pg_temp.slipway_changelog_path(p))) FROM unnest(ARRAY[${forms.map(literal).join(', ')}]::text[]) WITH ORDINALITY AS t (p, n) ORDER BY n;`;
    const r = spawnSync('psql', ['-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-', c.ours.url], {
      input: sql,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    const got = r.stdout.split('\n').filter(Boolean);
    expect(got).toEqual(forms.map((p, i) => `${i + 1}\t${normalizeChangeLogPath(p)}\t${recordedPathKey(p)}`));
  });
});

async function runLiquibaseUpdate(c: OracleCase): Promise<string> {
  try {
    await liquibaseOk(c.root, c.theirs, MAIN, 'update');
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('liquibase update succeeded');
}

/** Slipway's rollback SQL of the newest `count`, written from the history (as `db rollback-sql --database-url`): psql's stderr. */
async function ourRollbackFromHistory(c: OracleCase, count: number): Promise<string> {
  const parsed = await parseChangelog({ rootDir: c.root, changelog: MAIN });
  const executed = await readHistory(c.ours.url);
  const sql = renderRollbackSql(parsed, { count, executed });
  return spawnSync('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', '-', c.ours.url], {
    input: sql,
    encoding: 'utf8',
  }).stderr;
}
