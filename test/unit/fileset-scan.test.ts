import { afterEach, describe, expect, it } from 'vitest';
import { chmod, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configSchema, type Config } from '../../src/config/schema.js';
import { resolveConfig } from '../../src/config/load.js';
import { scanProject } from '../../src/fileset/scan.js';
import { SlipwayError } from '../../src/errors.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeTree(d);
});

/** A validated Config rooted at `rootDir` (the real schema, so defaults are the real defaults). */
async function makeConfig(rootDir: string, build: Record<string, unknown>): Promise<Config> {
  const parsed = configSchema.parse({ name: 'app', version: '1.0.0', build });
  return resolveConfig(parsed, { configFile: path.join(rootDir, 'slipway.config.yaml'), environment: 'dev' });
}

const components = {
  application: { include: ['src/**'], base: 'src/', required: true },
  database: { include: ['db/**'], base: 'db' },
  docs: { include: ['docs/**', 'README.md'], exclude: ['docs/development/**'] },
  scripts: { include: ['scripts/**'] },
  tests: { include: ['tests/**'] },
};

// Content lengths are chosen so the inventory numbers below can be checked by hand.
const tree: Record<string, string> = {
  '.gitignore': 'logs/\n*.tmp\n!keep.tmp\n', // 22 bytes, category other (not packaged: unmatched)
  'src/app.js': 'x'.repeat(100),
  'src/web/style.css': 'c'.repeat(50),
  'src/x.tmp': 't'.repeat(7), // gitignored
  'src/keep.tmp': 'k'.repeat(8), // re-included by !keep.tmp
  'src/sub/.gitignore': 'secret.txt\n', // 11 bytes, packaged as application/sub/.gitignore
  'src/sub/secret.txt': 's'.repeat(9), // ignored by the nested .gitignore
  'db/sql/001.sql': 'q'.repeat(30),
  'docs/deployment/README.md': 'd'.repeat(40),
  'docs/development/notes.md': 'n'.repeat(60),
  'README.md': 'r'.repeat(5),
  'scripts/deploy.sh': '#!/bin/sh\n', // 10 bytes, made executable
  'tests/unit/a.test.js': 'u'.repeat(20),
  'tests/smoke/health.mjs': 'h'.repeat(15),
  'tests/fixtures/data.json': 'f'.repeat(70),
  'logs/app.log': 'l'.repeat(80),
  'node_modules/lib/index.js': 'm'.repeat(200),
  '.git/HEAD': 'ref: refs/heads/main\n', // 21 bytes
  'dist/old.tar.gz': 'o'.repeat(1000), // the build output: never entered
};

async function knownTree(): Promise<string> {
  const dir = await makeTree(tree);
  dirs.push(dir);
  await chmod(path.join(dir, 'scripts/deploy.sh'), 0o750);
  return dir;
}

describe('scanProject', () => {
  it('applies gitignore (nested, negation), component globs, base, modes and byte order', async () => {
    const dir = await knownTree();
    const { fileSet, warnings } = await scanProject(await makeConfig(dir, { components, tests: 'all' }));
    expect(warnings).toEqual([]);
    expect(fileSet.rootDir).toBe(dir);
    expect(fileSet.files.map((f) => [f.path, f.sourcePath, f.size, f.mode.toString(8), f.component])).toEqual([
      ['application/app.js', 'src/app.js', 100, '644', 'application'],
      ['application/keep.tmp', 'src/keep.tmp', 8, '644', 'application'],
      ['application/sub/.gitignore', 'src/sub/.gitignore', 11, '644', 'application'],
      ['application/web/style.css', 'src/web/style.css', 50, '644', 'application'],
      ['database/sql/001.sql', 'db/sql/001.sql', 30, '644', 'database'],
      ['docs/README.md', 'README.md', 5, '644', 'docs'],
      ['docs/docs/deployment/README.md', 'docs/deployment/README.md', 40, '644', 'docs'],
      ['scripts/scripts/deploy.sh', 'scripts/deploy.sh', 10, '755', 'scripts'],
      ['tests/tests/fixtures/data.json', 'tests/fixtures/data.json', 70, '644', 'tests'],
      ['tests/tests/smoke/health.mjs', 'tests/smoke/health.mjs', 15, '644', 'tests'],
      ['tests/tests/unit/a.test.js', 'tests/unit/a.test.js', 20, '644', 'tests'],
    ]);
    expect(fileSet.files[0]!.absPath).toBe(path.join(dir, 'src/app.js'));
    expect(fileSet.files.every((f) => f.sourceSize === f.size)).toBe(true);
  });

  it('measures the whole tree by category, ignored files included, output dir excluded', async () => {
    const dir = await knownTree();
    const { inventory } = await scanProject(await makeConfig(dir, { components, tests: 'smoke' }));
    const byName = Object.fromEntries(inventory.categories.map((c) => [c.name, [c.bytes, c.files]]));
    expect(byName).toEqual({
      node_modules: [200, 1],
      '.git': [21, 1],
      'docs/development': [60, 1],
      'tests/fixtures': [70, 1],
      logs: [80, 1],
      application: [100 + 50 + 8 + 11, 4],
      database: [30, 1],
      docs: [40 + 5, 2],
      scripts: [10, 1],
      tests: [15, 1], // smoke only
      // .gitignore 22, x.tmp 7, secret.txt 9, tests/unit (not smoke) 20
      other: [22 + 7 + 9 + 20, 4],
    });
    expect(inventory.categories.map((c) => c.name)).toEqual(Object.keys(byName));
    expect(inventory.totalFiles).toBe(18);
    expect(inventory.totalBytes).toBe(Object.values(tree).reduce((s, v) => s + v.length, 0) - 1000);
  });

  it('selects tests: smoke keeps only build.smokeTests, none keeps none', async () => {
    const dir = await knownTree();
    const tests = async (mode: string, extra: Record<string, unknown> = {}): Promise<string[]> =>
      (await scanProject(await makeConfig(dir, { components, tests: mode, ...extra }))).fileSet.files
        .filter((f) => f.component === 'tests')
        .map((f) => f.sourcePath);
    expect(await tests('smoke')).toEqual(['tests/smoke/health.mjs']);
    expect(await tests('none')).toEqual([]);
    expect(await tests('all')).toEqual(['tests/fixtures/data.json', 'tests/smoke/health.mjs', 'tests/unit/a.test.js']);
    expect(await tests('smoke', { smokeTests: 'tests/unit/**' })).toEqual(['tests/unit/a.test.js']);
  });

  it('assigns a file to the first component in document order; a component exclude passes it on', async () => {
    const dir = await makeTree({ 'src/a.sql': 'a', 'src/b.js': 'b', 'src/c.md': 'c' });
    dirs.push(dir);
    const cfg = await makeConfig(dir, {
      components: {
        // listed out of order on purpose: document order (application, database, docs…) decides
        docs: { include: ['src/**'] },
        database: { include: ['src/*.sql'] },
        application: { include: ['src/**'], exclude: ['**/*.md', '**/*.sql'] },
      },
    });
    const { fileSet } = await scanProject(cfg);
    expect(fileSet.files.map((f) => f.path)).toEqual(['application/src/b.js', 'database/src/a.sql', 'docs/src/c.md']);
  });

  it('lets a deeper .gitignore re-include what a parent ignores, but never below an ignored directory', async () => {
    const dir = await makeTree({
      '.gitignore': '*.gen.js\nbuild/\n',
      'src/a.gen.js': '1',
      'src/keep/.gitignore': '!*.gen.js\n',
      'src/keep/b.gen.js': '2',
      'src/build/.gitignore': '!*\n', // inside an ignored directory: git never reads it
      'src/build/c.js': '3',
    });
    dirs.push(dir);
    const { fileSet } = await scanProject(
      await makeConfig(dir, { components: { application: { include: ['src/**'] } } }),
    );
    expect(fileSet.files.map((f) => f.sourcePath)).toEqual(['src/keep/.gitignore', 'src/keep/b.gen.js']);
    // git agrees (the reference implementation)
    const { execFileSync } = await import('node:child_process');
    execFileSync('git', ['init', '-q'], { cwd: dir });
    const listed = execFileSync('git', ['ls-files', '--others', '--exclude-standard', 'src'], {
      cwd: dir,
      encoding: 'utf8',
    });
    expect(listed.trim().split('\n').sort()).toEqual(['src/keep/.gitignore', 'src/keep/b.gen.js']);
  });

  it("never scans the build output; warns when a component include reaches into it; a .git file is git's own", async () => {
    const dir = await makeTree({ 'dist/app.js': 'built', 'src/a.js': 'a', 'src/sub/.git': 'gitdir: ../x' });
    dirs.push(dir);
    const r = await scanProject(
      await makeConfig(dir, { components: { application: { include: ['src/**', 'dist/**'] } } }),
    );
    expect(r.fileSet.files.map((f) => f.sourcePath)).toEqual(['src/a.js']);
    expect(r.warnings).toEqual([
      'build.components.application.include reaches into dist/, which Slipway never scans (build output or compile cache)',
    ]);
    expect(r.inventory.categories.find((c) => c.name === '.git')).toEqual({ name: '.git', bytes: 12, files: 1 });
  });

  it('honours build.exclude and build.gitignore: false', async () => {
    const dir = await knownTree();
    const excluded = await scanProject(await makeConfig(dir, { components, exclude: ['**/*.css'] }));
    expect(excluded.fileSet.files.some((f) => f.sourcePath.endsWith('.css'))).toBe(false);
    const noGitignore = await scanProject(await makeConfig(dir, { components, gitignore: false }));
    const paths = noGitignore.fileSet.files.map((f) => f.sourcePath);
    expect(paths).toContain('src/x.tmp');
    expect(paths).toContain('src/sub/secret.txt');
    expect(paths).not.toContain('.git/HEAD');
  });

  it('follows symlinks inside the root and skips those pointing outside with a warning', async () => {
    const dir = await makeTree({ 'src/real.js': 'real', 'shared/lib.js': 'lib' });
    const outside = await mkdtemp(path.join(tmpdir(), 'slipway-outside-'));
    dirs.push(dir, outside);
    await writeFile(path.join(outside, 'secret.js'), 'outside');
    await symlink(path.join(dir, 'shared'), path.join(dir, 'src/shared'));
    await symlink('real.js', path.join(dir, 'src/alias.js'));
    await symlink(path.join(outside, 'secret.js'), path.join(dir, 'src/secret.js'));
    await symlink(outside, path.join(dir, 'src/outdir'));
    const { fileSet, warnings } = await scanProject(
      await makeConfig(dir, { components: { application: { include: ['src/**'] } } }),
    );
    expect(fileSet.files.map((f) => [f.sourcePath, f.size])).toEqual([
      ['src/alias.js', 4],
      ['src/real.js', 4],
      ['src/shared/lib.js', 3],
    ]);
    const real = (p: string): string => path.join(outside, p).replace(/\/+$/, '');
    expect(warnings.sort()).toEqual([
      `src/outdir: symlink points outside the project root (${real('')}); skipped`,
      `src/secret.js: symlink points outside the project root (${real('secret.js')}); skipped`,
    ]);
  });

  it('fails with E_SCAN naming a required component and its globs when nothing matches', async () => {
    const dir = await makeTree({ 'lib/a.js': 'a' });
    dirs.push(dir);
    const cfg = await makeConfig(dir, {
      components: {
        application: { include: ['src/**/*.js'], exclude: ['**/*.test.js'], required: true },
        database: { include: ['db/**'], required: true },
        docs: { include: ['docs/**'] },
      },
    });
    const err = await scanProject(cfg).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).code).toBe('E_SCAN');
    expect((err as SlipwayError).message).toBe('required components application, database matched no files');
    expect((err as SlipwayError).details).toEqual([
      'build.components.application: include ["src/**/*.js"], exclude ["**/*.test.js"] matched no files',
      'build.components.database: include ["db/**"] matched no files',
    ]);
  });

  it('fails with E_IO naming a packaged file that cannot be read, and only warns for unpackaged ones', async () => {
    const dir = await makeTree({ 'src/a.js': 'a', 'logs/x': 'x', '.gitignore': 'logs/\n' });
    dirs.push(dir);
    await symlink('missing.js', path.join(dir, 'src/broken.js'));
    await symlink('missing', path.join(dir, 'logs/broken.log'));
    const cfg = await makeConfig(dir, { components: { application: { include: ['src/**'] } } });
    const err = (await scanProject(cfg).catch((e: unknown) => e)) as SlipwayError;
    expect(err.code).toBe('E_IO');
    expect(err.file).toBe('src/broken.js');
    expect(err.details).toEqual(['src/broken.js: broken symlink: ENOENT']);

    await removeTree(path.join(dir, 'src/broken.js'));
    const ok = await scanProject(cfg);
    expect(ok.warnings).toEqual(['logs/broken.log: broken symlink: ENOENT (not packaged; skipped)']);
  });

  it('rejects two sources that land on the same package path', async () => {
    const dir = await makeTree({ 'src/a.js': '1', 'a.js': '2', 'lib/a.js': '3' });
    dirs.push(dir);
    // a.js does not start with the base, so it keeps its path: application/a.js twice.
    const cfg = await makeConfig(dir, {
      components: { application: { include: ['src/**', 'a.js', 'lib/**'], base: 'src' } },
    });
    const err = (await scanProject(cfg).catch((e: unknown) => e)) as SlipwayError;
    expect(err.code).toBe('E_SCAN');
    expect(err.details).toEqual(['application/a.js: from a.js and src/a.js']);
  });
});
