import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../src/config/load.js';

const exampleDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../examples/umig-sample');
const configFile = path.join(exampleDir, 'slipway.config.yaml');

describe('examples/umig-sample/slipway.config.yaml', () => {
  it.each(['dev', 'uat', 'staging', 'prod'])('loads for environment %s', async (environment) => {
    const { config } = await loadConfig({ configFile, environment, env: {} });
    expect(config.name).toBe('umig');
    expect(config.version).toBe('1.2.0');
    expect(config.sources.version).toBe('package.json');
    expect(config.rootDir).toBe(exampleDir);
    expect(config.environment).toBe(environment);
    expect(Object.keys(config.build.components).sort()).toEqual([
      'application',
      'database',
      'docs',
      'scripts',
      'tests',
    ]);
    // Bases decide package paths: deploy runs scripts/start.sh and tests/smoke/*.mjs from the release root, and
    // database keeps db/changelog/... so Liquibase FILENAMEs match with database/ as the search path.
    expect(config.build.components.application?.base).toBe('src/');
    expect(config.build.components.database?.base).toBe('');
    expect(config.build.components.scripts?.base).toBe('scripts/');
    expect(config.build.components.tests?.base).toBe('tests/');
    expect(config.build.components.docs?.base).toBe('docs/');
    expect(config.build.exclude).toEqual([
      'node_modules/**',
      '.git/**',
      'logs/**',
      '**/*.log',
      'tests/fixtures/**',
      'docs/development/**',
    ]);
    expect(config.build.compile.js.entryPoints).toEqual(['src/web/js/main.js']);
    expect(config.database.changelog).toBe('db/changelog/db.changelog-master.xml');
    expect(config.database.psqlScripts).toEqual(['db/reference/install.sql']);
    expect(Object.keys(config.deploy.targets).sort()).toEqual(['production', 'staging']);
    expect(config.server.groups).toEqual({ read: 'viewers', deploy: 'deployers', admin: 'admins' });
  });

  it('applies the environment overlays', async () => {
    const load = async (environment: string) => (await loadConfig({ configFile, environment, env: {} })).config;
    const [dev, uat, staging, prod] = await Promise.all(['dev', 'uat', 'staging', 'prod'].map(load));
    expect([dev!.build.tests, uat!.build.tests, staging!.build.tests, prod!.build.tests]).toEqual([
      'all',
      'smoke',
      'smoke',
      'smoke',
    ]);
    expect([dev!.build.compressionLevel, uat!.build.compressionLevel, prod!.build.compressionLevel]).toEqual([1, 6, 9]);
    expect(dev!.build.compile.sourceMaps).toBe(true);
    expect(prod!.build.compile.sourceMaps).toBe(false);
    expect([dev!.build.strict, staging!.build.strict, prod!.build.strict]).toEqual([false, true, true]);
    expect(dev!.build.checks.env.map((e) => e.name)).toEqual(['DATABASE_URL', 'CONFLUENCE_URL']);
    expect(dev!.build.checks.env.every((e) => !e.required)).toBe(true);
    expect(prod!.build.checks.env).toEqual(dev!.build.checks.env);
    expect(dev!.database.contexts).toEqual(['dev']);
    expect(prod!.database.contexts).toEqual(['prod']);
  });

  it('takes the database URL from DATABASE_URL, empty when unset', async () => {
    const unset = await loadConfig({ configFile, environment: 'prod', env: {} });
    expect(unset.config.database.url).toBe('');
    const set = await loadConfig({
      configFile,
      environment: 'prod',
      env: { DATABASE_URL: 'postgres://db.example/umig' },
    });
    expect(set.config.database.url).toBe('postgres://db.example/umig');
    expect(set.config.sources['database.url']).toMatch(/via \$DATABASE_URL$/);
  });

  it('gates both deploy targets on the sample server health endpoint', async () => {
    const { config } = await loadConfig({ configFile, environment: 'prod', env: {} });
    for (const [name, target] of Object.entries(config.deploy.targets)) {
      expect(target.path).toBe(`out/targets/${name}`);
      // Staging and production run side by side on one machine: each on its own port.
      const port = name === 'staging' ? 8091 : 8090;
      expect(target.health.url).toBe(
        `http://127.0.0.1:${port}/rest/scriptrunner/latest/custom/databaseVersions/health`,
      );
      expect(target.restart).toBe(name === 'staging' ? 'PORT=8091 bash scripts/start.sh' : 'bash scripts/start.sh');
      expect(target.stop).toBe('bash scripts/stop.sh');
    }
    expect(config.deploy.targets.production?.health.allowDegraded).toBe(false);
    expect(config.deploy.targets.staging?.health.allowDegraded).toBe(true);
  });
});
