// ResolvedConfig regressions (issue 12): only the chosen environment is interpolated; the changelog source is
// resolved (and a changelog outside `root` refused) at load time.
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
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
