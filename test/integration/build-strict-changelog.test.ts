import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { build } from '../../src/builder/pipeline.js';
import { isSlipwayError } from '../../src/errors.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

const CONFIG = `name: strictdb
version: 1.0.0
build:
  output: out
  components:
    application: { include: ["app/**"] }
    database: { include: ["db/**"] }
  checks: { lockfile: false }
database:
  changelog: db/master.sql
  verify: false
`;
// `author:` on the changeset line is an attribute Liquibase 4.28 ignores: a warning, an error under --strict.
const CHANGELOG = '--liquibase formatted sql\n--changeset ann:1 author:Someone\nCREATE TABLE t (id int);\n';

describe('build --strict reaches the changelog parser', () => {
  it('a changelog warning is a package warning without --strict and an E_CHANGELOG error with it', async () => {
    const dir = await makeTree(
      { 'slipway.config.yaml': CONFIG, 'app/index.html': '<p>hi</p>\n', 'db/master.sql': CHANGELOG },
      'slipway-strictdb-',
    );
    dirs.push(dir);
    const config = (await loadConfig({ cwd: dir, env: {} })).config;
    const lenient = await build({ config, sourceDateEpoch: 1_700_000_000, env: {} });
    expect(lenient.details.warnings.join('\n')).toMatch(/db\/master\.sql:2: W_IGNORED_ATTRIBUTE/);

    const err = await build({ config, sourceDateEpoch: 1_700_000_000, env: {}, strict: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isSlipwayError(err) && err.code).toBe('E_CHANGELOG');
    expect((err as Error).message).toBe('1 changelog warning(s), and --strict makes them errors');
    expect(err).toMatchObject({ file: expect.stringContaining('db/master.sql'), line: 2 });
  }, 180_000);
});
