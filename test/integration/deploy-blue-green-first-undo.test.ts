// Blue-green (src/deploy/blue-green/): a first deploy (nothing was live before) whose traffic moved to its slot and
// which then fails its health gate over the proxy. Its undo must not roll back the database under the slot still
// serving: slipway started the slot and the proxy, so it stops them (no stop command needed), then undoes the
// changesets, and the lines say so. Real PostgreSQL, real slot process behind the real proxy.
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, readHistory } from '../../src/deploy/index.js';
import { blueGreenPaths, readBlueGreenState, stopBlueGreen } from '../../src/deploy/blue-green/index.js';
import type { Config } from '../../src/config/schema.js';
import { isPidAlive } from '../../src/pid-alive.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { blueGreenAppTarget } from '../fixtures/deploy/app.js';
import { makeDbParts } from '../fixtures/deploy/db-package.js';
import { refusal, tableChangeSet } from '../fixtures/deploy/refused-switch.js';
import { makeFixturePackage } from '../fixtures/deploy/make-package.js';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/deploy');

describe('blue-green: a failed first deploy whose traffic had moved', () => {
  let db: TestDatabase;
  let dir: string;
  let root: string;
  let config: Config;
  let proxyPort: number;

  beforeAll(async () => {
    db = await createTestDatabase('slipway_bgfirst');
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-bgfirst-'));
    root = path.join(dir, 'target');
    const bg = await blueGreenAppTarget({
      timeoutMs: 5000,
      gateTimeoutMs: 2000,
      more: { databaseUrl: db.url, rollbackDatabase: true },
    });
    proxyPort = bg.proxyPort;
    config = await makeDeployConfig(dir, bg.target);
  }, 120_000);
  afterAll(async () => {
    await stopBlueGreen(root, 2000).catch(() => undefined);
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  it('the slot and the proxy are stopped before its changesets are undone, and the lines say so', async () => {
    // Healthy in its slot, UNHEALTHY from the moment the flag exists: created when the run begins its switch
    // (traffic has moved by then), so the health gate over the proxy fails.
    const flag = path.join(dir, 'break');
    const parts = await makeDbParts('1.0.0', [tableChangeSet('1')]);
    const pkg = await makeFixturePackage({
      version: '1.0.0',
      compatibility: parts.compatibility,
      files: {
        'application/server.mjs': await readFile(path.join(fixtures, 'app-server.mjs'), 'utf8'),
        'application/version.txt': '1.0.0\n',
        'application/fail-when.txt': flag,
        ...parts.files,
      },
    });
    const e = await refusal(
      deploy({
        config,
        packagePath: pkg.path,
        target: 'prod',
        onProgress: (x) => {
          if (x.step === 'switch' && x.status === 'begin') writeFileSync(flag, '');
        },
      }),
    );
    expect(e.code, e.message).toBe('E_HEALTH');
    const release = (await readHistory(root)).find((x) => x.step === 'run' && x.status === 'begin')!.release;
    expect(e.details).toEqual(
      expect.arrayContaining([
        'rolled back automatically: nothing is live: current removed (nothing was live before)',
        'stopped the blue-green slots and proxy (nothing was live before)',
        `database: rolled back the 1 changeset(s) ${release} applied (changelog.sql::1::test); databasechangelog no longer records them`,
      ]),
    );
    // observed: nothing answers on the proxy, no slot process is alive, the changeset is gone
    const answer = await fetch(`http://127.0.0.1:${proxyPort}/`, { signal: AbortSignal.timeout(5000) }).then(
      (r) => r.text(),
      () => 'unreachable',
    );
    expect(answer).toBe('unreachable');
    const state = await readBlueGreenState(blueGreenPaths(root).state);
    expect(state.live).toBeNull();
    for (const s of Object.values(state.slots)) if (s?.pid) expect(isPidAlive(s.pid)).toBe(false);
    expect((await queryRows(db.url, 'SELECT id FROM databasechangelog')).map((r) => r.id)).toEqual([]);
  }, 180_000);
});
