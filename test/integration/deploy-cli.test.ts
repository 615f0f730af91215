import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.js';
import type { CliIO } from '../../src/cli/output.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeFixturePackage, type FixturePackage } from '../fixtures/deploy/make-package.js';

async function run(cwd: string, ...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    isTTY: false,
    env: { USER: 'tester' },
    cwd,
    readStdin: async () => '',
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

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

  it('--dry-run prints the plan to stderr and changes nothing', async () => {
    const r = await run(dir, 'deploy', p1.path, '--target', 'prod', '--dry-run');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^plan: deploy 1\.0\.0 as \d{8}T\d{6}Z-[0-9a-f]{12} to .*\/target \(current: none\)\n/);
    expect(r.stderr).toContain('dry run: nothing was changed');
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
    expect(r.stderr).toMatch(/^deployed 1\.1\.0 as \S+ to \S+ in \d+ ms \(previous: \S+\)$/m);
  });

  it('releases (table and --json), pin, history', async () => {
    const t = await run(dir, 'releases', '--target', 'prod');
    expect(t.code).toBe(0);
    const lines = t.stderr.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ +ID +VERSION +DIGEST +WHEN +WHO +RESULT +NOTE$/);
    expect(lines[1]).toMatch(/^\* +\S+ +1\.1\.0 +[0-9a-f]{12} +\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ +tester@\S+ +success$/);
    const j = await run(dir, 'releases', '--target', 'prod', '--json');
    const releases = JSON.parse(j.stdout) as { id: string; version: string; current: boolean }[];
    expect(releases.map((x) => [x.version, x.current])).toEqual([
      ['1.1.0', true],
      ['1.0.0', false],
    ]);
    const pin = await run(dir, 'releases', 'pin', releases[1]!.id, '--target', 'prod');
    expect(pin).toMatchObject({ code: 0, stderr: `pinned ${releases[1]!.id}\n` });
    const h = await run(dir, 'history', '--target', 'prod', '--json');
    const entries = JSON.parse(h.stdout) as { step: string; status: string }[];
    expect(entries.filter((e) => e.step === 'run').map((e) => e.status)).toEqual(['begin', 'ok', 'begin', 'ok']);
    expect(entries.at(-1)).toMatchObject({ step: 'pin', status: 'ok' });
  });

  it('rollback, then rollback again: nothing successful left → exit 1 with the reason', async () => {
    const r = await run(dir, 'rollback', '--target', 'prod');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^rolled back \S+ → \S+ in \d+ ms\n$/m);
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
      'error E_CONFIG: unknown deploy target "nope"\nhint: Known targets: prod. Or pass --to DIR for a local directory.\n',
    );
    const none = await run(dir, 'deploy', p1.path);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^error E_USAGE: no target: pass --target NAME or --to DIR/);
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
      const d = await run(proj, 'deploy', pkg, '--to', 'srv', '--json');
      expect(d.code, d.stderr).toBe(0);
      expect(JSON.parse(d.stdout)).toMatchObject({ ok: true, version: '1.2.3' });
      expect(await readFile(path.join(proj, 'srv/current/application/app.js'), 'utf8')).toMatch(
        /^export const a ?= ?1;/,
      ); // minified by the build
    } finally {
      await rm(proj, { recursive: true, force: true });
    }
  });

  it('--to DIR works without any config file', async () => {
    const root = path.join(bare, 'srv');
    await mkdir(root);
    const r = await run(bare, 'deploy', p1.path, '--to', root);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/deployed 1\.0\.0 as \S+ to .*\/srv in/);
    const rel = await run(bare, 'releases', '--to-dir', root, '--json');
    expect((JSON.parse(rel.stdout) as unknown[]).length).toBe(1);
  });
});
