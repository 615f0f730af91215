// Fleet operations beyond the plain rollout, against 2 real sshd hosts and a real PostgreSQL database: the
// compatibility check before any host is touched, the controller's pg_dump before migrating, the watch window per
// host (a failing host rolls the fleet back as one), the emergency rollback, and the retention of uploaded archives.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { chmod, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { Config } from '../../../src/config/schema.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { rollbackFleet } from '../../../src/fleet/fleet-rollback.js';
import { verifyTree } from '../../../src/deploy/verify-tree.js';
import { failureOf } from '../../helpers/failure.js';
import { queryRows } from '../../helpers/pg.js';
import { waitFor } from '../../helpers/wait.js';
import { CS1, CS2, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;

/** The project's config with `extra` lines added to the fleet target (indented as its other settings). */
async function configWith(extra: string[] = []): Promise<Config> {
  return p.config({ rollout: '{ batch: 1, canary: 1 }', targetLines: extra });
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
    const e = await failureOf(deployFleet({ config: await configWith(), target: 'fleet', packagePath: pkg.path }));
    expect(e.code).toBe('E_COMPAT');
    expect(e.message).toMatch(/live version 1\.0\.0 is not in the package's upgradeFrom \[">=2\.0\.0"\]/);
    expect(await Promise.all([0, 1].map(hostState))).toEqual(before);
    expect(await queryRows(p.db.url, `SELECT id FROM databasechangelog`)).toEqual([{ id: '1' }]);
    for (const i of [0, 1]) expect(await p.healthVersion(i)).toBe('1.0.0');
    // The fleet journal closes the run as failed; the controller's record stays on v1. The package was judged from
    // the checked archive: nothing was extracted on the controller either.
    const fj = await p.journalOf(p.controllerRoot);
    expect(fj.at(-1)).toMatchObject({ step: 'run', status: 'failed' });
    expect(await p.currentOf(p.controllerRoot)).toBe(`releases/${v1}`);
    const run = fj.at(-1)!.run;
    expect(fj.filter((x) => x.run === run && x.step === 'extract')).toEqual([]);
    expect(readdirSync(path.join(p.controllerRoot, 'releases'))).toEqual([v1]);
  }, 240_000);

  it('compat: a package that does not know a changeset the database has is refused before any host is touched', async () => {
    const before = await Promise.all([0, 1].map(hostState));
    const pkg = await p.fleetPackage('1.1.0', [CS2]);
    const e = await failureOf(deployFleet({ config: await configWith(), target: 'fleet', packagePath: pkg.path }));
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
    const e = await failureOf(
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

  it('a package without smoke tests: the controller keeps only its metadata and database/, from which a failed gate and a rollback undo the database', async () => {
    const CS3 = { id: '3', sql: 'CREATE TABLE t3 (id int);', rollback: 'DROP TABLE t3;' };
    const cfg = await configWith();
    const ids = async () =>
      (await queryRows(p.db.url, `SELECT id FROM databasechangelog ORDER BY orderexecuted`)).map((r) => r.id);
    const live = (await p.currentOf(p.controllerRoot))!.slice('releases/'.length);
    expect(await ids()).toEqual(['1', '2']);
    const copyOf = (id: string) => path.join(p.controllerRoot, 'releases', id);
    const onlyWhatItReads = async (id: string) => {
      expect(readdirSync(copyOf(id)).sort()).toEqual([
        'SHA256SUMS',
        'build-manifest.json',
        'database',
        'deployment-info.json',
        'version-compatibility.json',
      ]);
      const v = await verifyTree(copyOf(id), {
        select: (x) => x === 'database' || x.startsWith('database/') || !x.includes('/'),
      });
      expect(v.problems).toEqual([]);
    };
    // Host 2 fails its health gate: the undo rolls changeset 3 back with the SQL of the controller's partial copy.
    const failFile = path.join(p.fleet.hosts[1]!.root, 'fail-2.1.0');
    writeFileSync(failFile, '');
    const pkg = await p.fleetPackage('2.1.0', [CS1, CS2, CS3], { smokeTest: false });
    const e = await failureOf(deployFleet({ config: cfg, target: 'fleet', packagePath: pkg.path }));
    expect(e.code).toBe('E_HEALTH');
    expect(await ids()).toEqual(['1', '2']);
    const failedRun = (await p.journalOf(p.controllerRoot)).at(-1)!;
    expect(failedRun).toMatchObject({ step: 'run', status: 'failed' });
    await onlyWhatItReads(failedRun.release!);
    await rm(failFile);
    // Deployed; then a rollback of the fleet undoes changeset 3 from that copy again.
    const r = await deployFleet({ config: cfg, target: 'fleet', packagePath: pkg.path });
    expect(await ids()).toEqual(['1', '2', '3']);
    await onlyWhatItReads(r.releaseId);
    const fj = await p.journalOf(p.controllerRoot);
    expect(fj.find((x) => x.run === fj.at(-1)!.run && x.step === 'extract' && x.status === 'ok')?.data).toMatchObject({
      files: 7, // SHA256SUMS, the three metadata files, database/'s package.sql, changesets.json and changelog.sql
      whole: false,
    });
    const back = await rollbackFleet({ config: cfg, target: 'fleet' });
    expect(back).toMatchObject({ ok: true, from: r.releaseId, to: live });
    expect(back.databaseRolledBack.map((k) => k.id)).toEqual(['3']);
    expect(await ids()).toEqual(['1', '2']);
    for (const i of [0, 1]) expect(await p.healthVersion(i)).toBe('2.0.0');
  }, 400_000);

  it('runAs: restart runs as that user on each host (sudo -n -u), smoke tests as smokeRunAs on the controller; a login user sudo refuses is E_CONFIG before anything changes', async () => {
    // A real user on this machine (the sshd "hosts" are this machine); the test runs as root, as CI does.
    const user = 'slipwayrun';
    if (spawnSync('id', ['-u', user]).status !== 0) execFileSync('useradd', ['-r', '-M', '-s', '/bin/sh', user]);
    execFileSync('usermod', ['-p', '*', user]); // not locked: sshd refuses a locked account even with a key
    const uid = Number(execFileSync('id', ['-u', user]).toString().trim());
    // The apps the earlier tests started run as root: stop them, so the new user's can take the ports.
    for (const [i, h] of p.fleet.hosts.entries()) {
      const pid = Number(await readFile(path.join(h.root, 'app.pid'), 'utf8'));
      process.kill(pid, 'SIGTERM');
      await waitFor(`host ${i + 1}'s app stopped`, async () => (await p.healthVersion(i)) === null);
      await rm(path.join(h.root, 'app.pid'));
      await rm(path.join(h.root, 'app.log'), { force: true });
      // The user may reach and write its host's root; releases/ and the releases are readable as installed.
      await chmod(path.dirname(h.root), 0o755);
      execFileSync('chown', [user, h.root]);
    }
    await chmod(p.fleet.dir, 0o755);
    // The smoke user reaches the controller's copy of the release (<config dir>/.slipway/fleet/<target>/releases/).
    await chmod(p.dir, 0o755);
    // The smoke tests run on the controller: as smokeRunAs, a controller user (this machine again).
    const cfg = await configWith([`runAs: ${user}`, `smokeRunAs: ${user}`]);
    const r = await deployFleet({
      config: cfg,
      target: 'fleet',
      packagePath: (await p.fleetPackage('3.0.0', [CS1, CS2])).path,
    });
    expect(r.ok).toBe(true);
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.healthVersion(i)).toBe('3.0.0');
      const pid = (await readFile(path.join(h.root, 'app.pid'), 'utf8')).trim();
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      expect(/^Uid:\s+(\d+)/m.exec(status)?.[1]).toBe(String(uid));
    }
    const run = (await p.journalOf(p.controllerRoot)).findLast((e) => e.release === r.releaseId)!.run;
    const smokeLogs = path.join(p.controllerRoot, '.slipway', 'logs', run);
    for (const n of [1, 2]) {
      const log = await readFile(path.join(smokeLogs, `smoke-${n}`, 'smoke-health.mjs.log'), 'utf8');
      expect(log).toContain(`smoke ran as uid=${uid}`);
    }
    // A smokeRunAs that names no controller user is refused before any host is touched.
    const unchanged = await Promise.all([0, 1].map(hostState));
    const bad = await failureOf(
      deployFleet({
        config: await configWith([`runAs: ${user}`, 'smokeRunAs: no-such-user-here']),
        target: 'fleet',
        packagePath: (await p.fleetPackage('3.0.1', [CS1, CS2])).path,
      }),
    );
    expect(bad.code).toBe('E_CONFIG');
    expect(bad.message).toBe('smokeRunAs: no user "no-such-user-here" in /etc/passwd');
    expect(await Promise.all([0, 1].map(hostState))).toEqual(unchanged);

    // The hosts reached as that user, which sudo does not let run commands as root: refused, nothing changed.
    await chmod(p.fleet.knownHosts, 0o644);
    await chmod(path.join(p.fleet.dir, 'authorized_keys'), 0o644); // sshd reads it as the login user
    const before = await Promise.all([0, 1].map(hostState));
    const text = p
      .configText({ rollout: '{ batch: 1, canary: 1 }' })
      .replaceAll(`user: ${p.fleet.user},`, `user: ${user},`)
      .replace('rollbackDatabase: true\n', 'rollbackDatabase: true\n      runAs: root\n');
    await writeFile(path.join(p.dir, 'slipway.config.yaml'), text);
    const e = await failureOf(
      deployFleet({
        config: (await loadConfig({ cwd: p.dir, env: {} })).config,
        target: 'fleet',
        packagePath: (await p.fleetPackage('3.1.0', [CS1, CS2])).path,
      }),
    );
    expect(e.code).toBe('E_CONFIG');
    expect(e.message).toMatch(
      new RegExp(`runAs root: sudo -n -u root is not allowed for ${user} .*; nothing was changed`),
    );
    expect(await Promise.all([0, 1].map(hostState))).toEqual(before);
  }, 400_000);
});
