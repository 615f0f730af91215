#!/usr/bin/env node
// Database packaging and apply vs real Liquibase 4.28.1 (npm `liquibase`, Java 17), same inputs, same machine, one run.
//  1. package: `slipway db package` (a new node process each time) vs `liquibase update-sql` (needs a live database;
//     an empty scratch one is used), on real changelogs of ../shared/corpus (see CORPUS_UNITS), on a changelog of
//     sqlFile changesets over real SQL files and on generated formatted-SQL changelogs;
//  2. apply to an empty database: `psql -f package.sql` and `slipway db apply` vs `liquibase update`, and the floor
//     (the changesets' own statements without bookkeeping, see floorScripts), each on its own fresh database;
//  3. generation in process (`buildDatabasePackage`, warm JIT): MB/s of changelog input.
// Every figure: median of DB_BENCH_REPS (default 5) runs, peak RSS of the child (GNU time %M: the largest process of
// its tree), and the 1-minute load average when that row started. Peers run interleaved with Slipway.
// Run: npm run bench -- db   (DB_BENCH_UNITS=registry,fineract,… to choose rows — the keys of `rows` below; DB_BENCH_APPLY=0 to skip apply;
// DB_BENCH_TAG=name puts a name into the scratch databases' names; DB_BENCH_GEN10K_APPLY=1 adds gen10k's apply row,
// minutes per repetition, most of it the 10,000 CREATE TABLE/INDEX of its changesets).
// Needs PostgreSQL at SLIPWAY_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test), psql, Java 17 and
// /usr/bin/time. Writes bench/results-db.md.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..');
const dist = (p) => pathToFileURL(path.join(repo, 'dist', p)).href;
const ADMIN = process.env.SLIPWAY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const LIQUIBASE = path.join(repo, 'node_modules/liquibase/dist/liquibase/liquibase');
const REPS = Number(process.env.DB_BENCH_REPS ?? 5);
const APPLY = process.env.DB_BENCH_APPLY !== '0';
const CORPUS = [
  process.env.SLIPWAY_CORPUS_DIR ?? '',
  path.resolve(repo, '../shared/corpus'),
  path.resolve(repo, '../../shared/corpus'),
].find((d) => d && existsSync(path.join(d, 'units.json')));
if (!CORPUS) throw new Error('bench db: ../shared/corpus (units.json) not found beside the checkout');

// ---- child: generation in process, warm (DB_BENCH_GEN_WARMUP calls discarded), reports median ms -------------------
// One discarded call did not warm a small unit: V8 was still optimising its code over the next ones (callgrind,
// --single-threaded, gen500: calls 2-5 cost 220 M instructions each, calls 6-25 95 M each), so a median of calls 2-6
// measured the JIT. Warm-up: DB_BENCH_GEN_WARMUP calls (default 20), at most 10 s of them after the first.
const GEN_WARMUP = Number(process.env.DB_BENCH_GEN_WARMUP ?? 20);
if (process.argv[2] === '--child-gen') {
  const opts = JSON.parse(process.argv[3]);
  const { buildDatabasePackage } = await import(dist('db/package.js'));
  let r = await buildDatabasePackage(opts);
  const warmUntil = performance.now() + 10_000;
  for (let i = 1; i < GEN_WARMUP && performance.now() < warmUntil; i++) r = await buildDatabasePackage(opts);
  const ms = [];
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    r = await buildDatabasePackage(opts);
    ms.push(performance.now() - t0);
  }
  process.stdout.write(JSON.stringify({ ms, changeSets: r.changeSets, bytes: Buffer.byteLength(r.sql) }));
  process.exit(0);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const load1 = () => loadavg()[0].toFixed(1);
const work = mkdtempSync(path.join(tmpdir(), 'slipway-dbbench-'));

/** Runs cmd under GNU time; returns wall ms and the peak RSS (KB) of the largest process of its tree. */
function timed(cmd, args, { label, ...opts } = {}) {
  const rssFile = path.join(work, 'rss');
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', '-o', rssFile, cmd, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    ...opts,
  });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}\n${r.stdout}`.slice(0, 4000));
  const rssKb = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
  process.stderr.write(
    `  ${label ?? `${path.basename(cmd)} ${args.find((a) => !a.startsWith('-') && !a.includes('/')) ?? ''}`}: ${Math.round(ms)} ms, ${Math.round(rssKb / 1024)} MiB (load ${load1()})\n`,
  );
  return { ms, rssKb, stdout: r.stdout };
}
async function adminQuery(sql, url = ADMIN) {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}
let dbCounter = 0;
async function freshDb(unit) {
  // DB_BENCH_TAG names whose run a leftover database was (several people benchmark on one server).
  const name = `slipway_bench_${process.env.DB_BENCH_TAG ? `${process.env.DB_BENCH_TAG}_` : ''}${process.pid}_${dbCounter++}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  for (const role of unit.rolesFirst ?? [])
    await adminQuery(
      `DO $r$ BEGIN CREATE ROLE "${role}"; EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $r$`,
    );
  if (unit.requiresExtension)
    await adminQuery(`CREATE EXTENSION IF NOT EXISTS ${unit.requiresExtension}`, u.toString());
  return {
    name,
    url: u.toString(),
    jdbc: `jdbc:postgresql://${u.hostname}:${u.port || 5432}/${name}${unit.urlSuffix ?? ''}`,
    user: decodeURIComponent(u.username) || 'postgres',
  };
}
const dropDb = (db) => adminQuery(`DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`);

/** A corpus unit's Liquibase arguments as Slipway flags (the mapping test/helpers/corpus-runner.ts uses). */
function slipwayFlags(unit, dbName) {
  const flags = ['--root', unit.root, '--changelog', unit.changelog];
  for (const a of [...(unit.globalArgs ?? []), ...(unit.args ?? [])]) {
    const eq = a.indexOf('=');
    const value = a.slice(eq + 1).replaceAll('${DATABASE_NAME}', dbName);
    if (a.startsWith('-D')) flags.push('--property', `${a.slice(2, eq)}=${value}`);
    else if (a.startsWith('--contexts=')) flags.push('--contexts', value);
    else if (a.startsWith('--database-changelog-table-name=')) flags.push('--changelog-table', value);
    else if (a.startsWith('--database-changelog-lock-table-name=')) flags.push('--changelog-lock-table', value);
    else throw new Error(`bench db: unknown Liquibase argument ${a} in ${unit.name}`);
  }
  return flags;
}
function optionsOf(unit, dbName) {
  const o = { rootDir: unit.root, changelog: unit.changelog, application: 'bench', version: '1', sourceDateEpoch: 0 };
  const f = slipwayFlags(unit, dbName);
  for (let i = 4; i < f.length; i += 2) {
    const v = f[i + 1];
    if (f[i] === '--property') (o.properties ??= {})[v.slice(0, v.indexOf('='))] = v.slice(v.indexOf('=') + 1);
    else if (f[i] === '--contexts') o.contexts = v.split(',');
    else if (f[i] === '--changelog-table') o.changelogTable = v;
    else if (f[i] === '--changelog-lock-table') o.changelogLockTable = v;
  }
  return o;
}
const lb = (unit, db, command, extra = []) =>
  timed(LIQUIBASE, [
    `--url=${db.jdbc}`,
    `--username=${db.user}`,
    '--password=',
    `--search-path=${unit.root}`,
    `--changelog-file=${unit.changelog}`,
    '--show-banner=false',
    ...(unit.globalArgs ?? []),
    command,
    ...extra,
    ...(unit.args ?? []).map((a) => a.replaceAll('${DATABASE_NAME}', db.name)),
  ]);
/** DB_BENCH_BASELINE=<another checkout, built>: its package is applied too, in the same repetitions (before/after). */
const BASELINE = process.env.DB_BENCH_BASELINE ? path.resolve(process.env.DB_BENCH_BASELINE) : null;
/** Set in some environments (this machine's: the system CA bundle); Node 20 parses it at start-up (see the table). */
const EXTRA_CA = process.env.NODE_EXTRA_CA_CERTS;
const slipway = (args, env = {}) =>
  timed(process.execPath, [path.join(repo, 'bin/slipway.js'), ...args], {
    cwd: work,
    env: { ...process.env, SOURCE_DATE_EPOCH: '0', ...env },
  });
/**
 * The floor of apply: the changesets' own statements (as the package runs them: same reader, selection and
 * properties) with no bookkeeping but the history tables' creation, as `psql -f` scripts. `perChangeSet`: one transaction per changeset
 * (runInTransaction:false ones bare) in the fewest round trips psql allows — BEGIN sent with the first statement,
 * COMMIT with the last (`\;`), one query per statement — committed as the package commits (synchronous_commit off;
 * the package adds one flushing commit at its end). The package needs one query more per changeset (BEGIN with the
 * lock and "already applied?" checks; its history row goes with the last statement). `oneTx`: the statements
 * alone, for `psql -1`.
 */
async function floorScripts(unit, dbName, file) {
  const { readChangelog } = await import(dist('db/read-changelog.js'));
  const { needsTerminator } = await import(dist('db/psql-lexer.js'));
  const { historyDdl } = await import(dist('db/render-bookkeeping.js'));
  const { historyTables } = await import(dist('db/history-tables.js'));
  const options = optionsOf(unit, dbName);
  const { selected } = await readChangelog(options);
  // The history tables exist, as for any tool (some changelogs read them: edp-ddm's registry does).
  const tables = historyDdl(historyTables(options));
  const perChangeSet = ['\\set ON_ERROR_STOP on', ...tables, 'SET synchronous_commit TO off;'];
  const oneTx = ['\\set ON_ERROR_STOP on', ...tables];
  for (const cs of selected) {
    const open = cs.statements.map((s) => needsTerminator(s));
    const stmts = cs.statements.map((s, i) => (open[i] ? `${s}\n;` : s));
    oneTx.push(...stmts);
    if (!cs.runInTransaction || stmts.length === 0) {
      perChangeSet.push(...stmts);
      continue;
    }
    const last = stmts.length - 1;
    perChangeSet.push('BEGIN \\;', ...stmts.slice(0, last));
    if (open[last]) perChangeSet.push(`${cs.statements[last]}\n\\; COMMIT;`);
    else perChangeSet.push(stmts[last], 'COMMIT;');
  }
  writeFileSync(`${file}-floor.sql`, perChangeSet.join('\n') + '\n');
  writeFileSync(`${file}-floor1.sql`, oneTx.join('\n') + '\n');
  return {
    perChangeSet: `${file}-floor.sql`,
    oneTx: `${file}-floor1.sql`,
    notx: selected.some((cs) => !cs.runInTransaction),
  };
}
const psqlEnv = (unit) => {
  const m = /[?&]currentSchema=([^&]+)/.exec(unit.urlSuffix ?? '');
  return m ? { ...process.env, PGOPTIONS: `-c search_path=${decodeURIComponent(m[1])}` } : process.env;
};

// ---- inputs -----------------------------------------------------------------------------------------------------
const units = JSON.parse(readFileSync(path.join(CORPUS, 'units.json'), 'utf8')).units;
const corpusUnit = (name, label, pass) => {
  const u = units.find((x) => x.unit === name);
  const args = pass === undefined ? u.args : u.passes[pass].args;
  return { ...u, args, name: label, root: path.join(CORPUS, u.searchRoot) };
};
/** Formatted-SQL changelog of n changesets, 500 per file, written under dir (deterministic). */
function generated(n) {
  const dir = path.join(work, `gen-${n}`);
  mkdirSync(path.join(dir, 'changes'), { recursive: true });
  const includes = [];
  for (let fi = 0; fi * 500 < n; fi++) {
    const body = ['--liquibase formatted sql', ''];
    for (let k = fi * 500; k < Math.min(n, (fi + 1) * 500); k++)
      body.push(
        `--changeset bench:${k}`,
        `--comment: synthetic ${k}`,
        `CREATE TABLE t_${k} (id int PRIMARY KEY, name text NOT NULL, created timestamptz DEFAULT now());`,
        `-- a comment; with a semicolon`,
        `INSERT INTO t_${k} (id, name) VALUES (1, 'x; ''quoted''');`,
        `CREATE INDEX t_${k}_name ON t_${k} (name);`,
        `--rollback DROP TABLE t_${k};`,
        '',
      );
    const file = `changes/${String(fi).padStart(3, '0')}.sql`;
    writeFileSync(path.join(dir, file), body.join('\n'));
    includes.push(`  <include file="${file}"/>`);
  }
  writeFileSync(
    path.join(dir, 'master.xml'),
    `<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd">\n${includes.join('\n')}\n</databaseChangeLog>\n`,
  );
  return { name: `generated, ${n} formatted-SQL changesets`, root: dir, changelog: 'master.xml', args: [] };
}
/**
 * No corpus project uses sqlFile (corpus README), so this changelog is written here: one `<sqlFile>` changeset per
 * real SQL file of edp-ddm's registry (copied into a temp dir, unchanged), splitStatements=false (PL/pgSQL bodies).
 */
function sqlFileUnit() {
  const src = path.join(CORPUS, 'edp-ddm/changesets/registry');
  const dir = path.join(work, 'sqlfile');
  mkdirSync(path.join(dir, 'sql'), { recursive: true });
  const files = spawnSync('find', [src, '-name', '*.sql', '-type', 'f'], { encoding: 'utf8' })
    .stdout.trim()
    .split('\n')
    .sort();
  const sets = files.map((f, i) => {
    const name = `${String(i).padStart(2, '0')}-${path.basename(f)}`;
    copyFileSync(f, path.join(dir, 'sql', name));
    return `  <changeSet id="${i}" author="bench">\n    <sqlFile path="sql/${name}" splitStatements="false" stripComments="false"/>\n  </changeSet>`;
  });
  writeFileSync(
    path.join(dir, 'master.xml'),
    `<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="http://www.liquibase.org/xml/ns/dbchangelog http://www.liquibase.org/xml/ns/dbchangelog/dbchangelog-4.20.xsd">\n${sets.join('\n')}\n</databaseChangeLog>\n`,
  );
  return {
    name: `sqlFile: ${files.length} changesets over edp-ddm registry SQL files`,
    root: dir,
    changelog: 'master.xml',
    args: [],
  };
}
const rows = [
  ['registry', () => corpusUnit('edp-ddm/registry', 'edp-ddm registry (formatted SQL, 53 changesets)'), true],
  ['fineract', () => corpusUnit('fineract', 'fineract pass 1 (XML, 1,019 changesets)', 0), true],
  ['waltz', () => corpusUnit('waltz', 'waltz (XML, 1,247 changesets)'), false],
  // The rest of the corpus (issue 14 asks for every project); not in the default list: each adds a JVM start per
  // repetition and little that the rows above do not show.
  ['traccar', () => corpusUnit('traccar', 'traccar (XML)'), true],
  ['gravitee', () => corpusUnit('gravitee', 'gravitee (YAML)'), true],
  ['21points', () => corpusUnit('21-points/prod', '21-points, contexts prod (XML)'), true],
  ['homebrew', () => corpusUnit('homebrew-dash', 'homebrew-dash (JSON)'), true],
  ['terrawsm', () => corpusUnit('terra-wsm', 'terra-wsm (XML)'), true],
  ['sqlfile', sqlFileUnit, false],
  ['gen500', () => generated(500), true],
  ['gen1k', () => generated(1000), false],
  ['gen10k', () => generated(10000), process.env.DB_BENCH_GEN10K_APPLY === '1'],
];
const wanted = (process.env.DB_BENCH_UNITS ?? 'registry,fineract,sqlfile,gen500,gen10k').split(',');

const lines = [];
const out = (s = '') => {
  lines.push(s);
  process.stdout.write(s + '\n');
};
const f = (ms) => (ms >= 10000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
// GNU time reports KiB: RSS is printed in MiB (input and output sizes above are MB of 10^6 bytes).
const mb = (kb) => `${Math.round(kb / 1024)} MiB`;
const ratio = (peer, ours) => `${(peer / ours).toFixed(1)}×`;
const started = new Date().toISOString().slice(0, 16).replace('T', ' ');

try {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr.split('\n')[0];
  const pgv = (await adminQuery('SHOW server_version')).rows[0].server_version;
  out(`## db: package generation and apply vs Liquibase 4.28.1 (${started} UTC)`);
  out('');
  out(
    `Command: \`npm run bench -- db\` (DB_BENCH_REPS=${REPS}${process.env.DB_BENCH_UNITS ? `, DB_BENCH_UNITS=${process.env.DB_BENCH_UNITS}` : ''}); node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, PostgreSQL ${pgv}, ${java}.`,
  );
  out(
    `Medians of ${REPS} wall-clock runs, each a new process (JVM or node), Slipway and its peer interleaved; RSS = peak of the largest process (GNU time %M). "load" = 1-minute load average when the row started (2 cores, shared with other agents).`,
  );
  out('');
  const pkgRows = [];
  const applyRows = [];
  const baselineRows = [];
  const genRows = [];
  for (const [key, make, withApply] of rows) {
    if (!wanted.includes(key)) continue;
    const unit = make();
    process.stderr.write(`bench db: ${unit.name}\n`);
    // 1. package
    const load = load1();
    const pkgFile = path.join(work, `${key}.sql`);
    const ours = [];
    const oursNoCa = [];
    const theirs = [];
    const empty = await freshDb(unit);
    // Each unit with a code cache of its own, made by one unmeasured run (as a user who packages one project has:
    // the launcher's cache holds what the first successful run of a command compiled; another project's cache
    // costs this one what it lacks, bin/slipway.js).
    const cacheEnv = { SLIPWAY_CACHE_DIR: path.join(work, `cache-${key}`) };
    try {
      slipway(['db', 'package', ...slipwayFlags(unit, empty.name), '--out-file', pkgFile], cacheEnv);
      for (let i = 0; i < REPS; i++) {
        ours.push(slipway(['db', 'package', ...slipwayFlags(unit, empty.name), '--out-file', pkgFile], cacheEnv));
        theirs.push(lb(unit, empty, 'update-sql'));
        if (EXTRA_CA)
          oursNoCa.push(
            slipway(['db', 'package', ...slipwayFlags(unit, empty.name), '--out-file', pkgFile], {
              ...cacheEnv,
              NODE_EXTRA_CA_CERTS: undefined,
            }),
          );
      }
    } finally {
      await dropDb(empty);
    }
    const child = JSON.parse(
      timed(process.execPath, [
        fileURLToPath(import.meta.url),
        '--child-gen',
        JSON.stringify(optionsOf(unit, empty.name)),
      ]).stdout,
    );
    const inputBytes = Number(
      spawnSync('du', ['-sb', '--exclude=*.md', '--exclude=LICENSE*', '--exclude=NOTICE*', unit.root], {
        encoding: 'utf8',
      }).stdout.split('\t')[0],
    );
    const o = median(ours.map((r) => r.ms));
    const t = median(theirs.map((r) => r.ms));
    pkgRows.push(
      `| ${unit.name} | ${child.changeSets} | ${(inputBytes / 1e6).toFixed(2)} MB | ${f(o)}, ${mb(median(ours.map((r) => r.rssKb)))} | ${f(t)}, ${mb(median(theirs.map((r) => r.rssKb)))} | **${ratio(t, o)}** |${EXTRA_CA ? ` ${f(median(oursNoCa.map((r) => r.ms)))} | ${ratio(t, median(oursNoCa.map((r) => r.ms)))} |` : ''} ${load} |`,
    );
    const g = median(child.ms);
    genRows.push(
      `| ${unit.name} | ${f(g)} | ${(inputBytes / 1e6 / (g / 1000)).toFixed(1)} MB/s | ${(child.bytes / 1e6 / (g / 1000)).toFixed(1)} MB/s | ${(child.bytes / 1e6).toFixed(2)} MB |`,
    );
    // 2. apply
    if (APPLY && withApply) {
      const loadA = load1();
      const viaPsql = [];
      const viaApply = [];
      const viaLb = [];
      const viaFloor = [];
      const viaFloor1 = [];
      const viaBaseline = [];
      for (let i = 0; i < REPS; i++) {
        const dbs = [];
        for (let k = 0; k < (BASELINE ? 6 : 5); k++) dbs.push(await freshDb(unit));
        const [a, b, c, d, e, z] = dbs;
        try {
          // The package names its database where the changelog does (${DATABASE_NAME}): one per database, untimed.
          const pa = path.join(work, `${key}-a.sql`);
          const pc = path.join(work, `${key}-c.sql`);
          const pz = path.join(work, `${key}-z.sql`);
          slipway(['db', 'package', ...slipwayFlags(unit, a.name), '--out-file', pa]);
          slipway(['db', 'package', ...slipwayFlags(unit, c.name), '--out-file', pc]);
          if (BASELINE)
            timed(
              process.execPath,
              [path.join(BASELINE, 'bin/slipway.js'), 'db', 'package', ...slipwayFlags(unit, z.name), '--out-file', pz],
              {
                cwd: work,
                env: { ...process.env, SOURCE_DATE_EPOCH: '0' },
              },
            );
          const fd = await floorScripts(unit, d.name, path.join(work, `${key}-d`));
          const fe = await floorScripts(unit, e.name, path.join(work, `${key}-e`));
          const psqlRun = (db, file, label, extra = []) =>
            timed('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', ...extra, '-d', db.url, '-f', file], {
              env: psqlEnv(unit),
              label: `psql -f ${label}`,
            });
          const runs = [
            () => viaPsql.push(psqlRun(a, pa, 'package')),
            () => viaLb.push(lb(unit, b, 'update')),
            () => viaFloor.push(psqlRun(d, fd.perChangeSet, 'floor')),
            () => viaApply.push(slipway(['db', 'apply', '--database-url', c.url, pc], psqlEnv(unit))),
            // runInTransaction:false changesets cannot run inside one transaction: no one-transaction figure then.
            () => fe.notx || viaFloor1.push(psqlRun(e, fe.oneTx, 'floor, one transaction', ['-1'])),
            ...(BASELINE ? [() => viaBaseline.push(psqlRun(z, pz, 'baseline package'))] : []),
          ];
          // A different one goes first each time: the first run after the databases are created was measured
          // slower (machine shared with other work), which always hit psql when it always went first.
          for (let k = 0; k < runs.length; k++) runs[(i + k) % runs.length]();
        } finally {
          await Promise.all(dbs.map(dropDb));
        }
      }
      const p = median(viaPsql.map((r) => r.ms));
      const s = median(viaApply.map((r) => r.ms));
      const l = median(viaLb.map((r) => r.ms));
      const fl = median(viaFloor.map((r) => r.ms));
      const fl1 = viaFloor1.length ? f(median(viaFloor1.map((r) => r.ms))) : '—';
      if (BASELINE) {
        const z = median(viaBaseline.map((r) => r.ms));
        baselineRows.push(
          `| ${unit.name} | ${f(z)} | ${f(p)} | ${(p / z).toFixed(2)} | ${ratio(l, z)} → ${ratio(l, p)} | ${(z / fl).toFixed(2)} → ${(p / fl).toFixed(2)} | ${loadA} |`,
        );
      }
      applyRows.push(
        `| ${unit.name} | ${f(p)} | ${f(s)}, ${mb(median(viaApply.map((r) => r.rssKb)))} | ${f(l)}, ${mb(median(viaLb.map((r) => r.rssKb)))} | **${ratio(l, p)}** | ${ratio(l, s)} | ${f(fl)} / ${fl1} | ${ratio(l, fl)} | ${(p / fl).toFixed(2)} | ${loadA} |`,
      );
    }
  }
  out('### Package: `slipway db package` vs `liquibase update-sql` (target ≥ 20×)');
  out('');
  out(
    `| changelog | changesets | input | Slipway (wall, RSS) | Liquibase (wall, RSS) | ratio |${EXTRA_CA ? ' Slipway without NODE_EXTRA_CA_CERTS | ratio |' : ''} load |`,
  );
  out(`|---|---|---|---|---|---|${EXTRA_CA ? '---|---|' : ''}---|`);
  for (const r of pkgRows) out(r);
  if (EXTRA_CA)
    out(
      `\nNODE_EXTRA_CA_CERTS is set in this environment (${EXTRA_CA}); Node 20 reads and parses those certificates at every start, before any Slipway code runs (measured in session 10: ~50 ms CPU on Node 20, none on Node 22 and 24; Liquibase does not read the variable). \`db package\` makes no TLS connection, so the same runs without the variable, interleaved in the same repetitions, are shown beside: what a shell without it gets.`,
    );
  out('');
  if (applyRows.length) {
    out('### Apply to an empty database: `psql -f package` and `slipway db apply` vs `liquibase update` (target ≥ 6×)');
    out('');
    out(
      '| changelog | `psql -f` | `slipway db apply` (wall, RSS) | Liquibase `update` (wall, RSS) | ratio psql | ratio db apply | floor: per changeset / one tx | Liquibase ÷ floor | psql ÷ floor | load |',
    );
    out('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of applyRows) out(r);
    out('');
    if (baselineRows.length) {
      out(`Before/after: \`psql -f\` of the package of ${BASELINE} (baseline) and of this checkout, same repetitions:`);
      out('');
      out('| changelog | baseline | this checkout | this ÷ baseline | ratio vs Liquibase | ÷ floor | load |');
      out('|---|---|---|---|---|---|---|');
      for (const r of baselineRows) out(r);
      out('');
    }
    out(
      'Floor = the same changesets\' own statements (same reader, selection and properties as the package) through `psql -f` with no bookkeeping: one transaction per changeset in one query per statement (BEGIN sent with the first, COMMIT with the last), committed as the package commits (synchronous_commit off) — "Liquibase ÷ floor" is the best ratio a tool with one transaction per changeset could reach, and "psql ÷ floor" what the package\'s bookkeeping costs (one query more per changeset, the lock and "already applied?" checks, the history row); then the statements alone in one transaction (`psql -1`; — when a changeset has runInTransaction:false). Each repetition starts with a different one of the runs.',
    );
    out('');
  }
  out('### Generation in process (`buildDatabasePackage`, warm; target ≥ 25 MB/s, 10,000 changesets < 1 s)');
  out('');
  out('| changelog | time | input rate | output rate | package size |');
  out('|---|---|---|---|---|');
  for (const r of genRows) out(r);
  out('');
  out(
    `Median of ${REPS} calls in one process after ${GEN_WARMUP} warm-up calls (fewer when they took over 10 s; DB_BENCH_GEN_WARMUP). Input = bytes of the changelog tree (without LICENSE/NOTICE/*.md). Load average at end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' / ')}.`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
writeFileSync(path.join(here, 'results-db.md'), lines.join('\n') + '\n');
