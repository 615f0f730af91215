// Failed builds through the built binary: a failed database verification exits 1 and writes a package marked not
// ready, which deploy refuses unless --force; a failed build leaves every earlier package in place.
import { execFileSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeTree } from '../helpers/tmp.js';
import { ensureDist, runCli } from './cli-build-helpers.js';
import { CONFIG, makeProject } from './package-fixture.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

const WITH_DB = `${CONFIG}database:\n  changelog: db/master.sql\n`;
const GOOD = '--liquibase formatted sql\n--changeset ann:1\nCREATE TABLE t (id int);\n--rollback DROP TABLE t;\n';
// Valid SQL syntax (compile passes), fails only when applied: the table does not exist.
const BAD = `${GOOD}--changeset ann:2\nINSERT INTO missing_table (id) VALUES (1);\n--rollback DELETE FROM missing_table;\n`;

async function project(files: Record<string, string>, config = CONFIG) {
  await ensureDist();
  const p = await makeProject(files, config);
  dirs.push(p.dir);
  return p.dir;
}

/** name → bytes of every file in dir (the earlier packages a failed build must not touch). */
async function snapshot(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const n of (await readdir(dir)).sort()) if (n !== '.cache') out.set(n, await readFile(path.join(dir, n)));
  return out;
}

const sha256sumCheck = (file: string) =>
  execFileSync('sha256sum', ['-c', `${path.basename(file)}.sha256`], { cwd: path.dirname(file), encoding: 'utf8' });

describe('failed builds (built binary)', () => {
  it('a failing build keeps every earlier package, also one with the same name, and removes only its leftovers', async () => {
    const dir = await project({});
    const out = path.join(dir, 'out');
    expect(runCli(['build'], dir, { env: { SOURCE_DATE_EPOCH: '1700000000' } }).code).toBe(0);
    expect(runCli(['build'], dir, { env: { SOURCE_DATE_EPOCH: '1700000100' } }).code).toBe(0);
    await writeFile(path.join(out, 'other-app-v1.0.0-20200101.000000.tar.gz'), 'not ours');
    // What a build killed mid-write leaves: removed by the next build of this app (and only this app's).
    await writeFile(path.join(out, '.demo-app-v1.2.0-20231114.221320.tar.gz.0badc0de.tmp'), 'half');
    await writeFile(path.join(out, '.other-app-v1.0.0-20200101.000000.tar.gz.0badc0de.tmp'), 'theirs');
    const before = await snapshot(out);

    await writeFile(path.join(dir, 'src/broken.js'), 'export const ok = 1;\nconst = ;\n');
    for (const epoch of ['1700000100', '1700000200']) {
      const r = runCli(['build'], dir, { env: { SOURCE_DATE_EPOCH: epoch } });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/error E_SYNTAX: .*src\/broken\.js:2:\d+/);
    }
    const after = await snapshot(out);
    const expected = new Map(before);
    expected.delete('.demo-app-v1.2.0-20231114.221320.tar.gz.0badc0de.tmp');
    expect([...after.keys()]).toEqual([...expected.keys()]);
    for (const [n, b] of expected) expect(after.get(n)!.equals(b), n).toBe(true);
    expect(sha256sumCheck(path.join(out, 'demo-app-v1.2.0-20231114.221320.tar.gz'))).toMatch(/: OK\n$/);
    expect(sha256sumCheck(path.join(out, 'demo-app-v1.2.0-20231114.221500.tar.gz'))).toMatch(/: OK\n$/);
  });

  it('a failed database verification exits 1, writes the package marked not ready, and deploy refuses it unless --force', async () => {
    const dir = await project({ 'db/master.sql': GOOD }, WITH_DB);
    const out = path.join(dir, 'out');
    const good = runCli(['build', '--json'], dir, { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({ ready: true, blockers: [] });
    const earlier = await snapshot(out);

    await writeFile(path.join(dir, 'db/master.sql'), BAD);
    // Same version and build time as the ready package: the not-ready one is named apart and never replaces it.
    const r = runCli(['build'], dir, { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    expect(r.code).toBe(1);
    const blocker =
      'database verification failed on pglite: db/master.sql:6:13: changeset db/master.sql::2::ann failed: ' +
      'relation "missing_table" does not exist (SQLSTATE 42P01)\n6 | INSERT INTO missing_table (id) VALUES (1)\n' +
      '                ^';
    // The verification ran in a child process beside compile; its peak memory is the child's own measurement.
    expect(r.stderr).toMatch(
      /^ {2}FAIL verify +\d+ ms {2}\(PGlite in a child process, concurrent with compile; peak RSS [1-9]\d* MB; database\.verifyUrl is not set: .*\)\n/m,
    );
    expect(r.stderr).toContain(
      `build FAILED: the package is NOT READY to deploy (1 blocker(s)):\n  - ${blocker.replaceAll('\n', '\n    ')}\n`,
    );
    expect(r.stderr).toContain('under a name ending in .not-ready.tar.gz (so it never replaces a ready package)');
    expect(r.stderr).toContain('`slipway deploy` refuses it unless --force');
    const pkg = path.join(out, 'demo-app-v1.2.0-20231114.221320.not-ready.tar.gz');
    expect(r.stdout).toContain(`package: ${pkg}\n`);
    // The package is complete and verifiable; its manifest (inside and beside) says why it is not ready.
    expect(sha256sumCheck(pkg)).toMatch(/: OK\n$/);
    const inner = JSON.parse(execFileSync('tar', ['-xzOf', pkg, 'build-manifest.json'], { encoding: 'utf8' })) as {
      deployment: { readiness: boolean; blockers: string[] };
      components: { database: { healthStatus: string; reason: string } };
    };
    expect(inner.deployment).toMatchObject({ readiness: false, blockers: [blocker] });
    expect(inner.components.database).toMatchObject({ healthStatus: 'UNHEALTHY', reason: blocker });
    const beside = JSON.parse(await readFile(pkg.replace(/\.tar\.gz$/, '.manifest.json'), 'utf8')) as typeof inner;
    expect(beside.deployment).toMatchObject({ readiness: false, blockers: [blocker] });
    expect(inner).toMatchObject({ deployment: { packageName: path.basename(pkg) } });
    // The earlier (ready) package of the same name stem is still there, byte for byte, with its digest, manifest
    // and report; the not-ready one has its own four files.
    const now = await snapshot(out);
    for (const [n, b] of earlier) expect(now.get(n)?.equals(b), n).toBe(true);
    const ready = path.join(out, 'demo-app-v1.2.0-20231114.221320.tar.gz');
    expect(sha256sumCheck(ready)).toMatch(/: OK\n$/);
    expect([...now.keys()].filter((n) => !earlier.has(n)).sort()).toEqual(
      [
        'demo-app-v1.2.0-20231114.221320.not-ready.manifest.json',
        'demo-app-v1.2.0-20231114.221320.not-ready.report.json',
        'demo-app-v1.2.0-20231114.221320.not-ready.tar.gz',
        'demo-app-v1.2.0-20231114.221320.not-ready.tar.gz.sha256',
      ].sort(),
    );

    const json = runCli(['build', '--json'], dir, { env: { SOURCE_DATE_EPOCH: '1700000100' } });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ready: false, blockers: [blocker] });
    expect(JSON.parse(json.stdout).package.path).toBe(
      path.join(out, 'demo-app-v1.2.0-20231114.221500.not-ready.tar.gz'),
    );
    // "The newest package" (manifest/export without --package) is the newest build, the not-ready one: never an
    // older ready package in its place.
    const newest = runCli(['manifest', 'export', '--format', 'json'], dir);
    expect(newest.code, newest.stderr).toBe(0);
    expect(JSON.parse(newest.stdout)).toMatchObject({
      deployment: { packageName: 'demo-app-v1.2.0-20231114.221500.not-ready.tar.gz', readiness: false },
    });

    const bare = await mkdtemp(path.join(tmpdir(), 'slipway-notready-'));
    dirs.push(bare);
    const target = path.join(bare, 'target');
    const refused = runCli(['deploy', pkg, '--to-dir', target], bare);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      `error E_NOT_READY: ${pkg}: the package is marked not ready to deploy by its build (1 blocker(s), listed below)\n` +
        `  ${blocker}\n`,
    );
    expect(refused.stderr).toMatch(/hint: No release was installed and the live release is untouched\. .*--force/);
    expect(await readdir(path.join(target, 'releases')).catch(() => [])).toEqual([]);
    const dry = runCli(['deploy', pkg, '--to-dir', target, '--dry-run'], bare);
    expect(dry.code).toBe(1);
    expect(dry.stderr).toContain('error E_NOT_READY');

    const forced = runCli(['deploy', pkg, '--to-dir', target, '--force'], bare);
    expect(forced.stderr).toMatch(
      /✓ verify +version 1\.2\.0; NOT READY package deployed with --force \(1 blocker\(s\) in the journal\)/,
    );
    expect(forced.code).toBe(0);
    const journal = (await readFile(path.join(target, '.slipway/journal.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: string; status: string; data?: Record<string, unknown> });
    const verifyOk = journal.filter((e) => e.step === 'verify' && e.status === 'ok');
    expect(verifyOk).toHaveLength(1);
    expect(verifyOk[0]!.data).toMatchObject({ forced: true, notReady: [blocker] });
  }, 300_000);
});
