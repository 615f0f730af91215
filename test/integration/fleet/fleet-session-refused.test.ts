// A host that accepts the connection but opens no session for a command: sshd with `MaxSessions 0` (what an
// administrator sets to allow forwarding only; a host at its session limit answers the same way). The master
// connection comes up (`ssh -N` asks for no session), so the host is reachable — but nothing can run there. The run
// must say so in these words and never that the command "failed (exit 255)": without --skip-unreachable nothing is
// installed or switched anywhere and every lock taken is given back; with it, the other hosts are deployed and this
// one is reported with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlipwayError } from '../../../src/errors.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { CS1, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;

beforeAll(async () => {
  p = await startFleetProject(2, 'slipway_fleet_session_refused', { maxSessions: (i) => (i === 2 ? 0 : undefined) });
}, 400_000);

afterAll(async () => {
  await p?.stop();
});

describe('fleet: a host that refuses to open a session (sshd MaxSessions 0)', () => {
  it('refuses the run, names the host and why, installs nothing and leaves no lock', async () => {
    const h1 = p.fleet.hosts[0]!;
    const h2 = p.fleet.hosts[1]!;
    const packagePath = (await p.fleetPackage('1.0.0', [CS1])).path;
    const e = await deployFleet({ config: await p.config(), target: 'fleet', packagePath }).then(
      () => {
        throw new Error('expected the deploy to be refused');
      },
      (x: unknown) => x as SlipwayError,
    );
    expect(e.code, e.message).toBe('E_SSH');
    expect(e.message).toMatch(/1 of 2 host\(s\) of fleet cannot be reached or would not start a command/);
    expect(e.message).toContain('nothing was installed or switched');
    expect(e.message).not.toContain('exit 255');
    const details = e.details.join('\n');
    expect(details).toContain(
      `${p.fleet.user}@127.0.0.1:${h2.port}: prepare ${h2.root} and take the lock: not started: the host refused to open a session for it`,
    );
    // Nothing anywhere: no current on either host, and host 1's lock was given back (its journal closed no run).
    expect(await p.currentOf(h1.root)).toBeNull();
    expect(await p.currentOf(h2.root)).toBeNull();
    const again = await deployFleet({
      config: await p.config(),
      target: 'fleet',
      packagePath,
      skipUnreachable: true,
    });
    // Host 1's lock was free: --skip-unreachable deploys it now, and reports host 2 with the reason.
    expect(again.ok).toBe(true);
    expect(again.hosts.map((h) => h.outcome)).toEqual(['live', 'unreachable']);
    expect(again.hosts[1]!.message).toMatch(/refused to open a session/);
    expect(await p.currentOf(h1.root)).toBe(`releases/${again.releaseId}`);
    expect(await p.healthVersion(0)).toBe('1.0.0');
    expect(await p.currentOf(h2.root)).toBeNull();
  }, 600_000);
});
