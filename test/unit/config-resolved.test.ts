// ResolvedConfig regressions (issue 12): only the chosen environment is interpolated; the changelog source is
// resolved (and a changelog outside `root` refused) at load time.
import { describe, expect, it } from 'vitest';
import { buildVersion, loadConfig } from '../../src/config/load.js';
import { changelogSourceOf } from '../../src/config/changelog-source.js';
import { SlipwayError } from '../../src/errors.js';
import { makeTree } from '../helpers/tmp.js';

const CONFIG = `name: app
version: 1.2.0
build:
  components:
    application: { include: ["src/**"] }
database:
  url: \${DEV_DB:postgres://localhost/dev}
environments:
  dev:
    database: { contexts: [dev] }
  prod:
    database:
      url: \${PROD_DATABASE_URL}
`;

describe('environment interpolation', () => {
  it('--env dev loads when a variable only environments.prod uses is unset', async () => {
    const dir = await makeTree({ 'slipway.config.yaml': CONFIG });
    const { config } = await loadConfig({ cwd: dir, environment: 'dev', env: {} });
    expect(config.database.url).toBe('postgres://localhost/dev');
    expect(config.database.contexts).toEqual(['dev']);
  });

  it('--env prod still names the unset variable of its own overlay', async () => {
    const dir = await makeTree({ 'slipway.config.yaml': CONFIG });
    const err = await loadConfig({ cwd: dir, environment: 'prod', env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).code).toBe('E_CONFIG');
    expect((err as SlipwayError).details).toEqual([
      'environments.prod.database.url: ${PROD_DATABASE_URL} is not set and has no default',
    ]);
    const ok = await loadConfig({ cwd: dir, environment: 'prod', env: { PROD_DATABASE_URL: 'postgres://p/db' } });
    expect(ok.config.database.url).toBe('postgres://p/db');
    expect(ok.config.sources['database.url']).toMatch(/^environments\.prod \(slipway\.config\.yaml:\d+\)/);
  });

  it('still interpolates the base settings for every environment', async () => {
    const dir = await makeTree({
      'slipway.config.yaml': CONFIG.replace('${DEV_DB:postgres://localhost/dev}', '${DEV_DB}'),
    });
    const err = await loadConfig({ cwd: dir, environment: 'dev', env: {} }).catch((e: unknown) => e);
    expect((err as SlipwayError).details).toEqual(['database.url: ${DEV_DB} is not set and has no default']);
  });
});

describe('changelog source', () => {
  it('is relative to the project root (`root`), whatever directory holds the config', async () => {
    const dir = await makeTree({
      'cfg/slipway.config.yaml': CONFIG.replace('database:\n', 'root: ..\ndatabase:\n  changelog: db/master.xml\n'),
    });
    const { config } = await loadConfig({ cwd: `${dir}/cfg`, env: {} });
    expect(changelogSourceOf(config)).toEqual({
      rootDir: dir,
      changelog: 'cfg/db/master.xml',
      properties: {},
      contexts: ['dev'],
    });
  });

  it('refuses a changelog outside the root at load time, naming the field', async () => {
    const dir = await makeTree({
      'app/slipway.config.yaml': CONFIG.replace('database:\n', 'database:\n  changelog: ../db/master.xml\n'),
    });
    const err = await loadConfig({ cwd: `${dir}/app`, env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    expect(err).toMatchObject({ code: 'E_CONFIG', field: 'database.changelog' });
    expect((err as SlipwayError).message).toBe(`changelog ${dir}/db/master.xml is outside the root ${dir}/app`);
  });
});

describe('target settings', () => {
  const withTarget = (target: string) =>
    `name: app\nversion: 1.0.0\nbuild:\n  components:\n    application: { include: ["src/**"] }\ndeploy:\n  targets:\n    prod:\n${target}`;

  it('validates blue-green and watch settings when the config loads, naming the field and line', async () => {
    const dir = await makeTree({
      'slipway.config.yaml': withTarget(
        '      type: local\n      path: /srv/app\n      strategy: blue-green\n      blueGreen:\n        start: node server.js\n        slots: { blue: { port: 9000 }, green: { port: 9000 } }\n      watch:\n        durationMs: -1\n        thresholds: { errorsSelector: "x{status=5}" }\n',
      ),
    });
    const e = (await loadConfig({ cwd: dir, env: {} }).catch((x: unknown) => x)) as SlipwayError;
    expect(e).toBeInstanceOf(SlipwayError);
    expect(e.code).toBe('E_CONFIG');
    const details = e.details.join('\n');
    expect(details).toMatch(
      /slipway\.config\.yaml:14: deploy\.targets\.prod\.blueGreen\.slots: blue and green need different ports/,
    );
    expect(details).toMatch(/deploy\.targets\.prod\.watch\.durationMs/);
    expect(details).toMatch(/deploy\.targets\.prod\.watch\.thresholds\.errorsSelector/);
  });

  it('refuses strategy blue-green without blueGreen settings at load time', async () => {
    const dir = await makeTree({
      'slipway.config.yaml': withTarget('      type: local\n      path: /srv/app\n      strategy: blue-green\n'),
    });
    const e = (await loadConfig({ cwd: dir, env: {} }).catch((x: unknown) => x)) as SlipwayError;
    expect(e.details.join('\n')).toMatch(
      /deploy\.targets\.prod\.blueGreen: strategy blue-green needs blueGreen settings/,
    );
  });

  it('resolves the settings with their defaults, so the deploy layer never parses them again', async () => {
    const dir = await makeTree({
      'slipway.config.yaml': withTarget(
        '      type: local\n      path: /srv/app\n      strategy: blue-green\n      blueGreen: { start: node server.js }\n',
      ),
    });
    const { config } = await loadConfig({ cwd: dir, env: {} });
    const t = config.deploy.targets.prod!;
    if (t.type !== 'local') throw new Error('expected a local target');
    expect(t.blueGreen?.slots).toEqual({ blue: { port: 8081 }, green: { port: 8082 } });
    expect(t.watch).toMatchObject({ durationMs: 0, thresholds: { consecutive503: 3 } });
  });
});

describe('package.json facts', () => {
  it('are read once at load time: version fallback, engines and the document for the lockfile check', async () => {
    const dir = await makeTree({
      'slipway.config.yaml': 'name: app\nbuild:\n  components:\n    application: { include: ["src/**"] }\n',
      'package.json': JSON.stringify({ version: '3.1.4', engines: { node: '>=20', npm: '>=10' }, dependencies: {} }),
    });
    const { config } = await loadConfig({ cwd: dir, env: {} });
    expect(config.version).toBe('3.1.4');
    expect(config.sources.version).toBe('package.json');
    expect(config.packageJson).toMatchObject({
      version: '3.1.4',
      engines: { node: '>=20', npm: '>=10' },
      problem: null,
    });
    expect(config.packageJson.document).toMatchObject({ dependencies: {} });
  });

  it('leave the version null (a deploy-only config) and say why, naming a broken package.json', async () => {
    const dir = await makeTree({
      'slipway.config.yaml': 'name: app\nbuild:\n  components:\n    application: { include: ["src/**"] }\n',
      'package.json': '{ "version": ',
    });
    const { config } = await loadConfig({ cwd: dir, env: {} });
    expect(config.version).toBeNull();
    expect(config.sources.version).toMatch(
      /^none: no "version" in slipway\.config\.yaml and package\.json is not valid JSON/,
    );
    expect(() => buildVersion(config)).toThrow(/no version to build with/);
  });
});
