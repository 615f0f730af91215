// A deploy-only host (issue 12): its config has deploy targets and nothing else — no `build:` section, no `version`
// (the package carries its version). It loads, deploys, and refuses to build with a clear E_CONFIG.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { deploy } from '../../src/deploy/index.js';
import { scanProject } from '../../src/fileset/scan.js';
import { SlipwayError } from '../../src/errors.js';
import { makeFixturePackage } from '../fixtures/deploy/make-package.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('a deploy-only config', () => {
  it('loads without build: and version, deploys a package, and refuses to build', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-deployonly-'));
    dirs.push(dir);
    await writeFile(
      path.join(dir, 'slipway.config.yaml'),
      'name: demo\ndeploy:\n  targets:\n    prod: { type: local, path: target, restart: "true", smokeTests: false }\n',
    );
    const { config } = await loadConfig({ cwd: dir, env: {} });
    expect(config.version).toBeNull();
    expect(config.sources.version).toMatch(
      /^none: no "version" in slipway\.config\.yaml and no version in package\.json/,
    );
    expect(config.build.components).toEqual({});

    const pkg = await makeFixturePackage({ version: '2.3.4' });
    const r = await deploy({ config, packagePath: pkg.path, target: 'prod' });
    expect(r.ok).toBe(true);
    expect(r.version).toBe('2.3.4');

    const e = (await scanProject(config).catch((x: unknown) => x)) as SlipwayError;
    expect(e).toBeInstanceOf(SlipwayError);
    expect(e.code).toBe('E_CONFIG');
    expect(e.message).toBe('nothing to build: the config names no build.components');
  }, 120_000);
});
