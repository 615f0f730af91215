// A host lost in the middle of a rollout's switch phase: a real 3-host fleet (an sshd per host) and a real database.
// The rollout (batch 2, canary 1: host 1, then hosts 2 and 3) has switched the canary and host 3 when host 3's sshd
// dies — the listener and the processes serving its connections get SIGKILL, so the controller's connection drops
// and new ones are refused. The rollout must stop, put back every switched host it can reach (verified: read back,
// restarted, health-gated), report host 3's state as not verified — never as rolled back — and leave what
// `slipway recover` needs (the fleet run open, host 3's lock and journal); once host 3's sshd is back, recover puts
// every host on one release and only then undoes the database.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlipwayError } from '../../../src/errors.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { queryRows } from '../../helpers/pg.js';
import { waitFor } from '../../helpers/wait.js';
import { CS1, CS2, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;

beforeAll(async () => {
  p = await startFleetProject(3, 'slipway_fleet_lost');
}, 400_000);

afterAll(async () => {
  await p?.stop();
});

const changelog = async () =>
  (await queryRows(p.db.url, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).map((r) => r.id);
const locked = (i: number) => existsSync(path.join(p.fleet.hosts[i]!.root, '.slipway', 'lock.d'));

describe('fleet: a host lost during the switch phase', () => {
  it("host 3's sshd killed after it switched: the rest put back and verified, host 3 reported unverified, recover converges", async () => {
    const config = await p.config();
    const v1 = (
      await deployFleet({ config, target: 'fleet', packagePath: (await p.fleetPackage('1.0.0', [CS1])).path })
    ).releaseId;
    const h3 = p.fleet.hosts[2]!;
    const host3 = `${p.fleet.user}@127.0.0.1:${h3.port}:${h3.root}`;
    let killedAt: string | null = null;
    const e = await deployFleet({
      config,
      target: 'fleet',
      packagePath: (await p.fleetPackage('2.0.0', [CS1, CS2])).path,
      onProgress: (ev) => {
        // Host 3 has switched (its switch step passed) and is about to restart: its sshd dies now.
        if (!killedAt && ev.host === host3 && ev.step === 'restart' && ev.status === 'begin') {
          h3.kill();
          killedAt = ev.message ?? 'restart';
        }
      },
    }).then(
      () => {
        throw new Error('expected the rollout to fail on host 3');
      },
      (x: unknown) => x as SlipwayError,
    );
    expect(killedAt, 'host 3 never reached its restart').not.toBeNull();
    const v2 = (await p.journalOf(p.controllerRoot)).filter((x) => x.step === 'run' && x.status === 'begin').pop()!
      .release!;
    expect(e.code, e.message).toBe('E_SSH');
    expect(e.message).toContain(`batch 2/2 failed on ${host3}`);
    const details = e.details.join('\n');
    // The truth on the hosts: 1 and 2 back on v1 and serving it; host 3 switched to v2 before it was lost.
    for (const i of [0, 1]) {
      expect(await p.currentOf(p.fleet.hosts[i]!.root)).toBe(`releases/${v1}`);
      expect(await p.healthVersion(i)).toBe('1.0.0');
      expect(locked(i)).toBe(false);
      expect(details).toContain(
        `${p.fleet.user}@127.0.0.1:${p.fleet.hosts[i]!.port}:${p.fleet.hosts[i]!.root}: current is ${v1} again`,
      );
    }
    expect(await p.currentOf(h3.root)).toBe(`releases/${v2}`);
    // What the report says of host 3: not verified, never "rolled back" or a current it could not read.
    expect(details).toContain(`${host3}: not verified`);
    expect(details).not.toMatch(
      new RegExp(`${host3.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: (current is|could not point)`),
    );
    expect(details).toContain(`slipway recover --target fleet --yes`);
    // The database keeps the run's changeset while a host may still run v2 on it (the old release ran on it
    // throughout the rollout); recover undoes it once every host is verified back.
    expect(await changelog()).toEqual(['1', '2']);
    expect(details).toMatch(/database: .*stay applied until every host of the run is verified back/);
    // Left for recover: the fleet run open, host 3's lock and its run's journal lines.
    const fleetRun = (await p.journalOf(p.controllerRoot)).filter((x) => x.release === v2);
    expect(fleetRun.filter((x) => x.step === 'run' && x.status !== 'begin')).toEqual([]);
    expect(locked(2)).toBe(true);
    expect(existsSync(path.join(p.controllerRoot, '.slipway', 'lock'))).toBe(false);
    // The fleet journal records what was verified and what was not.
    const verdict = fleetRun.find((x) => x.step === 'rollback' && x.status === 'warning');
    expect(verdict?.data).toMatchObject({ unverified: [host3] });

    // While host 3 is down, recover changes nothing and names it.
    const refused = await p.cli('recover', '--target', 'fleet', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(host3);
    expect(await changelog()).toEqual(['1', '2']);

    await h3.start();
    const rec = await p.cli('recover', '--target', 'fleet', '--yes', '--json');
    expect(rec.code, rec.stderr).toBe(0);
    const out = JSON.parse(rec.stdout) as { complete: boolean; findings: string[]; hosts: { current: string }[] };
    expect(out.complete, out.findings.join('\n')).toBe(true);
    expect(out.hosts.map((h) => h.current)).toEqual([v1, v1, v1]);
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(`releases/${v1}`);
      await waitFor(`host ${i + 1} to serve 1.0.0`, async () => (await p.healthVersion(i)) === '1.0.0', {
        timeoutMs: 15_000,
      });
      expect(locked(i)).toBe(false);
    }
    expect(await changelog()).toEqual(['1']);
    const again = await p.cli('recover', '--target', 'fleet');
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain('no unfinished run');
  }, 600_000);
});
