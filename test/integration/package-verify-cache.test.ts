import path from 'node:path';
import { writeFile } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { build } from '../../src/builder/pipeline.js';
import { makeTree, removeTree } from '../helpers/tmp.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await removeTree(d);
});

const CONFIG = `name: cached
version: 1.0.0
build:
  output: out
  components:
    application: { include: ["app/**"] }
    database: { include: ["db/**"] }
  checks: { lockfile: false }
database:
  changelog: db/master.sql
`;
const CHANGELOG = '--liquibase formatted sql\n--changeset ann:1\nCREATE TABLE t (id int);\n--rollback DROP TABLE t;\n';

describe('PGlite verification is cached by content', () => {
  it('reuses the result for an identical package, and verifies again when a changeset changes', async () => {
    const dir = await makeTree(
      { 'slipway.config.yaml': CONFIG, 'app/index.html': '<p>hi</p>\n', 'db/master.sql': CHANGELOG },
      'slipway-vcache-',
    );
    dirs.push(dir);
    const load = async () => (await loadConfig({ cwd: dir, env: {} })).config;
    const verifyPhase = (r: Awaited<ReturnType<typeof build>>) => r.phases.find((p) => p.name === 'verify')!;

    const first = await build({ config: await load(), sourceDateEpoch: 1_700_000_000, env: {} });
    expect(verifyPhase(first)).toMatchObject({ status: 'ok' });
    expect(verifyPhase(first).reason).toMatch(
      /^PGlite in a child process, concurrent with compile; peak RSS [1-9]\d* MB$/,
    );
    expect(first.manifest.components.database.healthStatus).toBe('HEALTHY');

    // Another build time changes only the package's generated-at line: same content address.
    const second = await build({ config: await load(), sourceDateEpoch: 1_700_000_500, env: {} });
    expect(verifyPhase(second)).toMatchObject({ status: 'ok', reason: 'cached result of an identical package' });
    expect(second.manifest.components.database.schemaFingerprint).toBe(
      first.manifest.components.database.schemaFingerprint,
    );

    await writeFile(path.join(dir, 'db/master.sql'), CHANGELOG.replace('(id int)', '(id bigint)'));
    const third = await build({ config: await load(), sourceDateEpoch: 1_700_000_500, env: {} });
    expect(verifyPhase(third).reason).toMatch(
      /^PGlite in a child process, concurrent with compile; peak RSS [1-9]\d* MB$/,
    );
    expect(third.manifest.components.database.schemaFingerprint).not.toBe(
      first.manifest.components.database.schemaFingerprint,
    );
  }, 180_000); // two PGlite runs, each in a child process started through tsx from source
});
