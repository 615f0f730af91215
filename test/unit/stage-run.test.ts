import { afterEach, describe, expect, it } from 'vitest';
import path from 'node:path';
import { configSchema, type Config } from '../../src/config/schema.js';
import { resolveConfig } from '../../src/config/load.js';
import { runStage } from '../../src/builder/stage.js';
import type { ProgressEvent } from '../../src/progress.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await removeTree(d);
});

async function makeConfig(
  rootDir: string,
  build: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Promise<Config> {
  const parsed = configSchema.parse({ name: 'app', version: '1.0.0', build, ...extra });
  return resolveConfig(parsed, { configFile: path.join(rootDir, 'slipway.config.yaml'), environment: 'dev' });
}

const components = { application: { include: ['src/**'] } };

describe('runStage', () => {
  it('scans and runs every check; skips what is not configured; warnings keep ok=true', async () => {
    const pkgJson = JSON.stringify({ engines: { node: '>=20' }, dependencies: { x: '^1' } });
    const dir = await makeTree({ 'src/a.js': 'aaaa', 'notes.txt': 'n', 'package.json': pkgJson });
    dirs.push(dir);
    const events: ProgressEvent[] = [];
    const cfg = await makeConfig(dir, { components, checks: { env: [{ name: 'OPTIONAL_X', required: false }] } });
    const r = await runStage(cfg, { env: { PATH: process.env.PATH }, onProgress: (e) => events.push(e) });
    expect(r.checks.map((c) => [c.name, c.status])).toEqual([
      ['scan', 'pass'],
      ['env:OPTIONAL_X', 'skip'],
      ['node', 'pass'],
      ['npm', 'skip'],
      ['database', 'skip'],
      ['lockfile', 'warn'],
    ]);
    expect(r.checks[0]!.reason).toBe(`1 files (4 B) to package out of 3 (${4 + 1 + pkgJson.length} B)`);
    expect(r.checks[2]!.reason).toBe(`node ${process.versions.node} satisfies >=20 (engines.node)`);
    expect(r.checks.find((c) => c.name === 'database')!.reason).toBe('no database.url configured');
    expect(r.checks.every((c) => typeof c.ms === 'number' && c.ms >= 0)).toBe(true);
    expect(r.ok).toBe(true);
    expect(r.scan.fileSet.files.map((f) => f.path)).toEqual(['application/src/a.js']);
    expect(events[0]).toEqual({ phase: 'stage', step: 'start' });
    expect(events.some((e) => e.step.startsWith('checks:') && e.done === e.total)).toBe(true);
  });

  it('--strict turns every warning into a failure (an unset optional variable stays a skip)', async () => {
    const dir = await makeTree({ 'src/a.js': 'a' });
    dirs.push(dir);
    // Port 1 on loopback refuses at once: an optional HTTP check that fails is a warning.
    const checks = {
      env: [{ name: 'OPTIONAL_X', required: false }],
      http: [{ name: 'docs', url: 'http://127.0.0.1:1/', required: false, timeoutMs: 2000 }],
    };
    const cfg = await makeConfig(dir, { components, checks });
    expect((await runStage(cfg, { env: {} })).ok).toBe(true);
    const strict = await runStage(cfg, { env: {}, strict: true });
    expect(strict.ok).toBe(false);
    const http = strict.checks.find((c) => c.name.includes('docs'));
    expect(http?.status).toBe('fail');
    expect(http?.reason).toMatch(/\(warning is a failure under --strict\)$/);
    expect(strict.checks.find((c) => c.name === 'env:OPTIONAL_X')).toMatchObject({
      status: 'skip',
      reason: 'OPTIONAL_X is not set (optional)',
    });
    // build.strict in the config does the same; the option wins over it.
    const fromConfig = await runStage(await makeConfig(dir, { components, strict: true, checks }), { env: {} });
    expect(fromConfig.ok).toBe(false);
    expect((await runStage(await makeConfig(dir, { components, strict: true }), { env: {}, strict: false })).ok).toBe(
      true,
    );
  });

  it('a failing check makes ok=false; a scan warning is reported as a warn check', async () => {
    const dir = await makeTree({ 'src/a.js': 'a' });
    dirs.push(dir);
    const { symlink } = await import('node:fs/promises');
    await symlink('/etc/hostname', path.join(dir, 'src/host'));
    const cfg = await makeConfig(dir, {
      components,
      checks: { env: [{ name: 'NEEDED', required: true }], tools: ['no-such-tool-slipway'], node: '<1' },
    });
    const r = await runStage(cfg, { env: { PATH: process.env.PATH } });
    expect(r.ok).toBe(false);
    const by = Object.fromEntries(r.checks.map((c) => [c.name, c.status]));
    expect(by).toEqual({
      scan: 'warn',
      'env:NEEDED': 'fail',
      node: 'fail',
      npm: 'skip',
      'tool:no-such-tool-slipway': 'fail',
      database: 'skip',
      lockfile: 'skip',
    });
    expect(r.checks[0]!.reason).toBe(
      '1 files (1 B) to package out of 1 (1 B); 1 warning(s): src/host: symlink points outside the project root (/etc/hostname); skipped',
    );
  });
});
