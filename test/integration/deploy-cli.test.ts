import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeFixturePackage, type FixturePackage } from '../fixtures/deploy/make-package.js';
import { runMain } from '../helpers/cli-main.js';

const run = (cwd: string, ...argv: string[]) => runMain(argv, { cwd, env: { USER: 'tester' } });

describe('slipway deploy | rollback | releases | history (CLI, in-process)', () => {
  let dir: string;
  let bare: string;
  let p1: FixturePackage;
  let p2: FixturePackage;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-cli-'));
    bare = await mkdtemp(path.join(tmpdir(), 'slipway-cli-bare-'));
    await makeDeployConfig(dir);
    p1 = await makeFixturePackage({ version: '1.0.0' });
    p2 = await makeFixturePackage({ version: '1.1.0' });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await rm(bare, { recursive: true, force: true });
  });

  it('--dry-run prints the plan (its result) to stdout and changes nothing', async () => {
    const r = await run(dir, 'deploy', p1.path, '--target', 'prod', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^plan: deploy 1\.0\.0 as \d{8}T\d{6}Z-[0-9a-f]{12} to .*\/target \(current: none\)\n/);
    expect(r.stdout).toContain('dry run: nothing was changed');
    expect(r.stderr).not.toContain('plan:');
  });

  it('deploy --json: the result on stdout, nothing else', async () => {
    const r = await run(dir, 'deploy', p1.path, '--target', 'prod', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { ok: boolean; version: string; events: { step: string; status: string }[] };
    expect(out).toMatchObject({ ok: true, version: '1.0.0', dryRun: false });
    expect(out.events.filter((e) => e.status === 'ok').map((e) => e.step)).toEqual([
      'verify',
      'extract',
      'compat',
      'switch',
      'smoke',
      'retention',
    ]);
    expect(r.stderr).toBe('');
  });

  it('human deploy prints a step line per result and a summary', async () => {
    const r = await run(dir, 'deploy', p2.path, '--target', 'prod');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^ {2}✓ verify {5}version 1\.1\.0 \(\d+ ms\)$/m);
    expect(r.stderr).toMatch(/^ {2}- precheck {3}no health URL configured$/m);
    expect(r.stdout).toMatch(/^deployed 1\.1\.0 as \S+ to \S+ in \d+ ms \(previous: \S+\)\n$/);
    expect(r.stderr).not.toContain('deployed');
  });

  it('releases (table and --json), pin, history', async () => {
    const t = await run(dir, 'releases', '--target', 'prod');
    expect(t.code).toBe(0);
    expect(t.stderr).toBe('');
    const lines = t.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ +ID +VERSION +DIGEST +WHEN +WHO +RESULT +NOTE$/);
    expect(lines[1]).toMatch(/^\* +\S+ +1\.1\.0 +[0-9a-f]{12} +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +tester@\S+ +success$/);
    const j = await run(dir, 'releases', '--target', 'prod', '--json');
    const releases = JSON.parse(j.stdout) as { id: string; version: string; current: boolean }[];
    expect(releases.map((x) => [x.version, x.current])).toEqual([
      ['1.1.0', true],
      ['1.0.0', false],
    ]);
    const pin = await run(dir, 'releases', 'pin', releases[1]!.id, '--target', 'prod');
    expect(pin).toMatchObject({ code: 0, stdout: `pinned ${releases[1]!.id}\n`, stderr: '' });
    const newest = await run(dir, 'releases', '--target', 'prod', '--limit', '1', '--json');
    expect((JSON.parse(newest.stdout) as { id: string }[]).map((x) => x.id)).toEqual([releases[0]!.id]);
    const h = await run(dir, 'history', '--target', 'prod', '--json');
    const entries = JSON.parse(h.stdout) as { step: string; status: string }[];
    expect(entries.filter((e) => e.step === 'run').map((e) => e.status)).toEqual(['begin', 'ok', 'begin', 'ok']);
    expect(entries.at(-1)).toMatchObject({ step: 'pin', status: 'ok' });
    const last2 = await run(dir, 'history', '--target', 'prod', '--limit', '2', '--json');
    expect(JSON.parse(last2.stdout)).toEqual(entries.slice(-2));
    const text = await run(dir, 'history', '--target', 'prod', '--limit', '3');
    expect(text.stderr).toBe('');
    expect(text.stdout.trimEnd().split('\n')).toHaveLength(3);
    const bad = await run(dir, 'history', '--target', 'prod', '--limit', '0');
    expect(bad).toMatchObject({ code: 2, stdout: '' });
    expect(bad.stderr).toMatch(/^error E_USAGE: --limit must be a positive whole number, got "0"\n/);
  });

  it('with exactly one target configured, --target is optional', async () => {
    const implicit = await run(dir, 'releases', '--json');
    expect(implicit.code, implicit.stderr).toBe(0);
    expect(implicit.stdout).toBe((await run(dir, 'releases', '--target', 'prod', '--json')).stdout);
  });

  it('rollback, then rollback again: nothing successful left → exit 1 with the reason', async () => {
    const r = await run(dir, 'rollback', '--target', 'prod');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^rolled back \S+ → \S+ in \d+ ms\n$/);
    const again = await run(dir, 'rollback', '--target', 'prod');
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(
      /^error E_ROLLBACK: no previous successful release to roll back to \(current is \S+\)\nhint: /,
    );
  });

  it('usage and config errors exit 2, missing packages exit 1, each with a clear message', async () => {
    const unknown = await run(dir, 'deploy', p1.path, '--target', 'nope');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toBe(
      'error E_CONFIG: unknown deploy target "nope"\nhint: Known targets: prod. Or pass --to-dir DIR for a local directory.\n',
    );
    const both = await run(dir, 'deploy', p1.path, '--target', 'prod', '--to-dir', 'x');
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/^error E_USAGE: pass either --target NAME or --to-dir DIR, not both\n/);
    const missing = await run(dir, 'deploy', 'nope.tar.gz', '--target', 'prod');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error E_NOT_FOUND: .*package not found: .*nope\.tar\.gz/);
    const dur = await run(dir, 'deploy', p1.path, '--target', 'prod', '--watch', 'soon');
    expect(dur.code).toBe(2);
  });

  it('a package built by `slipway build` (PACKAGE) deploys and verifies', async () => {
    const proj = await mkdtemp(path.join(tmpdir(), 'slipway-cli-proj-'));
    try {
      await mkdir(path.join(proj, 'src'));
      await writeFile(path.join(proj, 'src/app.js'), 'export const a = 1;\n');
      await writeFile(path.join(proj, 'package.json'), '{"name":"proj","version":"1.2.3"}\n');
      await writeFile(
        path.join(proj, 'slipway.config.yaml'),
        'name: proj\nversion: 1.2.3\nbuild:\n  components:\n    application:\n      include: ["src/**"]\n      base: src/\ndatabase:\n  verify: false\n',
      );
      const b = await run(proj, 'build', '--out', 'out', '--json');
      expect(b.code, b.stderr).toBe(0);
      const pkg = (JSON.parse(b.stdout) as { package: { path: string } }).package.path;
      const d = await run(proj, 'deploy', pkg, '--to-dir', 'srv', '--json');
      expect(d.code, d.stderr).toBe(0);
      expect(JSON.parse(d.stdout)).toMatchObject({ ok: true, version: '1.2.3' });
      expect(await readFile(path.join(proj, 'srv/current/application/app.js'), 'utf8')).toMatch(
        /^export const a ?= ?1;/,
      ); // minified by the build
    } finally {
      await rm(proj, { recursive: true, force: true });
    }
  });

  it('--to-dir DIR works without any config file; the old --to still works with a deprecation warning', async () => {
    const root = path.join(bare, 'srv');
    await mkdir(root);
    const r = await run(bare, 'deploy', p1.path, '--to', root);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^warning: slipway deploy --to is deprecated; use --to-dir\n/);
    expect(r.stdout).toMatch(/^deployed 1\.0\.0 as \S+ to .*\/srv in/);
    const again = await run(bare, 'deploy', p2.path, '--to-dir', root);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('deprecated');
    const both = await run(bare, 'deploy', p2.path, '--to-dir', root, '--to', root);
    expect(both).toMatchObject({ code: 2, stdout: '' });
    expect(both.stderr).toMatch(/^error E_USAGE: pass --to-dir only \(--to is its deprecated spelling\)\n/);
    const rel = await run(bare, 'releases', '--to-dir', root, '--json');
    expect((JSON.parse(rel.stdout) as unknown[]).length).toBe(2);
    const none = await run(bare, 'releases');
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error E_CONFIG_NOT_FOUND: no slipway\.config\.yaml/);
  });
});

describe('slipway unlock | recover (CLI, in-process)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-cli-lock-'));
    await makeDeployConfig(dir);
    await mkdir(path.join(dir, 'target/.slipway'), { recursive: true });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  const lockFile = () => path.join(dir, 'target/.slipway/lock');
  const owner = (host: string, pid: number) =>
    JSON.stringify({ host, pid, startedAt: '2026-11-24T20:00:00.000Z', run: 'r-x', command: 'deploy app.tar.gz' }) +
    '\n';

  it('refuses while the holder is a live process on this host, and names it', async () => {
    await writeFile(lockFile(), owner(hostname(), process.pid));
    const r = await run(dir, 'unlock', '--target', 'prod');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `error E_LOCKED: the lock is held by a live process on this host: pid ${process.pid} (deploy app.tar.gz, since 2026-11-24T20:00:00.000Z)\n` +
        'hint: That run is still working: wait for it, or stop it (Ctrl-C / kill) and it puts the target back itself.\n',
    );
    expect(await readFile(lockFile(), 'utf8')).toContain(`"pid":${process.pid}`);
  });

  it("removes another host's lock, showing the holder; then says the target is not locked", async () => {
    await writeFile(lockFile(), owner('ci-runner-7', 4242));
    const r = await run(dir, 'unlock', '--target', 'prod');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'removed the lock of pid 4242 on ci-runner-7 (deploy app.tar.gz, run r-x, since 2026-11-24T20:00:00.000Z); the next deploy, rollback or `slipway recover` finishes whatever that run left\n',
    );
    await expect(readFile(lockFile())).rejects.toMatchObject({ code: 'ENOENT' });
    const again = await run(dir, 'unlock', '--target', 'prod');
    expect(again.stdout).toBe(`${path.join(dir, 'target')} is not locked\n`);
  });

  it("recover names a lock holder as the lock says; --yes takes over a dead local holder's lock and says whose, and refuses a foreign one without changing it", async () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    await writeFile(lockFile(), owner(hostname(), dead));
    const show = await run(dir, 'recover', '--target', 'prod');
    expect(show.stdout).toContain(
      `lock: held by pid ${dead} on ${hostname()} (deploy app.tar.gz, since 2026-11-24T20:00:00.000Z)\n`,
    );
    expect(await readFile(lockFile(), 'utf8')).toBe(owner(hostname(), dead));
    const yes = await run(dir, 'recover', '--target', 'prod', '--yes');
    expect(yes.code, yes.stderr).toBe(0);
    expect(yes.stdout).toContain(`recovered a stale lock of pid ${dead} (deploy app.tar.gz): that process is gone\n`);
    // observed: the lock is free afterwards (recover released the one it took)
    await expect(readFile(lockFile())).rejects.toMatchObject({ code: 'ENOENT' });
    await writeFile(lockFile(), owner('ci-runner-7', 4242));
    const foreign = await run(dir, 'recover', '--target', 'prod', '--yes');
    expect(foreign.code).toBe(1);
    expect(foreign.stderr).toMatch(/^error E_LOCKED: /);
    expect(await readFile(lockFile(), 'utf8')).toBe(owner('ci-runner-7', 4242));
    await rm(lockFile());
  });

  it('recover with nothing to do says so and exits 0', async () => {
    const r = await run(dir, 'recover', '--target', 'prod');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('current: (none)\njournal: no unfinished run, no torn tail: nothing to recover\n');
  });
});
