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

  it('server.trustProxy takes proxy addresses and CIDR ranges, and names each bad entry at its line', async () => {
    const good = await makeTree({
      'slipway.config.yaml': base + 'server:\n  trustProxy: [10.0.0.0/8, "::1", "fd00::/8", 192.0.2.7, loopback]\n',
    });
    const { config } = await loadConfig({ cwd: good, env: {} });
    expect(config.server.trustProxy).toEqual(['10.0.0.0/8', '::1', 'fd00::/8', '192.0.2.7', 'loopback']);
    const bad = await makeTree({
      'slipway.config.yaml':
        base +
        'server:\n  trustProxy:\n    - 10.0.0.300\n    - 10.0.0.0/33\n    - 0.0.0.0/0\n    - fe80::1%eth0\n' +
        '    - 192.0.2.7\n    - 10.0.0.0/x\n',
    });
    const err = (await loadConfig({ cwd: bad, env: {} }).catch((e: unknown) => e)) as SlipwayError;
    expect(err.code).toBe('E_CONFIG');
    expect(err.details).toEqual([
      'slipway.config.yaml:14: server.trustProxy.0: "10.0.0.300" is not an IP address, a CIDR range (10.0.0.0/8, ' +
        'fd00::/8) or one of loopback, linklocal, uniquelocal',
      'slipway.config.yaml:15: server.trustProxy.1: "10.0.0.0/33": the prefix length after "/" must be a number from 1 to 32',
      'slipway.config.yaml:16: server.trustProxy.2: "0.0.0.0/0" trusts every address, so a client could name its own; ' +
        "list the proxies' addresses",
      'slipway.config.yaml:17: server.trustProxy.3: "fe80::1%eth0" is not an IP address, a CIDR range (10.0.0.0/8, ' +
        'fd00::/8) or one of loopback, linklocal, uniquelocal',
      'slipway.config.yaml:19: server.trustProxy.5: "10.0.0.0/x": the prefix length after "/" must be a number from 1 to 32',
    ]);
    const word = await makeTree({ 'slipway.config.yaml': base + 'server:\n  trustProxy: nginx\n' });
    const wordErr = (await loadConfig({ cwd: word, env: {} }).catch((e: unknown) => e)) as SlipwayError;
    expect(wordErr.details).toEqual([
      'slipway.config.yaml:13: server.trustProxy: expected true, false, a number of proxies (1-16) or a list of proxy ' +
        'addresses and CIDR ranges',
    ]);
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
