// The switch of `current` on a host is a compare-and-swap: it happens only when `current` still names the release
// the run read under the host's lock. A real 3-host fleet (an sshd per host) and a real database; between the
// rollout's plan (its `open`, which reads every host's current) and host 2's switch, the test moves host 2's
// `current` by hand, on the host's disk, as an operator (or a second controller ignoring the lock) would. The
// rollout must refuse that switch with an error naming the host and both releases, leave host 2 as the hand left it,
// and put back only the hosts it switched itself.
import { renameSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlipwayError } from '../../../src/errors.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { queryRows } from '../../helpers/pg.js';
import { CS1, CS2, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;

beforeAll(async () => {
  p = await startFleetProject(3, 'slipway_fleet_cas');
}, 400_000);

afterAll(async () => {
  await p?.stop();
});

/** Points `root`'s current at releases/<id> the way a person would (a new link renamed over it). */
function moveCurrentByHand(root: string, id: string): void {
  const tmp = path.join(root, 'current.by-hand');
  symlinkSync(path.join('releases', id), tmp);
  renameSync(tmp, path.join(root, 'current'));
}

describe('fleet: the switch of current is a compare-and-swap', () => {
  it('a hand moves host 2 current between plan and switch: refused, host 2 left as the hand left it, the rest put back', async () => {
    const config = await p.config(); // batch 2, canary 1: host 1, then hosts 2 and 3
    const v1 = (
      await deployFleet({ config, target: 'fleet', packagePath: (await p.fleetPackage('1.0.0', [CS1])).path })
    ).releaseId;
    const v2 = (
      await deployFleet({ config, target: 'fleet', packagePath: (await p.fleetPackage('2.0.0', [CS1])).path })
    ).releaseId;
    const h2 = p.fleet.hosts[1]!;
    const label2 = `${p.fleet.user}@127.0.0.1:${h2.port}`; // the ssh endpoint's label
    const host2 = `${label2}:${h2.root}`; // the fleet host's
    let moved = false;
    const e = await deployFleet({
      config,
      target: 'fleet',
      packagePath: (await p.fleetPackage('3.0.0', [CS1, CS2])).path,
      // Host 2 installed 3.0.0: the rollout has read every host's current (its plan) and has not switched any.
      onProgress: (ev) => {
        if (!moved && ev.host === host2 && ev.step === 'extract' && ev.status === 'ok') {
          moveCurrentByHand(h2.root, v1);
          moved = true;
        }
      },
    }).then(
      () => {
        throw new Error('expected the rollout to refuse host 2');
      },
      (x: unknown) => x as SlipwayError,
    );
    expect(moved).toBe(true);
    expect(e.code, e.message).toBe('E_DEPLOY');
    expect(e.message).toContain(
      `batch 2/2 failed on ${host2}: ${label2}: current changed under this run: it points at releases/${v1}, not releases/${v2} as when the run read it; not switched to `,
    );
    const details = e.details.join('\n');
    expect(details).toContain(`${host2}: not switched and left as it is`);
    // Host 2: exactly what the hand left (never switched, never switched "back" to v2 over it).
    expect(await p.currentOf(h2.root)).toBe(`releases/${v1}`);
    // Hosts 1 and 3 were switched by the run: back on v2, restarted, healthy.
    for (const i of [0, 2]) {
      expect(await p.currentOf(p.fleet.hosts[i]!.root)).toBe(`releases/${v2}`);
      expect(await p.healthVersion(i)).toBe('2.0.0');
    }
    expect(details).not.toContain(`${host2}: current is`);
    // The changeset the run applied was undone.
    expect(await queryRows(p.db.url, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).toEqual([{ id: '1' }]);
    // Host 2's own journal says its switch failed; no rollback step ran there.
    const mine = (await p.journalOf(h2.root)).filter((x) => x.step === 'switch' || x.step === 'rollback');
    expect(mine.at(-1)).toMatchObject({ step: 'switch', status: 'failed' });
  }, 600_000);
});
