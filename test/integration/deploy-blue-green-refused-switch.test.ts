// Blue-green (src/deploy/blue-green/): traffic moves to the new slot first and `current` follows with a
// compare-and-swap (switch.ts). Here `current` is moved by a hand (a new link renamed over it) exactly when the run
// begins that switch (an onProgress hook, no timing), after the migration and after traffic moved. Real PostgreSQL,
// real slot processes behind the real proxy. What must hold: the run's changesets are undone unless the release the
// hand made live contains them, traffic ends on the release `current` names (checked over the proxy), the error and
// the journal say what was verified, a release still live and answering in its slot is not restarted, an undo that
// could not finish is finished by `recover` on that same release (keeping what it contains), and the target takes
// the next deploy.
import { rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, recoverTarget } from '../../src/deploy/index.js';
import { stopBlueGreen } from '../../src/deploy/blue-green/index.js';
import type { Config } from '../../src/config/schema.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeDbParts, type FixtureChangeSet } from '../fixtures/deploy/db-package.js';
import {
  currentOf,
  fixtureKey,
  handAtSwitch,
  lastRun,
  newestRelease,
  refusal,
  tableChangeSet,
} from '../fixtures/deploy/refused-switch.js';
import { makeFixturePackage } from '../fixtures/deploy/make-package.js';
import { blueGreenAppTarget } from '../fixtures/deploy/app.js';

const [CS1, CS2, CS3, CS4] = [tableChangeSet('1'), tableChangeSet('2'), tableChangeSet('3'), tableChangeSet('4')];

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/deploy');
/** The tiny HTTP app (its version on /, HEALTHY on /health) with a database part. */
async function appDbPackage(version: string, changeSets: FixtureChangeSet[], more: Record<string, string> = {}) {
  const parts = await makeDbParts(version, changeSets);
  return makeFixturePackage({
    version,
    compatibility: parts.compatibility,
    files: {
      'application/server.mjs': await readFile(path.join(fixtures, 'app-server.mjs'), 'utf8'),
      'application/status.txt': 'HEALTHY\n',
      'application/version.txt': version + '\n',
      ...parts.files,
      ...more,
    },
  });
}

describe('blue-green: a refused switch after the migration and the traffic move', () => {
  let db: TestDatabase;
  let dir: string;
  let root: string;
  let config: Config;
  let proxyPort: number;
  const ids: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('slipway_bgcas');
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-bgcas-'));
    root = path.join(dir, 'target');
    const bg = await blueGreenAppTarget({
      timeoutMs: 5000,
      more: { databaseUrl: db.url, rollbackDatabase: true, keep: 10 },
    });
    proxyPort = bg.proxyPort;
    config = await makeDeployConfig(dir, bg.target);
    ids.push(
      (await deploy({ config, packagePath: (await appDbPackage('1.0.0', [CS1])).path, target: 'prod' })).releaseId,
    );
    ids.push(
      (await deploy({ config, packagePath: (await appDbPackage('2.0.0', [CS1, CS2])).path, target: 'prod' })).releaseId,
    );
  }, 120_000);
  afterAll(async () => {
    await stopBlueGreen(root, 2000).catch(() => undefined);
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const home = async () => (await fetch(`http://127.0.0.1:${proxyPort}/`)).text();
  const changelog = async () =>
    (await queryRows(db.url, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).map((r) => r.id);

  it('current moved to an older release: traffic follows current, the run’s changeset is undone', async () => {
    const [v1, v2] = ids as [string, string];
    expect(await home()).toBe('version 2.0.0\n');
    const e = await refusal(
      deploy({
        config,
        packagePath: (await appDbPackage('3.0.0', [CS1, CS2, CS3])).path,
        target: 'prod',
        onProgress: handAtSwitch(root, () => v1),
      }),
    );
    expect(e.code, e.message).toBe('E_DEPLOY');
    expect(e.message).toContain(`current changed under this run: it points at releases/${v1}, not releases/${v2}`);
    expect(await currentOf(root)).toBe(v1);
    expect(await home(), e.details.join('\n')).toBe('version 1.0.0\n');
    expect(await changelog()).toEqual(['1', '2']);
    expect(e.details).toContain(
      `this run undone, except the database (current left where the change under this run put it): current is still ${v1}`,
    );
    expect(e.details).toContainEqual(
      expect.stringMatching(/^database: rolled back the 1 changeset\(s\) \S+ applied \(changelog\.sql::3::test\)/),
    );
    expect(e.details).toContain(`restarted ${v1}`);
    expect(e.details).toContain(`${v1} passed its health gate`);
    const run = await lastRun(root);
    expect(run.at(-1)).toMatchObject({
      step: 'run',
      status: 'failed',
      data: { settled: { to: v1, current: v1, healthy: true, dbRolledBack: [fixtureKey('3')], complete: true } },
    });
  }, 120_000);

  it('current moved to the release this run installed: traffic stays on it, its changesets stay', async () => {
    let mine = '';
    const e = await refusal(
      deploy({
        config,
        packagePath: (await appDbPackage('3.1.0', [CS1, CS2, CS3])).path,
        target: 'prod',
        onProgress: handAtSwitch(root, () => (mine = newestRelease(root))),
      }),
    );
    expect(e.code, e.message).toBe('E_DEPLOY');
    expect(await currentOf(root)).toBe(mine);
    expect(await home(), e.details.join('\n')).toBe('version 3.1.0\n');
    expect(await changelog()).toEqual(['1', '2', '3']);
    expect(e.details, e.details.join('\n')).toContain(
      `database: 1 changeset(s) ${mine} applied stay applied, because current points at ${mine}, which contains them: changelog.sql::3::test`,
    );
    expect(e.details).toContain(`${mine} passed its health gate`);
    const run = await lastRun(root);
    expect(run.some((x) => x.step === 'db-rollback')).toBe(false);
    expect(run.at(-1)).toMatchObject({
      step: 'run',
      status: 'failed',
      data: { settled: { to: mine, current: mine, healthy: true, dbRemaining: [fixtureKey('3')], complete: true } },
    });
  }, 120_000);

  it('current moved to the release this run installed, whose restart then fails: its changesets stay, and recover keeps them and it', async () => {
    // 3.1.1 answers UNHEALTHY from the moment the flag exists: the hand creates it as it moves current, so the
    // undo finds its live slot unhealthy and its fresh start fails too (the undo leaves its changeset for recover).
    const flag = path.join(dir, 'break-3.1.1');
    let mine = '';
    const hand = handAtSwitch(root, () => (mine = newestRelease(root)));
    const e = await refusal(
      deploy({
        config,
        packagePath: (await appDbPackage('3.1.1', [CS1, CS2, CS3, CS4], { 'application/fail-when.txt': flag })).path,
        target: 'prod',
        onProgress: (x) => {
          hand(x);
          if (x.step === 'switch' && x.status === 'begin') writeFileSync(flag, '');
        },
      }),
    );
    expect(e.code, e.message).toBe('E_DEPLOY');
    expect(await currentOf(root)).toBe(mine);
    expect(e.details).toContainEqual(
      expect.stringMatching(new RegExp(`^${mine} did not come back: .*did not become healthy`)),
    );
    expect(e.details).toContainEqual(expect.stringMatching(/^database: not undone: /));
    expect(e.details).toContain('to finish: slipway recover --target prod --yes');
    expect(await changelog()).toEqual(['1', '2', '3', '4']);
    expect((await lastRun(root)).at(-1)).toMatchObject({ data: { settled: { to: mine, complete: false } } });

    // The cause gone, recover settles where the undo was going: the run's own release, live, with its changeset.
    rmSync(flag);
    const r = await recoverTarget({ config, target: 'prod', yes: true });
    expect(r.complete, r.findings.join('\n')).toBe(true);
    const said = r.findings.join('\n');
    expect(said).toContain(`${mine} was still live and answered its slot's health check (no restart)`);
    expect(said).toContain(
      `database: 1 changeset(s) ${mine} applied stay applied, because current points at ${mine}, which contains them: changelog.sql::4::test`,
    );
    expect(said).toContain(`${mine} passed its health gate`);
    expect(await currentOf(root)).toBe(mine);
    expect(await home()).toBe('version 3.1.1\n');
    expect(await changelog()).toEqual(['1', '2', '3', '4']);
  }, 180_000);

  it('the target takes the next deploy', async () => {
    const r = await deploy({
      config,
      packagePath: (await appDbPackage('3.2.0', [CS1, CS2, CS3, CS4])).path,
      target: 'prod',
    });
    expect(await currentOf(root)).toBe(r.releaseId);
    expect(await home()).toBe('version 3.2.0\n');
    expect(r.executed).toEqual([]);
  }, 120_000);
});
