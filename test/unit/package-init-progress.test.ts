import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { detectLayout, renderStarterConfig, writeStarterConfig } from '../../src/builder/init.js';
import { createProgressRenderer } from '../../src/cli/render-progress.js';
import type { CliIO } from '../../src/cli/output.js';
import { SlipwayError } from '../../src/errors.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

function fakeIO(isTTY: boolean): CliIO & { err: string[] } {
  const err: string[] = [];
  return {
    err,
    stdout: () => {},
    stderr: (t) => err.push(t),
    isTTY,
    env: { COLUMNS: '40' },
    cwd: '/',
    readStdin: async () => '',
  };
}

describe('slipway init', () => {
  it('detects the layout and writes a config that loads', async () => {
    const dir = await makeTree({
      'package.json': JSON.stringify({ name: '@acme/umig', version: '1.2.0' }),
      'src/web/app.js': 'x',
      'db/changelog/db.changelog-master.xml': '<databaseChangeLog/>',
      'docs/deployment/run.md': '#',
      'scripts/start.sh': 'x',
      'tests/smoke/a.mjs': 'x',
      'logs/app.log': 'x',
    });
    try {
      const plan = await detectLayout(dir);
      expect(plan).toEqual({
        name: 'umig',
        version: '1.2.0',
        versionFromPackageJson: true,
        // a Node app (package.json): its package.json ships too, so paths stay as the code requires them
        application: ['src/**', 'package.json'],
        applicationExclude: [],
        applicationBase: '',
        database: ['db/**'],
        changelog: 'db/changelog/db.changelog-master.xml',
        psqlScripts: [],
        docs: ['docs/deployment/**'],
        scripts: ['scripts/**'],
        tests: ['tests/**'],
        smokeTests: 'tests/smoke/**',
        clutter: ['logs'],
      });
      const text = renderStarterConfig(plan);
      expect(text).toContain('  exclude: ["logs/**", "**/*.log"]\n');
      expect(text).toContain('  changelog: db/changelog/db.changelog-master.xml\n');
      const { file } = await writeStarterConfig({ rootDir: dir });
      expect(path.basename(file)).toBe('slipway.config.yaml');
      const { config } = await loadConfig({ cwd: dir, env: {} });
      expect(config.name).toBe('umig');
      expect(config.version).toBe('1.2.0');
      expect(config.build.components.application?.base).toBe('');
      expect(config.build.components.scripts?.base).toBe('scripts/'); // scripts/start.sh → scripts/start.sh, not nested
      expect(config.build.tests).toBe('all'); // the dev overlay
      await expect(writeStarterConfig({ rootDir: dir })).rejects.toThrow(SlipwayError);
      await expect(writeStarterConfig({ rootDir: dir, force: true })).resolves.toMatchObject({ file });
    } finally {
      await removeTree(dir);
    }
  });

  it('in a folder with nothing recognisable still writes a config that loads (application: everything not excluded)', async () => {
    const dir = await makeTree({ 'README.md': 'hi\n' });
    try {
      await writeStarterConfig({ rootDir: dir });
      const { config } = await loadConfig({ cwd: dir, env: {} });
      expect(config.build.components.application?.include).toEqual(['**/*']);
    } finally {
      await removeTree(dir);
    }
  });
});

describe('progress renderer', () => {
  it('plain: one line per phase/step change, never per file', () => {
    const io = fakeIO(false);
    const r = createProgressRenderer(io);
    r.onProgress({ phase: 'stage', step: 'scanning', done: 1 });
    r.onProgress({ phase: 'stage', step: 'scanning', done: 2 });
    r.onProgress({ phase: 'package', step: 'writing', done: 5, total: 10 });
    // Per-file steps (compile names each file): first and last only.
    r.onProgress({ phase: 'compile', step: 'a.js', done: 1, total: 3 });
    r.onProgress({ phase: 'compile', step: 'b.js', done: 2, total: 3 });
    r.onProgress({ phase: 'compile', step: 'c.sql', done: 3, total: 3 });
    r.clear();
    expect(io.err).toEqual([
      'stage: scanning 1\n',
      'package: writing 5/10\n',
      'compile: a.js 1/3\n',
      'compile: c.sql 3/3\n',
    ]);
  });

  it('TTY: redraws one line, throttled, always shows the final count, clears at the end', () => {
    const io = fakeIO(true);
    let t = 0;
    const r = createProgressRenderer(io, { now: () => t });
    r.onProgress({ phase: 'package', step: 'writing', done: 1, total: 3 });
    t = 10;
    r.onProgress({ phase: 'package', step: 'writing', done: 2, total: 3 }); // within 80 ms: skipped
    r.onProgress({ phase: 'package', step: 'writing', done: 3, total: 3 }); // final: shown
    r.onProgress({ phase: 'manifest', step: 'collecting facts for a very long time indeed' });
    r.clear();
    expect(io.err).toEqual([
      '\r\x1b[2Kpackage: writing 1/3',
      '\r\x1b[2Kpackage: writing 3/3',
      '\r\x1b[2Kmanifest: collecting facts for a very l', // 39 columns: COLUMNS - 1
      '\r\x1b[2K',
    ]);
  });

  it('quiet (--json): prints nothing', () => {
    const io = fakeIO(true);
    const r = createProgressRenderer(io, { quiet: true });
    r.onProgress({ phase: 'stage', step: 'x' });
    r.clear();
    expect(io.err).toEqual([]);
  });
});
