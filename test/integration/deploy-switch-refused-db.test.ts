// A deploy that migrated the database and whose switch is then refused (switch.ts's compare-and-swap: `current` was
// moved by a hand, as `ln -sfn` does, exactly when the run begins its switch — an onProgress hook, no timing). Real
// PostgreSQL, a real target directory. What must hold: the run's own changesets are undone (rollbackDatabase) unless
// the release the hand made live contains them, the error and the journal say exactly what was verified, `current`
// stays where the hand put it, and the target takes the next deploy.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy } from '../../src/deploy/index.js';
import type { Config } from '../../src/config/schema.js';
import { createTestDatabase, queryRows, type TestDatabase } from '../helpers/pg.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeFixturePackage } from '../fixtures/deploy/make-package.js';
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

const [CS1, CS2, CS3] = [tableChangeSet('1'), tableChangeSet('2'), tableChangeSet('3')];

async function dbPackage(version: string, changeSets: FixtureChangeSet[]) {
  const parts = await makeDbParts(version, changeSets);
  return makeFixturePackage({ version, compatibility: parts.compatibility, files: parts.files });
}

describe('a refused switch after the migration (local target, rolling)', () => {
  let db: TestDatabase;
  let dir: string;
  let root: string;
  let config: Config;
  const ids: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('slipway_casdb');
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-casdb-'));
    root = path.join(dir, 'target');
    config = await makeDeployConfig(dir, { databaseUrl: db.url, rollbackDatabase: true, keep: 10 });
    ids.push((await deploy({ config, packagePath: (await dbPackage('1.0.0', [CS1])).path, target: 'prod' })).releaseId);
    ids.push(
      (await deploy({ config, packagePath: (await dbPackage('2.0.0', [CS1, CS2])).path, target: 'prod' })).releaseId,
    );
  }, 120_000);
  afterAll(async () => {
    await db.drop();
    await rm(dir, { recursive: true, force: true });
  });

  const changelog = async () =>
    (await queryRows(db.url, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).map((r) => r.id);

  it('current moved to an older release: the run’s changeset is undone, current stays, the error says what is true', async () => {
    const [v1, v2] = ids as [string, string];
    expect(await currentOf(root)).toBe(v2);
    const e = await refusal(
      deploy({
        config,
        packagePath: (await dbPackage('3.0.0', [CS1, CS2, CS3])).path,
        target: 'prod',
        onProgress: handAtSwitch(root, () => v1),
      }),
    );
    expect(e.code, e.message).toBe('E_DEPLOY');
    expect(e.message).toContain(`current changed under this run: it points at releases/${v1}, not releases/${v2}`);
    expect(await currentOf(root)).toBe(v1);
    // CS3 (this run's) is gone; CS2 (v2's, which v1 does not contain) is reported and left alone
    expect(await changelog()).toEqual(['1', '2']);
    expect(e.details).toContainEqual(
      expect.stringMatching(
        /^database: rolled back the 1 changeset\(s\) \S+ applied \(changelog\.sql::3::test\); databasechangelog no longer records them$/,
      ),
    );
    expect(e.details.join('\n')).toContain(
      `database: 1 changeset(s) that ${v1} does not contain stay applied (changelog.sql::2::test)`,
    );
    expect(e.details[0]).toBe(
      `this run undone, except the database (current left where the change under this run put it): current is still ${v1}`,
    );
    const run = await lastRun(root);
    expect(run.find((x) => x.step === 'db-rollback' && x.status === 'ok')!.data?.changesets).toEqual([fixtureKey('3')]);
    expect(run.at(-1)).toMatchObject({
      step: 'run',
      status: 'failed',
      data: { settled: { to: v1, current: v1, dbRolledBack: [fixtureKey('3')] } },
    });
    expect(run.some((x) => x.step === 'rollback')).toBe(false); // nothing switched over the hand's change
  }, 120_000);

  it('current moved to the release this run installed: its changesets stay (that release needs them), said so', async () => {
    const [v1] = ids as [string];
    expect(await currentOf(root)).toBe(v1);
    let mine = '';
    const e = await refusal(
      deploy({
        config,
        packagePath: (await dbPackage('3.1.0', [CS1, CS2, CS3])).path,
        target: 'prod',
        onProgress: handAtSwitch(root, () => (mine = newestRelease(root)!)),
      }),
    );
    expect(e.code, e.message).toBe('E_DEPLOY');
    expect(mine).not.toBe('');
    expect(await currentOf(root)).toBe(mine);
    expect(await changelog()).toEqual(['1', '2', '3']);
    expect(e.details).toEqual([
      `this run undone, except the database (current left where the change under this run put it): current is still ${mine}`,
      `database: 1 changeset(s) ${mine} applied stay applied, because current points at ${mine}, which contains them: changelog.sql::3::test`,
    ]);
    const run = await lastRun(root);
    expect(run.some((x) => x.step === 'db-rollback')).toBe(false);
    expect(run.at(-1)).toMatchObject({
      step: 'run',
      status: 'failed',
      data: { settled: { to: mine, current: mine, dbRolledBack: [], dbRemaining: [fixtureKey('3')] } },
    });
    ids.push(mine);
  }, 120_000);

  it('the target takes the next deploy: no lock left, nothing to recover, the run’s release deploys again', async () => {
    const r = await deploy({ config, packagePath: (await dbPackage('3.2.0', [CS1, CS2, CS3])).path, target: 'prod' });
    expect(await currentOf(root)).toBe(r.releaseId);
    expect(r.executed).toEqual([]);
    expect(await changelog()).toEqual(['1', '2', '3']);
  }, 120_000);
});
