/**
 * build-manifest.json records where the package came from (git commit and dirty flag, builder, SOURCE_DATE_EPOCH,
 * tool versions) in a real git repository, and two builds of the same commit with the same SOURCE_DATE_EPOCH are
 * still byte-identical (the build's own output directory is not a change to the tree).
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname, userInfo } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LIQUIBASE_VERSION } from '../../src/db/render-bookkeeping.js';
import type { BuildManifest } from '../../src/manifest/schema.js';
import { SLIPWAY_VERSION } from '../../src/version.js';
import { makeTree, removeTree } from '../helpers/tmp.js';
import { validatePackage } from '../../src/manifest/validate.js';
import { baseFiles, craftPackageEntries, craftTar, writeCrafted } from '../fixtures/deploy/craft.js';
import { CONFIG, makeProject } from '../integration/package-fixture.js';
import { runMain } from '../helpers/cli-main.js';

const EPOCH = '1700000000';
const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

const cli = (cwd: string, argv: string[], env: Record<string, string> = {}) =>
  runMain(argv, { cwd, env: { SOURCE_DATE_EPOCH: EPOCH, ...env } });

const git = (dir: string, ...args: string[]) =>
  execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

async function gitProject(): Promise<{ dir: string; commit: string }> {
  const { dir } = await makeProject();
  dirs.push(dir);
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-q', '-m', 'initial');
  return { dir, commit: git(dir, 'rev-parse', 'HEAD') };
}

/** Builds and returns the archive's sha256 and the build-manifest.json inside it. */
async function build(dir: string, env: Record<string, string> = {}) {
  const r = await cli(dir, ['build', '--json'], env);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { package: { path: string; sha256: string } };
  const inner = execFileSync('tar', ['-xzOf', out.package.path, 'build-manifest.json'], { encoding: 'utf8' });
  return { sha256: out.package.sha256, path: out.package.path, manifest: JSON.parse(inner) as BuildManifest };
}

describe('provenance in build-manifest.json', () => {
  it('a clean checkout: HEAD, clean, user@host, SOURCE_DATE_EPOCH, tool versions; rebuilt, the same bytes', async () => {
    const { dir, commit } = await gitProject();
    const a = await build(dir);
    expect(a.manifest.provenance).toEqual({
      git: { commit, dirty: false, reason: null },
      builder: { identity: `${userInfo().username}@${hostname()}`, source: 'system' },
      sourceDateEpoch: Number(EPOCH),
      sourceDateEpochReason: null,
      tools: { slipway: SLIPWAY_VERSION, node: process.versions.node, liquibaseCompat: LIQUIBASE_VERSION },
    });
    // out/ now holds the first package (untracked, not ignored): still clean, still the same bytes.
    expect(git(dir, 'status', '--porcelain')).toMatch(/\?\? out\//);
    const b = await build(dir);
    expect(b.manifest.provenance?.git.dirty).toBe(false);
    expect(b.sha256).toBe(a.sha256);
    // The manifest beside the archive says the same.
    const beside = JSON.parse(await readFile(a.path.replace(/\.tar\.gz$/, '.manifest.json'), 'utf8')) as BuildManifest;
    expect(beside.provenance).toEqual(a.manifest.provenance);
  });

  it('a dirty tree (new file, then a changed tracked file) is recorded as dirty and changes the bytes', async () => {
    const { dir, commit } = await gitProject();
    const clean = await build(dir);
    await writeFile(path.join(dir, 'NOTES.txt'), 'not packaged, not committed\n');
    const untracked = await build(dir);
    expect(untracked.manifest.provenance?.git).toEqual({ commit, dirty: true, reason: null });
    expect(untracked.sha256).not.toBe(clean.sha256);
    execFileSync('rm', [path.join(dir, 'NOTES.txt')]);
    await writeFile(path.join(dir, 'docs/README.md'), '# Demo, edited\n');
    const modified = await build(dir);
    expect(modified.manifest.provenance?.git).toEqual({ commit, dirty: true, reason: null });
    // Committed, the tree is clean again at the new commit.
    git(dir, '-c', 'user.name=T', '-c', 'user.email=t@example.com', 'commit', '-qam', 'docs');
    const next = await build(dir);
    expect(next.manifest.provenance?.git).toEqual({
      commit: git(dir, 'rev-parse', 'HEAD'),
      dirty: false,
      reason: null,
    });
  });

  it('outside git: commit and dirty are null with the reason; SLIPWAY_BUILDER names the builder', async () => {
    const { dir } = await makeProject();
    dirs.push(dir);
    const r = await build(dir, { SLIPWAY_BUILDER: 'ci-runner-7@example.com' });
    const p = r.manifest.provenance!;
    expect(p.git.commit).toBeNull();
    expect(p.git.dirty).toBeNull();
    expect(p.git.reason).toMatch(/^not a git checkout: git: fatal: not a git repository/);
    expect(p.builder).toEqual({ identity: 'ci-runner-7@example.com', source: 'SLIPWAY_BUILDER' });
  });

  it('build.builder in the config, and slipway validate shows the provenance', async () => {
    const { dir } = await makeProject({}, CONFIG.replace('build:\n', 'build:\n  builder: release-bot\n'));
    dirs.push(dir);
    const r = await build(dir);
    expect(r.manifest.provenance?.builder).toEqual({ identity: 'release-bot', source: 'build.builder' });
    const v = await cli(dir, ['validate', r.path]);
    expect(v.code, v.stdout + v.stderr).toBe(0);
    expect(v.stdout).toMatch(
      new RegExp(
        `^provenance: commit n/a \\(not a git checkout: .*\\); built by release-bot \\(build.builder\\); SOURCE_DATE_EPOCH ${EPOCH}; slipway ${SLIPWAY_VERSION.replace(/\./g, '\\.')}, node .*, liquibase-compat ${LIQUIBASE_VERSION}$`,
        'm',
      ),
    );
    const j = await cli(dir, ['validate', r.path, '--json']);
    expect((JSON.parse(j.stdout) as { provenance: unknown }).provenance).toEqual(r.manifest.provenance);
  });

  it('validate refuses provenance that disagrees with buildTimestamp or names no full commit id', async () => {
    const dir = await makeTree({}, 'slipway-prov-');
    dirs.push(dir);
    const files = baseFiles();
    const m = JSON.parse(files['build-manifest.json']!) as BuildManifest;
    const epoch = Date.parse(m.buildTimestamp) / 1000;
    const provenance = {
      git: { commit: 'a'.repeat(40), dirty: false, reason: null },
      builder: { identity: 'ci@example', source: 'SLIPWAY_BUILDER' },
      sourceDateEpoch: epoch,
      sourceDateEpochReason: null,
      tools: { slipway: '1.0.0', node: '20.19.0', liquibaseCompat: '4.28.0' },
    };
    const check = async (name: string, p: unknown) => {
      const f = { ...files, 'build-manifest.json': JSON.stringify({ ...m, provenance: p }) };
      const pkg = await writeCrafted(dir, name, craftTar(craftPackageEntries({ files: f })));
      return (await validatePackage(pkg)).problems.map((x) => `${x.code}: ${x.message}`);
    };
    expect(await check('ok', provenance)).toEqual([]);
    expect(await check('late', { ...provenance, sourceDateEpoch: epoch + 3600 })).toEqual([
      `MANIFEST_INVALID: build-manifest.json: provenance.sourceDateEpoch ${epoch + 3600} is ${new Date((epoch + 3600) * 1000).toISOString().replace('.000Z', 'Z')}, buildTimestamp says ${m.buildTimestamp}`,
    ]);
    expect(await check('short', { ...provenance, git: { ...provenance.git, commit: 'abc123' } })).toEqual([
      'MANIFEST_INVALID: build-manifest.json: provenance.git.commit: a full git object id',
    ]);
  });
});
