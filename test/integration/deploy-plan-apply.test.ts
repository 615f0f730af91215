// Plan → apply regressions (issue 12): the deploy result's plan, the journal and deployment-info.json come from the
// one planDeploy; a `pglite:` database URL works through the whole deploy (compat reads through the db gateway).
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deploy, readHistory } from '../../src/deploy/index.js';
import { planDeploymentInfo } from '../../src/deploy/plan.js';
import { openSession } from '../../src/db/session.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { makeFixturePackage } from '../fixtures/deploy/make-package.js';
import { makeDbParts } from '../fixtures/deploy/db-package.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('deploy walks the plan it reports', () => {
  it('migrates a pglite: database, and the plan, the journal and --json agree that migrate ran', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-planapply-'));
    dirs.push(dir);
    const dbDir = path.join(dir, 'pgdata');
    const config = await makeDeployConfig(dir, {
      databaseUrl: `pglite:${dbDir}`,
      restart: 'true',
      stop: 'echo never-run',
      smokeTests: false,
    });
    const parts = await makeDbParts('1.0.0', [
      { id: '1', sql: 'CREATE TABLE t1 (id int);', rollback: 'DROP TABLE t1;' },
    ]);
    const pkg = await makeFixturePackage({ version: '1.0.0', compatibility: parts.compatibility, files: parts.files });

    const r = await deploy({ config, packagePath: pkg.path, target: 'prod' });
    expect(r.ok).toBe(true);
    expect(r.executed.map((k) => k.id)).toEqual(['1']);
    const migrate = r.plan.steps.find((s) => s.step === 'migrate')!;
    expect(migrate.skip).toBeUndefined();
    expect(migrate.action).toBe(`apply database/package.sql to pglite:${dbDir}`);

    // The journal of this run has exactly the plan's steps, in order, skipped exactly where the plan skips.
    const entries = (await readHistory(path.join(dir, 'target'))).filter(
      (e) => e.release === r.releaseId && (e.status === 'begin' || e.status === 'skipped') && e.step !== 'run',
    );
    expect(entries.map((e) => [e.step, e.status === 'skipped' ? e.message : 'run'])).toEqual(
      r.plan.steps.map((s) => [s.step, s.skip === undefined ? 'run' : expect.stringContaining(s.skip)]),
    );
    expect(entries.map((e) => e.step)).not.toContain('stop');

    const s = await openSession(`pglite:${dbDir}`);
    try {
      const rows = await s.query('SELECT id FROM databasechangelog ORDER BY orderexecuted');
      expect(rows.rows).toEqual([{ id: '1' }]);
    } finally {
      await s.close();
    }

    // A dry run of the same package on the now-migrated target renders the same steps and decisions.
    const dry = await deploy({ config, packagePath: pkg.path, target: 'prod', dryRun: true });
    expect(dry.plan.steps.map((x) => [x.step, x.skip ?? null])).toEqual(
      r.plan.steps.map((x) => [x.step, x.skip ?? null]),
    );
    // Each PGlite open of a data directory takes seconds (compat, migrate and its read-backs, the dry run).
  }, 240_000);

  it('deployment-info.json lists the steps a deploy runs: no stop step, migrate and backup when configured', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'slipway-planinfo-'));
    dirs.push(dir);
    const config = await makeDeployConfig(dir, {
      databaseUrl: 'postgres://app:secret@db.example/app',
      backupDatabase: true,
      restart: 'bash start.sh',
      stop: 'bash stop.sh',
      shared: ['logs'],
      health: { url: 'http://127.0.0.1:9/health', timeoutMs: 60000 },
    });
    const info = planDeploymentInfo(config, true);
    expect(info.targets).toHaveLength(1);
    expect(info.targets[0]!.steps).toEqual([
      'verify: verify the archive digest and every SHA256SUMS line of the package',
      'extract: extract into releases/.staging-<release-id>, verify again, link 1 shared path(s) (logs), rename to releases/<release-id>',
      'compat: check version-compatibility.json against the live release and the database',
      'precheck: probe http://127.0.0.1:9/health (live system must be healthy)',
      'backup: pg_dump postgres://app:***@db.example/app into .slipway/backups/',
      'migrate: apply database/package.sql to postgres://app:***@db.example/app',
      'switch: point current at releases/<release-id>',
      'restart: run the restart command (timeout 60000 ms)',
      'health: wait until http://127.0.0.1:9/health is HEALTHY (timeout 60000 ms)',
      'smoke: run tests/smoke/*.mjs|*.sh from the package, if any',
      'retention: keep the newest 5 releases (never current, the last good or a pinned one)',
    ]);
    // Without a database part, migrate is not listed.
    expect(planDeploymentInfo(config, false).targets[0]!.steps.some((x) => x.startsWith('migrate'))).toBe(false);
  });
});
