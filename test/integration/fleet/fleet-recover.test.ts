// SIGKILL of the controller mid-rollout (the built CLI, `node bin/slipway.js deploy`), then `slipway recover
// --target fleet`: a real 4-host fleet (sshd per host), a real database. The kill lands after the canary switched
// and passed its gates, while the rollout pauses before batch 2 (rollout.pauseMs, the configured pause; the test
// waits on the canary's journal, never on a clock). Recovery returns the whole fleet to the previous release.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { ensureDist, runBin } from '../../helpers/cli-bin.js';
import { queryRows } from '../../helpers/pg.js';
import { waitFor } from '../../helpers/wait.js';
import { CS1, CS2, deployKilledAfterCanary, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;

beforeAll(async () => {
  await ensureDist();
  p = await startFleetProject(4, 'slipway_fleet_recover');
}, 400_000);

afterAll(async () => {
  await p?.stop();
});

describe('fleet: controller killed mid-rollout, then recover', () => {
  it('kill -9 after the canary switched; recover returns every host (and the database) to the previous release', async () => {
    const v1 = await deployFleet({
      config: await p.config(),
      target: 'fleet',
      packagePath: (await p.fleetPackage('1.0.0', [CS1])).path,
    });
    // A long configured pause between batches: the controller waits there after the canary passed its gates.
    await p.config({ rollout: '{ batch: 2, canary: 1, pauseMs: 600000 }' });
    const pkg = await p.fleetPackage('2.0.0', [CS1, CS2]);
    const v2 = await deployKilledAfterCanary(p, pkg.path, v1.releaseId);
    const [canary, ...rest] = p.fleet.hosts;
    // The fleet is half rolled out: the canary on 2.0.0, the others on 1.0.0, the database migrated, locks held.
    expect(await p.currentOf(canary!.root)).toBe(`releases/${v2}`);
    expect(await p.healthVersion(0)).toBe('2.0.0');
    for (const h of rest) expect(await p.currentOf(h.root)).toBe(`releases/${v1.releaseId}`);
    for (const h of p.fleet.hosts) expect(existsSync(path.join(h.root, '.slipway', 'lock.d'))).toBe(true);
    expect(await queryRows(p.db.url, `SELECT id FROM databasechangelog ORDER BY orderexecuted`)).toEqual([
      { id: '1' },
      { id: '2' },
    ]);

    // Without --yes: what recovery would do, exit 1, nothing changed.
    const show = runBin(['recover', '--target', 'fleet'], p.dir);
    expect(show.code, show.stderr).toBe(1);
    expect(show.stdout).toMatch(
      /the rollout of .* did not finish \(1 of 4 host\(s\) had begun switching\): the fleet goes back as one/,
    );
    expect(show.stdout).toContain(`current ${v2} → ${v1.releaseId}, restart`);
    expect(show.stderr).toContain('slipway recover --target fleet --yes');
    expect(await p.currentOf(canary!.root)).toBe(`releases/${v2}`);

    const rec = runBin(['recover', '--target', 'fleet', '--yes', '--json'], p.dir);
    expect(rec.code, rec.stderr).toBe(0);
    const out = JSON.parse(rec.stdout) as { complete: boolean; findings: string[]; hosts: { current: string }[] };
    expect(out.complete).toBe(true);
    expect(out.findings.join('\n')).toMatch(/removed a stale host lock of pid \d+ \(deploy /);
    expect(out.findings.join('\n')).toMatch(/database: rolled back the 1 changeset/);
    // Every host serves the same release again; the locks are free; the database is v1's.
    expect(out.hosts.map((h) => h.current)).toEqual(Array(4).fill(v1.releaseId));
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(`releases/${v1.releaseId}`);
      // Serving 1.0.0: waited for (it passed its gate inside recover; CI saw one probe right after it come back
      // empty), and on failure the host's app log, which says whether the app died or never bound. The app ports
      // were ephemeral then (freePort): while recover restarted the canary's app, another test's server could take
      // its port and answer its health gate, the app giving up on EADDRINUSE; they are reserved now (reservedPort).
      await waitFor(`host ${i} to serve 1.0.0`, async () => (await p.healthVersion(i)) === '1.0.0', {
        timeoutMs: 15_000,
      }).catch(async (e: Error) => {
        const log = await readFile(path.join(h.root, 'app.log'), 'utf8').catch(() => '(no app.log)');
        throw new Error(`${e.message}\napp.log of host ${i}:\n${log.slice(-2000)}`);
      });
      expect(existsSync(path.join(h.root, '.slipway', 'lock.d'))).toBe(false);
    }
    expect(existsSync(path.join(p.controllerRoot, '.slipway', 'lock'))).toBe(false);
    expect(await queryRows(p.db.url, `SELECT id FROM databasechangelog ORDER BY orderexecuted`)).toEqual([{ id: '1' }]);
    // The journals tell it: each host's run is closed as interrupted and recovered; only the canary was switched
    // back; the fleet journal closes the run and records where every host went.
    for (const [i, h] of p.fleet.hosts.entries()) {
      const mine = (await p.journalOf(h.root)).filter((e) => e.release === v2);
      const end = mine.filter((e) => e.step === 'run' && e.status !== 'begin');
      expect(end).toHaveLength(1);
      expect(end[0]).toMatchObject({ status: 'failed', data: { interrupted: true, current: v1.releaseId } });
      expect(mine.some((e) => e.step === 'rollback' && e.status === 'ok')).toBe(i === 0);
    }
    const fj = (await p.journalOf(p.controllerRoot)).filter((e) => e.release === v2);
    const end = fj.filter((e) => e.step === 'run' && e.status !== 'begin');
    expect(end).toHaveLength(1);
    expect(end[0]).toMatchObject({ status: 'failed', data: { interrupted: true, kept: false, complete: true } });
    expect(fj.some((e) => e.step === 'db-rollback' && e.status === 'ok')).toBe(true);
    // A second recover finds nothing; the next rollout starts normally.
    const again = await p.cli('recover', '--target', 'fleet');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('no unfinished run');
  }, 600_000);

  it('the built CLI deploys the fleet end to end; maxUnavailable 1 keeps at most one host out of rotation at a time', async () => {
    // batch "100%" would switch all 4 at once; maxUnavailable 1 caps every batch at one host.
    await p.config({ rollout: '{ batch: "100%", maxUnavailable: 1 }' });
    const pkg = await p.fleetPackage('3.0.0', [CS1, CS2]);
    const d = runBin(['deploy', pkg.path, '--target', 'fleet', '--json'], p.dir);
    expect(d.code, d.stderr).toBe(0);
    const r = JSON.parse(d.stdout) as { releaseId: string; batches: string[][]; hosts: { outcome: string }[] };
    expect(r.batches.map((b) => b.length)).toEqual([1, 1, 1, 1]);
    expect(r.hosts.map((h) => h.outcome)).toEqual(['live', 'live', 'live', 'live']);
    const human = runBin(['releases', '--target', 'fleet'], p.dir);
    expect(human.code, human.stderr).toBe(0);
    expect(
      human.stdout.split('\n').filter((l) => l.startsWith(`${p.fleet.user}@`) && l.includes(r.releaseId)),
    ).toHaveLength(4);
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(`releases/${r.releaseId}`);
      expect(await p.healthVersion(i)).toBe('3.0.0');
    }
    // The fleet journal's per-host instants: each host left rotation (switch) only after the previous one was back
    // (health gate passed), so never two at once.
    const windows = (await p.journalOf(p.controllerRoot))
      .filter((e) => e.release === r.releaseId && e.step === 'health' && e.status === 'info')
      .map((e) => e.data as { host: string; outAt: string; inAt: string });
    expect(windows.map((w) => w.host)).toEqual(r.batches.flat());
    for (const [i, w] of windows.entries()) {
      expect(Date.parse(w.outAt)).toBeLessThanOrEqual(Date.parse(w.inAt));
      if (i > 0) expect(Date.parse(w.outAt)).toBeGreaterThanOrEqual(Date.parse(windows[i - 1]!.inAt));
    }
  }, 400_000);
});
