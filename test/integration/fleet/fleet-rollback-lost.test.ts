// A host lost in the middle of a fleet rollback: a real 2-host fleet (an sshd per host) and a real database. The
// rollback (rollout order: host 1, then host 2) has put host 1 back when host 2's sshd dies (listener and sessions
// SIGKILLed). The rollback must stop, say which host returned (verified) and which is not verified, leave the
// database as it is, and record that in the fleet journal with the run left for `slipway recover` — not throw the
// bare ssh error with nothing recorded. Once host 2 is back, recover puts the fleet on one release, and the
// rollback then completes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlipwayError } from '../../../src/errors.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { rollbackFleet } from '../../../src/fleet/fleet-rollback.js';
import { queryRows } from '../../helpers/pg.js';
import { waitFor } from '../../helpers/wait.js';
import { CS1, CS2, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;

beforeAll(async () => {
  p = await startFleetProject(2, 'slipway_fleet_rb_lost');
}, 400_000);

afterAll(async () => {
  await p?.stop();
});

const changelog = async () =>
  (await queryRows(p.db.url, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).map((r) => r.id);

describe('fleet rollback: a host lost part-way', () => {
  it("host 2's sshd killed after host 1 returned: recorded as returned / not verified, database kept, recover converges", async () => {
    const config = await p.config();
    const v1 = (
      await deployFleet({ config, target: 'fleet', packagePath: (await p.fleetPackage('1.0.0', [CS1])).path })
    ).releaseId;
    const v2 = (
      await deployFleet({ config, target: 'fleet', packagePath: (await p.fleetPackage('2.0.0', [CS1, CS2])).path })
    ).releaseId;
    const [h1, h2] = p.fleet.hosts as [(typeof p.fleet.hosts)[0], (typeof p.fleet.hosts)[0]];
    const label = (h: typeof h1) => `${p.fleet.user}@127.0.0.1:${h.port}:${h.root}`;
    let killed = false;
    const e = await rollbackFleet({
      config,
      target: 'fleet',
      onProgress: (ev) => {
        if (!killed && ev.host === label(h1) && ev.step === 'health' && ev.status === 'ok') {
          h2.kill();
          killed = true;
        }
      },
    }).then(
      () => {
        throw new Error('expected the rollback to stop at host 2');
      },
      (x: unknown) => x as SlipwayError,
    );
    expect(killed, 'host 1 never passed its health gate').toBe(true);
    expect(e.code, e.message).toBe('E_ROLLBACK');
    expect(e.message).toContain(label(h2));
    const details = e.details.join('\n');
    expect(details).toContain(`${label(h1)}: returned: current is ${v1}, healthy`);
    expect(details).toContain(`${label(h2)}: not verified: `);
    expect(details).toContain('database: nothing rolled back');
    expect(details).toContain('to finish: slipway recover --target fleet --yes');
    // The truth: host 1 on v1 and serving it, host 2 untouched on v2, the database as v2 left it.
    expect(await p.currentOf(h1.root)).toBe(`releases/${v1}`);
    expect(await p.healthVersion(0)).toBe('1.0.0');
    expect(await p.currentOf(h2.root)).toBe(`releases/${v2}`);
    expect(await changelog()).toEqual(['1', '2']);
    // The fleet journal records it, and the run is left for recovery.
    const fleetRun = (await p.journalOf(p.controllerRoot)).filter((x) => x.release === v1 && x.step !== 'switch');
    const mine = fleetRun.filter(
      (x) => x.run === fleetRun.find((y) => y.step === 'run' && y.status === 'begin' && y.kind === 'rollback')?.run,
    );
    expect(mine.find((x) => x.step === 'rollback' && x.status === 'warning')?.data).toMatchObject({
      returned: [label(h1)],
      unverified: [label(h2)],
    });
    expect(mine.filter((x) => x.step === 'run' && x.status !== 'begin')).toEqual([]);

    // While host 2 is down, recover changes nothing and names it.
    const refused = await p.cli('recover', '--target', 'fleet', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(label(h2));
    await h2.start();
    const rec = await p.cli('recover', '--target', 'fleet', '--yes', '--json');
    expect(rec.code, rec.stderr).toBe(0);
    const out = JSON.parse(rec.stdout) as { complete: boolean; findings: string[]; hosts: { current: string }[] };
    expect(out.complete, out.findings.join('\n')).toBe(true);
    // One release everywhere (the interrupted rollback had not begun on the database: back where it came from).
    expect(new Set(out.hosts.map((h) => h.current)).size).toBe(1);
    // The rollback, run again, completes.
    const again = await rollbackFleet({ config, target: 'fleet', to: v1 });
    expect(again.ok).toBe(true);
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(`releases/${v1}`);
      await waitFor(`host ${i + 1} to serve 1.0.0`, async () => (await p.healthVersion(i)) === '1.0.0', {
        timeoutMs: 15_000,
      });
    }
    expect(await changelog()).toEqual(['1']);
  }, 600_000);

  it("emergency: host 2's sshd killed after its release was taken off: reported not verified (never 'current (none)'), the run left for recover, which converges", async () => {
    const config = await p.config();
    const v1 = (await p.journalOf(p.controllerRoot)).filter((x) => x.step === 'run' && x.status === 'ok').pop()!
      .release!;
    const v2 = (
      await deployFleet({ config, target: 'fleet', packagePath: (await p.fleetPackage('2.0.0', [CS1, CS2])).path })
    ).releaseId;
    const [h1, h2] = p.fleet.hosts as [(typeof p.fleet.hosts)[0], (typeof p.fleet.hosts)[0]];
    const label = (h: typeof h1) => `${p.fleet.user}@127.0.0.1:${h.port}:${h.root}`;
    let killed = false;
    // Reverse rollout order: host 2's release comes off first; host 2 dies when host 1's turn begins.
    const e = await rollbackFleet({
      config,
      target: 'fleet',
      to: v1,
      emergency: true,
      onProgress: (ev) => {
        if (!killed && ev.host === label(h1) && ev.step === 'stop') {
          h2.kill();
          killed = true;
        }
      },
    }).then(
      () => {
        throw new Error('expected the emergency rollback not to complete');
      },
      (x: unknown) => x as SlipwayError,
    );
    expect(killed, "host 1's turn never came").toBe(true);
    expect(e.code, e.message).toBe('E_ROLLBACK');
    const details = e.details.join('\n');
    expect(details).toContain(`${label(h2)}: not verified: its current could not be read back`);
    expect(details).not.toContain(`${label(h2)}: current (none)`);
    expect(details).toContain(`${label(h1)}: current ${v1}`);
    expect(details).toContain('to finish: slipway recover --target fleet --yes');
    expect(await p.currentOf(h1.root)).toBe(`releases/${v1}`);
    expect(await p.healthVersion(0)).toBe('1.0.0');
    expect(await changelog()).toEqual(['1']);
    const runs = (await p.journalOf(p.controllerRoot)).filter((x) => x.kind === 'emergency-rollback');
    const run = runs.find((x) => x.step === 'run' && x.status === 'begin')!.run;
    const mine = runs.filter((x) => x.run === run);
    expect(mine.find((x) => x.step === 'rollback' && x.status === 'warning')?.data).toMatchObject({
      returned: [label(h1)],
      unverified: [label(h2)],
    });
    expect(mine.filter((x) => x.step === 'run' && x.status !== 'begin')).toEqual([]);

    await h2.start();
    const rec = await p.cli('recover', '--target', 'fleet', '--yes', '--json');
    expect(rec.code, rec.stderr).toBe(0);
    const out = JSON.parse(rec.stdout) as { complete: boolean; findings: string[]; hosts: { current: string }[] };
    expect(out.complete, out.findings.join('\n')).toBe(true);
    expect(out.hosts.map((h) => h.current)).toEqual([v1, v1]);
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(`releases/${v1}`);
      await waitFor(`host ${i + 1} to serve 1.0.0`, async () => (await p.healthVersion(i)) === '1.0.0', {
        timeoutMs: 15_000,
      });
    }
    expect(await changelog()).toEqual(['1']);
    expect(v2).not.toBe(v1);
  }, 600_000);
});
