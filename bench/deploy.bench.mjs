#!/usr/bin/env node
// Deploy benchmark (run after `npm run build:ts`: `npm run bench -- deploy`). Measures, on a local target in a
// temp dir, with the compiled code in dist/:
//   switch   – switchCurrent (symlink to a temp name + rename + fsync of the dir), vs `ln -sfn` (coreutils)
//   rollback – rollback() end to end (lock, journal, verify the target release, switch, restart command `true`;
//              no health URL, so no app start-up wait is included), target ≤ 1 s, vs the seed's "Rollback Time 5 minutes"
//   deploy   – deploy() of the example package (examples/umig-sample built with `slipway build`; if that build
//              fails, a synthetic 1.0 MB package and the reason), no health URL, vs `tar xzf` + `ln -sfn`
// Writes bench/results-deploy.md and prints it.
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { c as createTar } from 'tar';
import { deploy, rollback } from '../dist/deploy/index.js';
import { switchCurrent } from '../dist/deploy/switch.js';
import { layoutOf } from '../dist/deploy/layout.js';
import { configSchema } from '../dist/config/schema.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const work = mkdtempSync(path.join(tmpdir(), 'slipway-bench-deploy-'));
const sha = (b) => createHash('sha256').update(b).digest('hex');
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { n: s.length, median: q(0.5), p95: q(0.95), max: s[s.length - 1] };
};
const f = (ms) => (ms < 10 ? ms.toFixed(2) : ms.toFixed(0));

function adHocConfig(restart) {
  const parsed = configSchema.parse({
    name: 'bench',
    build: { components: { application: { include: ['**'] } } },
    // smokeTests off: the example's smoke tests call the running app, which the bench does not start
    deploy: {
      targets: {
        bench: {
          type: 'local',
          path: path.join(work, 'target'),
          keep: 3,
          smokeTests: false,
          ...(restart ? { restart } : {}),
        },
      },
    },
  });
  return {
    ...parsed,
    version: '0.0.0',
    configFile: '',
    configDir: work,
    rootDir: work,
    environment: 'bench',
    sources: {},
  };
}

/** A package in the packager's layout, ~1 MB of files, with SHA256SUMS and .sha256 beside it. */
async function syntheticPackage(version) {
  const dir = path.join(work, `synthetic-${version}`);
  const files = {};
  const j = (v) => JSON.stringify(v, null, 2) + '\n';
  const none = { value: null, reason: 'bench', source: null };
  files['build-manifest.json'] = j({
    schemaVersion: 1,
    buildId: `bench-${version}`,
    name: 'bench',
    version,
    buildTimestamp: '2026-11-24T20:00:00Z',
    buildTimeSource: 'now',
    environment: {
      target: 'production',
      nodeVersion: process.version,
      npmVersion: null,
      npmVersionReason: 'bench',
      platform: process.platform,
    },
    components: {
      database: {
        version: null,
        migrationsCount: null,
        lastMigration: null,
        healthStatus: null,
        schemaFingerprint: null,
        reason: 'bench',
      },
      api: { version, endpointsCount: null, scriptsCount: 0, reason: 'bench' },
      frontend: { version, jsFiles: 0, cssFiles: 0, bytes: 0 },
      files: [],
    },
    deployment: {
      packageName: 'bench',
      packageSize: null,
      packageSizeReason: 'bench',
      contentBytes: 0,
      sourceBytes: null,
      compressionRatio: null,
      sizeReduction: null,
      readiness: true,
      blockers: [],
    },
    quality: { testCoverage: { javascript: none, groovy: none }, securityScan: none, performance: none },
  });
  files['deployment-info.json'] = j({
    schemaVersion: 1,
    application: 'bench',
    version,
    environment: 'production',
    targets: [],
  });
  files['version-compatibility.json'] = j({
    schemaVersion: 1,
    application: 'bench',
    version,
    database: { changelog: null, head: null, changeSets: null },
    upgradeFrom: ['>=0.0.0'],
    runtime: { node: null, nodeReason: 'bench', postgres: null, postgresReason: 'bench' },
  });
  // Random payload so the archive is as big as the seed's 1.02 MB package (repeated text would compress away).
  for (let i = 0; i < 265; i++)
    files[`application/src/m${String(i).padStart(3, '0')}.js`] =
      `export const x${i} = ${JSON.stringify(randomBytes(3750).toString('base64'))};\n`;
  const dirs = new Set();
  for (const p of Object.keys(files)) {
    mkdirSync(path.join(dir, path.dirname(p)), { recursive: true });
    writeFileSync(path.join(dir, p), files[p]);
    const parts = p.split('/');
    for (let k = 1; k < parts.length; k++) dirs.add(parts.slice(0, k).join('/') + '/');
  }
  writeFileSync(
    path.join(dir, 'SHA256SUMS'),
    Object.keys(files)
      .sort()
      .map((p) => `${sha(files[p])}  ${p}`)
      .join('\n') + '\n',
  );
  const file = `${dir}.tar.gz`;
  await createTar(
    { gzip: true, file, cwd: dir, portable: true, noDirRecurse: true },
    ['SHA256SUMS', ...Object.keys(files), ...dirs].sort(),
  );
  writeFileSync(`${file}.sha256`, `${sha(readFileSync(file))}  ${path.basename(file)}\n`);
  return file;
}

function exampleBuild() {
  const out = path.join(work, 'example-out');
  const r = spawnSync(
    process.execPath,
    [
      path.join(repo, 'bin/slipway.js'),
      'build',
      '--config',
      path.join(repo, 'examples/umig-sample/slipway.config.yaml'),
      '--out',
      out,
      '--json',
    ],
    { encoding: 'utf8', timeout: 300_000 },
  );
  if (r.status !== 0) {
    let reason = `slipway build exited ${r.status}`;
    try {
      reason += `: ${JSON.parse(r.stdout).error.message}`;
    } catch {
      /* not JSON */
    }
    return { file: null, reason };
  }
  const pkg = readdirSync(out).find((n) => n.endsWith('.tar.gz'));
  return pkg ? { file: path.join(out, pkg), reason: null } : { file: null, reason: 'slipway build wrote no .tar.gz' };
}

// 1. switch
const layout = layoutOf(path.join(work, 'switch-target'));
for (const d of ['releases/A', 'releases/B']) mkdirSync(path.join(layout.root, d), { recursive: true });
const sw = [];
for (let i = 0; i < 300; i++) sw.push((await switchCurrent(layout, i % 2 ? 'A' : 'B')).ms);
const ln = [];
for (let i = 0; i < 50; i++) {
  const t0 = performance.now();
  spawnSync('ln', ['-sfn', `releases/${i % 2 ? 'A' : 'B'}`, path.join(layout.root, 'current-ln')]);
  ln.push(performance.now() - t0);
}

// 2. deploy: the example package, else a synthetic one
const example = exampleBuild();
const packages = example.file
  ? [example.file, example.file]
  : [await syntheticPackage('1.0.0'), await syntheticPackage('1.0.1')];
const pkgBytes = readFileSync(packages[0]).length;
const config = adHocConfig('true');
const dep = [];
const ids = [];
for (let i = 0; i < 9; i++) {
  const r = await deploy({ config, packagePath: packages[i % 2], target: 'bench' });
  if (i > 0) dep.push(r.ms); // the first run pays module loading and JIT warm-up
  ids.push(r.releaseId);
}
const tarPeer = [];
for (let i = 0; i < 8; i++) {
  const d = path.join(work, 'peer', String(i));
  mkdirSync(d, { recursive: true });
  const t0 = performance.now();
  spawnSync('tar', ['xzf', packages[i % 2], '-C', d]);
  spawnSync('ln', ['-sfn', d, path.join(work, 'peer', 'current')]);
  tarPeer.push(performance.now() - t0);
}

// 3. rollback between the two newest successful releases (explicit --to so each run has a target)
const rb = [];
const [newest, older] = ids.slice(-2).reverse();
for (let i = 0; i < 21; i++) {
  const r = await rollback({ config, target: 'bench', to: i % 2 ? newest : older });
  if (i > 0) rb.push(r.ms);
}

const S = stats(sw),
  L = stats(ln),
  D = stats(dep),
  T = stats(tarPeer),
  R = stats(rb);
const md = `## Deploy (DEPLOY)

Command: \`npm run build:ts && npm run bench -- deploy\` (local target in a temp dir, compiled dist/, Node ${process.version},
${new Date().toISOString().slice(0, 10)}, a 2-core machine shared with other work: figures are upper bounds).

| what | n | median ms | p95 ms | max ms | target | peer (same run) |
| --- | ---: | ---: | ---: | ---: | --- | --- |
| switch \`current\` (symlink + rename + dir fsync) | ${S.n} | ${f(S.median)} | ${f(S.p95)} | ${f(S.max)} | ≤ 50 ms | \`ln -sfn\` (spawned, not atomic): median ${f(L.median)} ms |
| rollback end to end (lock, journal, re-verify release, switch, restart \`true\`, no app start-up wait) | ${R.n} | ${f(R.median)} | ${f(R.p95)} | ${f(R.max)} | ≤ 1 s | seed: "Rollback Time 5 minutes" (claim, US-088 line 900; not measurable here) |
| deploy ${example.file ? 'of the example package (umig-sample)' : 'of a synthetic package'} (${(pkgBytes / 1e6).toFixed(2)} MB archive; verify, scan, extract, re-verify, compat, switch, restart \`true\`, retention; no health URL, no smoke tests, no database) | ${D.n} | ${f(D.median)} | ${f(D.p95)} | ${f(D.max)} | ≤ 2 s | \`tar xzf\` + \`ln -sfn\` (no verification): median ${f(T.median)} ms |

${example.file ? '' : `The example package could not be built in this run (${example.reason}), so the deploy row uses a synthetic package of 265 JS files (${(pkgBytes / 1e6).toFixed(2)} MB compressed) in the packager's layout; the example row is null until \`slipway build\` of examples/umig-sample succeeds.\n`}
`;
writeFileSync(path.join(repo, 'bench/results-deploy.md'), md);
process.stdout.write(md);
rmSync(work, { recursive: true, force: true });
const within = S.median <= 50 && R.median <= 1000 && D.median <= 2000;
process.exitCode = within ? 0 : 1;
