#!/usr/bin/env node
// Database packaging vs real Liquibase 4.28.1 (npm `liquibase`, Java 17), same changelog, same machine, one run:
//  1. package generation: `slipway db package` (a new node process each time) vs `liquibase update-sql` (needs a
//     live database; an empty scratch one is used),
//  2. apply to an empty database: `slipway db apply` vs `liquibase update` (each on its own fresh database), plus
//     `psql -f package.sql` for reference,
//  3. 10,000 synthetic formatted-SQL changesets: in-process parse + render at 1k/2.5k/5k/10k, each size in its own child
//     process reporting its peak RSS.
// Run: npm run bench -- db   (DB_BENCH_REPS=5 to change repetitions). Needs PostgreSQL at SLIPWAY_TEST_PG_URL
// (default postgres://postgres@127.0.0.1:5432/test), psql and Java 17. Writes bench/results-db.md.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pg from 'pg';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.join(here, '..');
const dist = (p) => pathToFileURL(path.join(repo, 'dist', p)).href;
const ADMIN = process.env.SLIPWAY_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const LIQUIBASE = path.join(repo, 'node_modules/liquibase/dist/liquibase/liquibase');
const REPS = Number(process.env.DB_BENCH_REPS ?? 3);

// ---- child: parse + render N synthetic changesets, report time and peak RSS -------------------------------------
if (process.argv[2] === '--child-gen') {
  const root = process.argv[3];
  const { buildDatabasePackage } = await import(dist('db/package.js'));
  const t0 = performance.now();
  const r = await buildDatabasePackage({
    rootDir: root,
    changelog: 'master.xml',
    application: 'bench',
    version: '1',
    sourceDateEpoch: 0,
  });
  const ms = performance.now() - t0;
  process.stdout.write(
    JSON.stringify({
      ms,
      changeSets: r.changeSets,
      bytes: Buffer.byteLength(r.sql),
      maxRssKb: process.resourceUsage().maxRSS,
    }),
  );
  process.exit(0);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timed(cmd, args, opts = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  const ms = performance.now() - t0;
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}\n${r.stdout}`.slice(0, 4000));
  return { ms, stdout: r.stdout };
}
async function adminQuery(sql) {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  try {
    return await c.query(sql);
  } finally {
    await c.end();
  }
}
let dbCounter = 0;
async function freshDb() {
  const name = `slipway_bench_${process.pid}_${dbCounter++}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const u = new URL(ADMIN);
  u.pathname = `/${name}`;
  return {
    name,
    url: u.toString(),
    jdbc: `jdbc:postgresql://${u.hostname}:${u.port || 5432}/${name}`,
    user: decodeURIComponent(u.username),
  };
}
const dropDb = (db) => adminQuery(`DROP DATABASE IF EXISTS "${db.name}" WITH (FORCE)`);
const lb = (db, searchPath, changelog, contexts, command) =>
  timed(LIQUIBASE, [
    `--url=${db.jdbc}`,
    `--username=${db.user}`,
    '--password=',
    `--search-path=${searchPath}`,
    `--changelog-file=${changelog}`,
    `--contexts=${contexts}`,
    '--show-banner=false',
    command,
  ]);
const slipway = (args, cwd) =>
  timed(process.execPath, [path.join(repo, 'bin/slipway.js'), ...args], {
    cwd,
    env: { ...process.env, SOURCE_DATE_EPOCH: '0' },
  });

const lines = [];
const out = (s = '') => {
  lines.push(s);
  process.stdout.write(s + '\n');
};

const root = path.join(repo, 'examples/umig-sample');
const changelog = 'db/changelog/db.changelog-master.xml';
const work = mkdtempSync(path.join(tmpdir(), 'slipway-dbbench-'));
try {
  const java = spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr.split('\n')[0];
  const pgv = (await adminQuery('SHOW server_version')).rows[0].server_version;
  out('## db: package generation and apply vs Liquibase 4.28.1');
  out('');
  out(
    `Command: \`npm run bench -- db\` (DB_BENCH_REPS=${REPS}); node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? '?'}, PostgreSQL ${pgv}, ${java}.`,
  );
  out(
    `Load average at start: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' / ')} (1/5/15 min; the machine is shared, so absolute times are noisy).`,
  );
  out(
    `Changelog: examples/umig-sample/${changelog} with contexts dev. Times are medians of ${REPS} runs, wall clock, each a new process (JVM or node).`,
  );
  out('');

  // 1. generation
  const pkgFile = path.join(work, 'package.sql');
  const gen = [];
  for (let i = 0; i < REPS; i++)
    gen.push(
      slipway(
        [
          'db',
          'package',
          '--root',
          root,
          '--changelog',
          path.join(root, changelog),
          '--contexts',
          'dev',
          '--out',
          pkgFile,
        ],
        work,
      ).ms,
    );
  // The same generation as a process that loads only the db library (what `db package` costs without the rest of
  // the CLI's module graph, which src/cli/main.ts imports eagerly).
  const libOnly = [];
  const libScript = `const { buildDatabasePackage } = await import(${JSON.stringify(dist('db/package.js'))}); const r = await buildDatabasePackage({ rootDir: ${JSON.stringify(root)}, changelog: ${JSON.stringify(changelog)}, contexts: ['dev'], application: 'umig', version: '1', sourceDateEpoch: 0 }); (await import('node:fs')).writeFileSync(${JSON.stringify(path.join(work, 'lib.sql'))}, r.sql);`;
  for (let i = 0; i < REPS; i++) libOnly.push(timed(process.execPath, ['--input-type=module', '-e', libScript]).ms);
  const startup = [];
  for (let i = 0; i < REPS; i++) startup.push(slipway(['--version'], work).ms);
  const { buildDatabasePackage } = await import(dist('db/package.js'));
  const inProc = [];
  for (let i = 0; i <= REPS; i++) {
    const t0 = performance.now();
    await buildDatabasePackage({
      rootDir: root,
      changelog,
      contexts: ['dev'],
      application: 'bench',
      version: '1',
      sourceDateEpoch: 0,
    });
    if (i > 0) inProc.push(performance.now() - t0); // the first call warms up the JIT and module cache
  }
  const lbGen = [];
  const empty = await freshDb();
  try {
    for (let i = 0; i < REPS; i++) lbGen.push(lb(empty, root, changelog, 'dev', 'update-sql').ms);
  } finally {
    await dropDb(empty);
  }
  // 2. apply
  const ours = [];
  const theirs = [];
  const viaPsql = [];
  for (let i = 0; i < REPS; i++) {
    const a = await freshDb();
    const b = await freshDb();
    const c = await freshDb();
    try {
      ours.push(slipway(['db', 'apply', '--database-url', a.url, pkgFile], work).ms);
      theirs.push(lb(b, root, changelog, 'dev', 'update').ms);
      viaPsql.push(timed('psql', ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-f', pkgFile, c.url]).ms);
    } finally {
      await Promise.all([dropDb(a), dropDb(b), dropDb(c)]);
    }
  }
  const f = (ms) => `${ms.toFixed(0)} ms`;
  const ratio = (a, b) => `${(a / b).toFixed(1)}×`;
  out('| Task | Slipway | Liquibase 4.28.1 | Speed-up | Target |');
  out('|---|---|---|---|---|');
  out(
    `| package generation (\`db package\` vs \`update-sql\`) | ${f(median(gen))} | ${f(median(lbGen))} | ${ratio(median(lbGen), median(gen))} | ≥ 20× |`,
  );
  out(
    `| generation as a process loading only the db library (\`node -e\`) | ${f(median(libOnly))} | ${f(median(lbGen))} | ${ratio(median(lbGen), median(libOnly))} | ≥ 20× |`,
  );
  out(`| … of which \`slipway --version\` (node start + CLI module graph) | ${f(median(startup))} | — | — | — |`);
  out(`| … generation in process (\`buildDatabasePackage\`, warm) | ${f(median(inProc))} | — | — | — |`);
  out(
    `| apply to empty DB (\`db apply\` vs \`update\`) | ${f(median(ours))} | ${f(median(theirs))} | ${ratio(median(theirs), median(ours))} | ≥ 3× |`,
  );
  out(
    `| apply with \`psql -f package.sql\` (reference) | ${f(median(viaPsql))} | — | ${ratio(median(theirs), median(viaPsql))} | — |`,
  );
  out('');

  // 3. synthetic changesets
  out('### 10,000 synthetic changesets: parse + render in process (each size in its own child process)');
  out('');
  out('| Changesets | Files | Time | ms per 1,000 | Package bytes | Peak RSS |');
  out('|---|---|---|---|---|---|');
  for (const n of [1000, 2500, 5000, 10000]) {
    const dir = path.join(work, `syn-${n}`);
    mkdirSync(dir, { recursive: true });
    const perFile = 500;
    const includes = [];
    for (let fi = 0; fi * perFile < n; fi++) {
      const body = ['--liquibase formatted sql', ''];
      for (let k = fi * perFile; k < Math.min(n, (fi + 1) * perFile); k++) {
        body.push(
          `--changeset bench:${k}`,
          `--comment: synthetic ${k}`,
          `CREATE TABLE t_${k} (id int PRIMARY KEY, name text NOT NULL);`,
          `INSERT INTO t_${k} VALUES (1, 'x');`,
          `--rollback DROP TABLE t_${k};`,
          '',
        );
      }
      const file = `changes/${String(fi).padStart(3, '0')}.sql`;
      mkdirSync(path.join(dir, 'changes'), { recursive: true });
      writeFileSync(path.join(dir, file), body.join('\n'));
      includes.push(`  <include file="${file}"/>`);
    }
    writeFileSync(
      path.join(dir, 'master.xml'),
      `<?xml version="1.0" encoding="UTF-8"?>\n<databaseChangeLog xmlns="http://www.liquibase.org/xml/ns/dbchangelog">\n${includes.join('\n')}\n</databaseChangeLog>\n`,
    );
    const r = JSON.parse(timed(process.execPath, [fileURLToPath(import.meta.url), '--child-gen', dir]).stdout);
    out(
      `| ${r.changeSets} | ${includes.length + 1} | ${f(r.ms)} | ${((r.ms / r.changeSets) * 1000).toFixed(0)} ms | ${r.bytes} | ${(r.maxRssKb / 1024).toFixed(0)} MB |`,
    );
  }
  out('');
  out(
    `Load average at end: ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' / ')}.`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
writeFileSync(path.join(here, 'results-db.md'), lines.join('\n') + '\n');
