// End-to-end: runs the built binary (`node bin/slipway.js`, after `npm run build:ts`) and checks stdout, stderr and
// the exit code (STYLE.md §13).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { removeTree } from '../helpers/tmp.js';
import { makeProject } from './package-fixture.js';
import { ensureDist, runCli } from './cli-build-helpers.js';

const dirs: string[] = [];

let project: string;
beforeAll(async () => {
  await ensureDist();
  project = (await makeProject()).dir;
  dirs.push(project);
}, 300_000);
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

describe('slipway CLI (built binary)', () => {
  it('build --json prints exactly one JSON object on stdout and writes a valid package', async () => {
    const r = runCli(['build', '--json'], project);
    expect(r.stderr).not.toMatch(/stage:|internal error/);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      package: { path: string; sha256: string; bytes: number };
      phases: { name: string; ms: number; status: string }[];
      sizes: { after: { archiveBytes: number } };
    };
    expect(Object.keys(out)).toEqual(['package', 'ready', 'blockers', 'phases', 'sizes', 'report']);
    expect(path.basename(out.package.path)).toBe('demo-app-v1.2.0-20231114.221320.tar.gz');
    expect(out.phases.map((p) => p.name)).toEqual([
      'clean',
      'stage',
      'compile',
      'database',
      'verify',
      'manifest',
      'package',
    ]);
    expect(out.phases.every((p) => Number.isInteger(p.ms) && ['ok', 'skipped'].includes(p.status))).toBe(true);
    expect(out.sizes.after.archiveBytes).toBe(out.package.bytes);
    expect((await readFile(out.package.path)).length).toBe(out.package.bytes);
    expect(
      execFileSync('sha256sum', ['-c', `${path.basename(out.package.path)}.sha256`], {
        cwd: path.dirname(out.package.path),
        encoding: 'utf8',
      }),
    ).toMatch(/: OK\n$/);
    const v = runCli(['validate', out.package.path], project);
    expect(v.code).toBe(0);
    expect(v.stderr).toBe('');
    const [okLine, provenanceLine, ...rest] = v.stdout.split('\n');
    expect(okLine).toBe(
      `OK ${out.package.path}: 11 entries, ${(out.package.bytes / 1000).toFixed(2)} kB, sha256 ${out.package.sha256}`,
    );
    // The project is not a git checkout: the provenance says so (test/security/package-provenance.test.ts covers the git cases).
    expect(provenanceLine).toMatch(
      /^provenance: commit n\/a \(not a git checkout: .*\); built by \S+@\S+ \(system\); /,
    );
    expect(rest).toEqual(['']);
  });

  it('build without --json: progress and phases on stderr, the size report and package on stdout; same bytes again', async () => {
    const first = runCli(['build', '--json'], project);
    const r = runCli(['build', '--out', 'other-out'], project);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^stage: /m);
    expect(r.stderr).toMatch(/^ {2}ok {3}package /m);
    expect(r.stdout).toMatch(/^Archive: .* \(compression ratio /m);
    const pkg = path.join(project, 'other-out/demo-app-v1.2.0-20231114.221320.tar.gz');
    expect(r.stdout).toContain(`package: ${pkg}\n`);
    expect(r.stderr).not.toContain(`package: ${pkg}`);
    expect(r.stdout).not.toMatch(/^stage: /m);
    const a = JSON.parse(first.stdout) as { package: { path: string } };
    expect((await readFile(pkg)).equals(await readFile(a.package.path))).toBe(true);
  });

  it('validate exits 1 and names every problem', async () => {
    const b = JSON.parse(runCli(['build', '--json'], project).stdout) as { package: { path: string } };
    const r = runCli(['validate', b.package.path, '--sha256', '0'.repeat(64)], project);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^INVALID .*: 1 problem\(s\)\n {2}DIGEST_MISMATCH: archive SHA-256 is [0-9a-f]{64}, expected 0{64}\n$/,
    );
    const bad = path.join(project, 'broken.tar.gz');
    await writeFile(bad, (await readFile(b.package.path)).subarray(0, 300));
    const j = runCli(['validate', bad, '--json'], project);
    expect(j.code).toBe(1);
    const out = JSON.parse(j.stdout) as { ok: boolean; problems: { code: string }[] };
    expect(out.ok).toBe(false);
    expect(out.problems.map((p) => p.code)).toContain('NO_DIGEST');
    expect(out.problems.map((p) => p.code)).toContain('GZIP_CORRUPT');
  });

  it('manifest and manifest export read the newest package', async () => {
    runCli(['build', '--json'], project);
    const m = runCli(['manifest', '--out', 'm'], project);
    expect(m.code).toBe(0);
    const written = JSON.parse(await readFile(path.join(project, 'm/build-manifest.json'), 'utf8')) as {
      buildId: string;
    };
    expect(written.buildId).toBe('demo-app-1.2.0-20231114.221320');
    const rep = runCli(['manifest', 'export', '--format', 'deployment-report'], project);
    expect(rep.code).toBe(0);
    expect(rep.stdout.startsWith('# Deployment report: demo-app 1.2.0\n\n**Status: READY to deploy.**\n')).toBe(true);
    const sum = runCli(['manifest', 'export', '--format', 'summary', '--manifest', 'm/build-manifest.json'], project);
    expect(sum.stdout.split('\n')[0]).toBe(
      'demo-app 1.2.0 — build demo-app-1.2.0-20231114.221320 at 2023-11-14T22:13:20Z for dev',
    );
    const bad = runCli(['manifest', 'export', '--format', 'xml'], project);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/Allowed choices are json, yaml, summary, deployment-report/);
  });

  it('init writes a starter config that loads, and refuses to overwrite without --force', async () => {
    const dir = (await makeProject()).dir;
    dirs.push(dir);
    const refused = runCli(['init'], dir);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/slipway\.config\.yaml already exists\nhint: Pass --force to overwrite it\.\n$/);
    const r = runCli(['init', '--force'], dir);
    expect(r.code).toBe(0);
    const text = await readFile(path.join(dir, 'slipway.config.yaml'), 'utf8');
    expect(text).toContain('include: ["src/**"]');
    expect(text).toContain('include: ["db/**"]');
    const stage = runCli(['stage', '--json'], dir);
    expect(stage.code).toBe(0);
    expect((JSON.parse(stage.stdout) as { files: number }).files).toBeGreaterThan(0);
  });

  it('stage, compile and package run as separate commands', async () => {
    const st = runCli(['stage', '--json'], project);
    expect(st.code).toBe(0);
    expect(JSON.parse(st.stdout)).toMatchObject({ ok: true, files: 3 });
    const c1 = runCli(['compile', '--json'], project);
    expect(c1.code).toBe(0);
    const c2 = JSON.parse(runCli(['compile', '--json'], project).stdout) as {
      ok: boolean;
      cache: { hits: number; misses: number };
      files: number;
    };
    expect(c2.ok).toBe(true);
    expect(c2.files).toBe(3);
    expect(c2.cache.hits).toBeGreaterThan(0); // the second run reuses the content-addressed cache in <out>/.cache
    const p = runCli(['package', '--json', '--out', 'pkg-only'], project);
    expect(p.code).toBe(0);
    const out = JSON.parse(p.stdout) as { package: { path: string }; phases: { name: string }[] };
    expect(out.phases.map((x) => x.name)).toEqual(['database', 'verify', 'manifest', 'package']);
    expect(runCli(['validate', out.package.path], project).code).toBe(0);
  });

  it('a missing config is a usage error (exit 2) and leaves nothing behind', async () => {
    const r = runCli(['build', '--config', 'nope.yaml', '--out', 'never'], project);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'error E_CONFIG_NOT_FOUND: nope.yaml: config file not found: nope.yaml\nhint: Check the --config path, or run `slipway init` to write a starter config.\n',
    );
    expect(existsSync(path.join(project, 'never'))).toBe(false);
    const j = runCli(['build', '--json', '--config', 'nope.yaml'], project);
    expect(JSON.parse(j.stdout)).toEqual({ error: expect.objectContaining({ code: 'E_CONFIG_NOT_FOUND' }) });
    expect(await readdir(project)).not.toContain('never');
  });
});
