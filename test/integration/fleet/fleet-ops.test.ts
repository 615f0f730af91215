// Fleet operations beyond the plain rollout, against 2 real sshd hosts and a real PostgreSQL database: the
// compatibility check before any host is touched, the controller's pg_dump before migrating, the watch window per
// host (a failing host rolls the fleet back as one), the emergency rollback, and the retention of uploaded archives.
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import type { SlipwayError } from '../../../src/errors.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { rollbackFleet } from '../../../src/fleet/fleet-rollback.js';
import { queryRows } from '../../helpers/pg.js';
import { CS1, CS2, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;

const fail = (x: Promise<unknown>) =>
  x.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as SlipwayError,
  );

/** The project's config with `extra` lines added to the fleet target (indented as its other settings). */
async function configWith(extra: string[] = []): Promise<Config> {
  const text = p
    .configText({ rollout: '{ batch: 1, canary: 1 }' })
    .replace(
      'rollbackDatabase: true\n',
      ['rollbackDatabase: true', ...extra.map((l) => `      ${l}`)].join('\n') + '\n',
    );
  await writeFile(path.join(p.dir, 'slipway.config.yaml'), text);
  return (await loadConfig({ cwd: p.dir, env: {} })).config;
}

/** Everything a refused run must leave alone on a host: its journal, current, releases and uploaded archives. */
async function hostState(i: number) {
  const root = p.fleet.hosts[i]!.root;
  const ls = (d: string) => (existsSync(path.join(root, d)) ? readdirSync(path.join(root, d)).sort() : []);
  return {
    journal: (await p.journalOf(root)).length,
    current: await p.currentOf(root),
    releases: ls('releases'),
    incoming: ls('.slipway/incoming'),
  };
}

beforeAll(async () => {
  p = await startFleetProject(2, 'slipway_fleet_ops');
}, 120_000);

afterAll(async () => {
  await p?.stop();
});

describe('fleet operations over real sshd', () => {
  let v1 = '';

  it('backupDatabase: one pg_dump from the controller, before the migration', async () => {
    const r = await deployFleet({
      config: await configWith(['backupDatabase: true']),
      target: 'fleet',
      packagePath: (await p.fleetPackage('1.0.0', [CS1])).path,
    });
    v1 = r.releaseId;
    const dump = path.join(p.controllerRoot, '.slipway', 'backups', `${r.releaseId}-before.dump`);
    expect(existsSync(dump)).toBe(true);
    const fj = await p.journalOf(p.controllerRoot);
    const at = (step: string, status: string) => fj.findIndex((e) => e.step === step && e.status === status);
    expect(at('backup', 'ok')).toBeGreaterThan(-1);
    expect(at('backup', 'ok')).toBeLessThan(at('migrate', 'begin'));
    expect(fj.find((e) => e.step === 'backup' && e.status === 'ok')?.data?.file).toBe(dump);
    // No host got a dump: it is taken once, on the controller.
    for (const h of p.fleet.hosts) expect(existsSync(path.join(h.root, '.slipway', 'backups'))).toBe(false);
  }, 240_000);

  it('compat: a package whose upgradeFrom excludes the hosts’ live version is refused with nothing changed on any host', async () => {
    const before = await Promise.all([0, 1].map(hostState));
    const pkg = await p.fleetPackage('3.0.0', [CS1, CS2], { upgradeFrom: ['>=2.0.0'] });
    const e = await fail(deployFleet({ config: await configWith(), target: 'fleet', packagePath: pkg.path }));
    expect(e.code).toBe('E_COMPAT');
    expect(e.message).toMatch(/live version 1\.0\.0 is not in the package's upgradeFrom \[">=2\.0\.0"\]/);
    expect(await Promise.all([0, 1].map(hostState))).toEqual(before);
    expect(await queryRows(p.db.url, `SELECT id FROM databasechangelog`)).toEqual([{ id: '1' }]);
    for (const i of [0, 1]) expect(await p.healthVersion(i)).toBe('1.0.0');
    // The fleet journal closes the run as failed; the controller's record stays on v1.
    const fj = await p.journalOf(p.controllerRoot);
    expect(fj.at(-1)).toMatchObject({ step: 'run', status: 'failed' });
    expect(await p.currentOf(p.controllerRoot)).toBe(`releases/${v1}`);
  }, 240_000);

  it('compat: a package that does not know a changeset the database has is refused before any host is touched', async () => {
    const before = await Promise.all([0, 1].map(hostState));
    const pkg = await p.fleetPackage('1.1.0', [CS2]);
    const e = await fail(deployFleet({ config: await configWith(), target: 'fleet', packagePath: pkg.path }));
    expect(e.code).toBe('E_COMPAT');
    expect(e.message).toMatch(/the database has 1 changeset\(s\) this package does not contain/);
    expect(await Promise.all([0, 1].map(hostState))).toEqual(before);
  }, 240_000);

  it('rollback --emergency: stop and switch every host in reverse order, database once, restart all, notify', async () => {
    const marker = path.join(p.dir, 'notified.txt');
    const cfg = await configWith([
      `stop: ${JSON.stringify('kill "$(cat "$SLIPWAY_TARGET_ROOT/app.pid")"')}`,
      `notify: { command: ${JSON.stringify(`echo "$SLIPWAY_EVENT $SLIPWAY_TO_RELEASE" > ${marker}`)} }`,
    ]);
    const v2 = await deployFleet({
      config: cfg,
      target: 'fleet',
      packagePath: (await p.fleetPackage('2.0.0', [CS1, CS2])).path,
    });
    for (const i of [0, 1]) expect(await p.healthVersion(i)).toBe('2.0.0');
    const pidOf = (i: number) => readFile(path.join(p.fleet.hosts[i]!.root, 'app.pid'), 'utf8');
    const pidsBefore = await Promise.all([0, 1].map(pidOf));
    const events: string[] = [];
    const r = await rollbackFleet({
      config: cfg,
      target: 'fleet',
      emergency: true,
      onProgress: (e) =>
        events.push(
          `${e.host ? p.fleet.hosts.findIndex((h) => e.host!.includes(h.root)) + 1 : 'fleet'} ${e.step} ${e.status}`,
        ),
    });
    expect(r).toMatchObject({ ok: true, from: v2.releaseId, to: v1, notified: true });
    expect(r.databaseRolledBack.map((k) => k.id)).toEqual(['2']);
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(`releases/${v1}`);
      expect(await p.healthVersion(i)).toBe('1.0.0');
    }
    expect(await Promise.all([0, 1].map(pidOf))).not.toContain(pidsBefore[0]);
    expect(await queryRows(p.db.url, `SELECT id FROM databasechangelog ORDER BY orderexecuted`)).toEqual([{ id: '1' }]);
    // Host 2 (last in rollout order) stopped and switched before host 1; the database after both; restarts after it.
    const at = (e: string) => events.indexOf(e);
    expect(at('2 stop ok')).toBeGreaterThan(-1);
    expect(at('2 stop ok')).toBeLessThan(at('2 switch ok'));
    expect(at('2 switch ok')).toBeLessThan(at('1 stop begin'));
    expect(at('1 switch ok')).toBeLessThan(at('fleet db-rollback begin'));
    expect(at('fleet db-rollback ok')).toBeLessThan(Math.min(at('1 restart begin'), at('2 restart begin')));
    for (const h of p.fleet.hosts) {
      const runs = (await p.journalOf(h.root)).filter((e) => e.kind === 'emergency-rollback' && e.step === 'run');
      expect(runs.map((e) => e.status)).toEqual(['begin', 'ok']);
    }
    expect(await p.currentOf(p.controllerRoot)).toBe(`releases/${v1}`);
    expect((await readFile(marker, 'utf8')).trim()).toBe(`emergency-rollback ${v1}`);
  }, 400_000);

  it('watch window: host 2 failing during the window rolls the whole fleet back (host 1 too), database too', async () => {
    const cfg = await configWith([
      'watch: { durationMs: 120000, thresholds: { consecutive503: 2, probeIntervalMs: 200, probeTimeoutMs: 2000 } }',
    ]);
    const failFile = path.join(p.fleet.hosts[1]!.root, 'fail-2.0.0');
    const events: string[] = [];
    const e = await fail(
      deployFleet({
        config: cfg,
        target: 'fleet',
        packagePath: (await p.fleetPackage('2.0.0', [CS1, CS2])).path,
        onProgress: (x) => {
          events.push(`${x.host ?? 'fleet'} ${x.step} ${x.status}`);
          // Every host passed its gates and the window opened: host 2 goes bad now.
          if (!x.host && x.step === 'health' && x.status === 'begin') writeFileSync(failFile, '');
        },
      }),
    );
    expect(e.code).toBe('E_HEALTH');
    expect(e.message).toMatch(/^watch window: .*host2\/root: health: 2 consecutive failed health probes/);
    expect(events).toContain('fleet health failed');
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(`releases/${v1}`);
      expect(await p.healthVersion(i)).toBe('1.0.0');
    }
    expect(await queryRows(p.db.url, `SELECT id FROM databasechangelog ORDER BY orderexecuted`)).toEqual([{ id: '1' }]);
    expect(e.details.join('\n')).toMatch(/database: rolled back the 1 changeset/);
    await rm(failFile);
  }, 400_000);

  it('CLI --watch 2s: every host watched at once, the result per host in the fleet journal', async () => {
    await configWith();
    const d = await p.cli(
      'deploy',
      (await p.fleetPackage('2.0.0', [CS1, CS2])).path,
      '--target',
      'fleet',
      '--watch',
      '2s',
      '--json',
    );
    expect(d.code, d.stderr).toBe(0);
    const fj = await p.journalOf(p.controllerRoot);
    const w = fj.filter((x) => x.step === 'health' && x.status === 'ok').at(-1)!;
    expect(w.message).toMatch(/^\d+ probe\(s\) on 2 host\(s\), no trigger$/);
    const hosts = w.data?.hosts as { host: string; probes: number }[];
    expect(hosts.map((h) => h.host)).toEqual(
      p.fleet.hosts.map((h) => expect.stringContaining(h.root) as unknown as string),
    );
    for (const h of hosts) expect(h.probes).toBeGreaterThan(0);
    for (const i of [0, 1]) expect(await p.healthVersion(i)).toBe('2.0.0');
  }, 400_000);
});
