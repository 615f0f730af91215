// A host that refuses to start a command: its sshd opens the session channel but cannot fork the command (a host
// out of processes), so the exec request fails and nothing of the command runs there. Real sshd: at host 2's switch
// the test moves host 2's connection processes (the sshd serving the controller's master) into a cgroup v1 `pids`
// group with pids.max 0, where sshd's fork for the session fails (`do_exec_no_pty: fork: Resource temporarily
// unavailable`) and it answers the exec request with a failure. The rollout must say what is known: the switch was
// not started on host 2, and host 2's current as read back — or, while the host still refuses every command, that it
// is not known — never "failed (exit 255)".
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlipwayError } from '../../../src/errors.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { CS1, startFleetProject, type FleetProject } from './fleet-project.js';

const PIDS = '/sys/fs/cgroup/pids';
const canLimit = existsSync(path.join(PIDS, 'cgroup.procs')) && process.getuid?.() === 0;

let p: FleetProject;
const group = path.join(PIDS, `slipway-test-refuse-${process.pid}`);

/** Host `i`'s connection processes into a pids group that allows no new process (its sshd cannot fork). */
function refuse(i: number): void {
  if (!existsSync(group)) mkdirSync(group);
  writeFileSync(path.join(group, 'pids.max'), '0');
  for (const pid of p.fleet.hosts[i]!.sessionPids())
    try {
      writeFileSync(path.join(group, 'cgroup.procs'), String(pid));
    } catch {
      /* gone meanwhile */
    }
}

/** The host answers again: no limit on the group. */
function allow(): void {
  if (existsSync(group)) writeFileSync(path.join(group, 'pids.max'), 'max');
}

function removeGroup(): void {
  if (!existsSync(group)) return;
  for (const pid of readFileSync(path.join(group, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean))
    try {
      writeFileSync(path.join(PIDS, 'cgroup.procs'), pid);
    } catch {
      /* gone meanwhile */
    }
  rmdirSync(group);
}

beforeAll(async () => {
  // Not skipped where it cannot run: a skipped test would pass CI in silence (CI runs as root on machines with
  // cgroup v1's pids controller mounted, as Debian's images here have).
  if (!canLimit)
    throw new Error(
      `this test needs root and cgroup v1's pids controller at ${PIDS} (to make a host refuse a command)`,
    );
  p = await startFleetProject(2, 'slipway_fleet_refused');
}, 400_000);

afterAll(async () => {
  if (!canLimit) return;
  allow();
  removeGroup();
  await p?.stop();
});

/** Deploys `version`, refusing host 2's commands from its switch on; `liftAfter`: allowed again once it failed. */
async function deployRefused(version: string, liftAfter: boolean): Promise<{ e: SlipwayError; refused: boolean }> {
  const h2 = p.fleet.hosts[1]!;
  const host2 = `${p.fleet.user}@127.0.0.1:${h2.port}:${h2.root}`;
  let refused = false;
  const e = await deployFleet({
    config: await p.config(), // batch 2, canary 1: host 1, then host 2
    target: 'fleet',
    packagePath: (await p.fleetPackage(version, [CS1])).path,
    onProgress: (ev) => {
      if (ev.host !== host2 || ev.step !== 'switch') return;
      if (ev.status === 'begin') {
        refuse(1);
        refused = true;
      } else if (ev.status === 'failed' && liftAfter) allow();
    },
  }).then(
    () => {
      throw new Error('expected the rollout to fail on host 2');
    },
    (x: unknown) => x as SlipwayError,
  );
  allow();
  return { e, refused };
}

describe('fleet: a host that refuses to start a command (exec request failed)', () => {
  it('the switch refused on host 2: reported as not started, current read back, host 1 put back', async () => {
    const config = await p.config();
    const v1 = (
      await deployFleet({ config, target: 'fleet', packagePath: (await p.fleetPackage('1.0.0', [CS1])).path })
    ).releaseId;
    const h2 = p.fleet.hosts[1]!;
    const host2 = `${p.fleet.user}@127.0.0.1:${h2.port}:${h2.root}`;
    const { e, refused } = await deployRefused('2.0.0', true);
    expect(refused).toBe(true);
    expect(e.code, e.message).toBe('E_SSH');
    expect(e.message).toMatch(
      /batch 2\/2 failed on .*: switch current to \S+: not started: the host refused its exec request/,
    );
    expect(e.message).not.toContain('exit 255');
    const details = e.details.join('\n');
    // Verified by a read once the host answered again: still on v1, as the refusal implies.
    expect(details).toContain(`${host2}: not switched: the switch command was not started there`);
    expect(details).toContain(`current read back: ${v1} (its previous release)`);
    expect(await p.currentOf(h2.root)).toBe(`releases/${v1}`);
    // Host 1 was switched by the run: back on v1, healthy.
    expect(await p.currentOf(p.fleet.hosts[0]!.root)).toBe(`releases/${v1}`);
    expect(await p.healthVersion(0)).toBe('1.0.0');
    // Host 2's journal has the switch's lines (kept for the next command when the refused one carried them) and
    // its run closed.
    const mine = (await p.journalOf(h2.root)).filter((x) => x.release !== v1);
    expect(mine.find((x) => x.step === 'switch' && x.status === 'failed')).toBeTruthy();
    expect(mine.at(-1)).toMatchObject({ step: 'run', status: 'failed' });
  }, 600_000);

  it('the host refuses every command from its switch on: its current is reported as not known', async () => {
    const v1 = await p.currentOf(p.fleet.hosts[1]!.root);
    const h2 = p.fleet.hosts[1]!;
    const host2 = `${p.fleet.user}@127.0.0.1:${h2.port}:${h2.root}`;
    const { e } = await deployRefused('3.0.0', false);
    expect(e.code, e.message).toBe('E_SSH');
    const details = e.details.join('\n');
    expect(details).toContain(`${host2}: not switched: the switch command was not started there`);
    expect(details).toMatch(/its current is not known: it could not be read back \(.*not started: the host refused/);
    expect(details).not.toContain('current read back');
    // Nothing of the switch ran: host 2 is where it was (read here, on its disk).
    expect(await p.currentOf(h2.root)).toBe(v1);
  }, 600_000);
});
