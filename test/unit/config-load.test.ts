import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { SlipwayError } from '../../src/errors.js';
import { makeTree } from '../helpers/tmp.js';

const base = `name: app
version: 1.2.0
build:
  components:
    application:
      include: ["src/**"]
environments:
  prod:
    build:
      tests: none
      compressionLevel: 9
`;

describe('loadConfig', () => {
  it('loads YAML, applies the environment overlay and remembers sources', async () => {
    const dir = await makeTree({ 'slipway.config.yaml': base });
    const { config } = await loadConfig({ cwd: dir, environment: 'prod', env: {} });
    expect(config.name).toBe('app');
    expect(config.build.tests).toBe('none');
    expect(config.build.output).toBe('dist');
    expect(config.rootDir).toBe(dir);
    expect(config.sources['build.tests']).toMatch(/^environments\.prod \(slipway\.config\.yaml:10\)$/);
    expect(config.sources['build.output']).toBe('default');
    expect(config.sources.name).toBe('slipway.config.yaml:1');
  });

  it('interpolates ${VAR:default} and flags win over everything', async () => {
    const dir = await makeTree({
      'slipway.config.yaml': base + 'database:\n  url: ${DB_URL:postgres://localhost/x}\n',
    });
    const { config } = await loadConfig({ cwd: dir, env: {}, overrides: { 'build.output': 'out' } });
    expect(config.database.url).toBe('postgres://localhost/x');
    expect(config.build.output).toBe('out');
    expect(config.sources['build.output']).toBe('flag');
    const withEnv = await loadConfig({ cwd: dir, env: { DB_URL: 'postgres://h/y' } });
    expect(withEnv.config.database.url).toBe('postgres://h/y');
    expect(withEnv.config.sources['database.url']).toContain('via $DB_URL');
  });

  it('reports every problem with field path and line, and rejects unknown keys', async () => {
    const dir = await makeTree({
      'slipway.config.yaml': 'name: "bad name!"\nversion: 1.2\nbuild:\n  components: {}\n  bogus: 1\n',
    });
    const err = await loadConfig({ cwd: dir, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    const e = err as SlipwayError;
    expect(e.code).toBe('E_CONFIG');
    const text = e.details.join('\n');
    expect(text).toContain('slipway.config.yaml:1: name:');
    expect(text).toContain('slipway.config.yaml:2: version:');
    expect(text).toContain('slipway.config.yaml:5: build.bogus:');
  });

  it('names a missing env var without a default', async () => {
    const dir = await makeTree({ 'slipway.config.yaml': base + 'database:\n  url: ${NOPE}\n' });
    const err = (await loadConfig({ cwd: dir, env: {} }).catch((e: unknown) => e)) as SlipwayError;
    expect(err.details.join()).toContain('database.url: ${NOPE} is not set');
  });

  it('points at the line of a YAML syntax error', async () => {
    const dir = await makeTree({ 'slipway.config.yaml': 'name: app\nbuild: [\n' });
    const err = (await loadConfig({ cwd: dir, env: {} }).catch((e: unknown) => e)) as SlipwayError;
    expect(err.code).toBe('E_CONFIG');
    expect(err.line).toBeGreaterThanOrEqual(2);
  });

  it('fails clearly when no config exists', async () => {
    const dir = await makeTree({});
    const err = (await loadConfig({ cwd: dir }).catch((e: unknown) => e)) as SlipwayError;
    expect(err.code).toBe('E_CONFIG_NOT_FOUND');
    expect(err.hint).toContain('slipway init');
  });
});
