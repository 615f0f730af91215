// A remote command that hangs past its timeout: a real 2-host fleet (an sshd per host) and a real database. When host
// 2 is about to restart, the sshd processes serving the controller's connection to it get SIGSTOP (the listener keeps
// running): the restart command's channel never answers. The local timeout must fire, the error name the host and the
// step, nothing of the run stay running on the controller (no ssh client, no master connection, no control
// directory), and the undo put host 2 back, verified (read back, restarted, health-gated) and journaled on the host.
// The timeout ends host 2's stalled master connection (SshSession.endMaster), so the undo's first command connects
// afresh at once; it used to wait ~45 s for ssh's keepalive (ServerAliveInterval 15 x ServerAliveCountMax 3) to give
// up on the stalled one (ssh-timeout.test.ts shows that wait).
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlipwayError } from '../../../src/errors.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { queryRows } from '../../helpers/pg.js';
import { descendants } from '../../helpers/sshd.js';
import { waitFor } from '../../helpers/wait.js';
import { CS1, CS2, mastersUnder, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;
const stopped: number[] = [];

beforeAll(async () => {
  p = await startFleetProject(2, 'slipway_fleet_hang');
}, 400_000);

afterAll(async () => {
  for (const pid of stopped)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  await p?.stop();
});

describe('fleet: a remote command that hangs past its timeout', () => {
  it("host 2's sshd session stopped during its restart: timeout names host and step, no ssh process left, host 2 put back and verified", async () => {
    // The restart's timeout (commandTimeoutMs) is what fires; the short ops' timeout is connectTimeoutMs + 60 s.
    const config = await p.config({ targetLines: ['commandTimeoutMs: 15000'] });
    const v1 = (
      await deployFleet({ config, target: 'fleet', packagePath: (await p.fleetPackage('1.0.0', [CS1])).path })
    ).releaseId;
    const h2 = p.fleet.hosts[1]!;
    const host2 = `${p.fleet.user}@127.0.0.1:${h2.port}:${h2.root}`;
    const v2pkg = await p.fleetPackage('2.0.0', [CS1, CS2]);
    // A short TMPDIR of its own for the run's control sockets, to see what it leaves running.
    const tmp = await mkdtemp('/tmp/sw-');
    const tmpBefore = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    const e = await deployFleet({
      config,
      target: 'fleet',
      packagePath: v2pkg.path,
      onProgress: (ev) => {
        if (!stopped.length && ev.host === host2 && ev.step === 'restart' && ev.status === 'begin') {
          const pids = h2.sessionPids();
          for (const pid of pids) process.kill(pid, 'SIGSTOP');
          stopped.push(...pids);
        }
      },
    })
      .then(
        () => {
          throw new Error('expected the rollout to fail on host 2');
        },
        (x: unknown) => x as SlipwayError,
      )
      .finally(() => (tmpBefore === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = tmpBefore)));
    expect(stopped.length, 'no sshd session of host 2 was found to stop').toBeGreaterThan(0);
    // The sessions are still stopped: what follows was done over a new connection.
    for (const pid of stopped) expect(processState(pid)).toBe('T');
    expect(e.message).toContain(`batch 2/2 failed on ${host2}: restart command timed out after 15000 ms`);
    const details = e.details.join('\n');
    expect(details).toContain(`${host2}: current is ${v1} again; restarted ${v1}; ${v1} passed its health gate`);
    // The timeout did not take the host's journal with it: the restart's failure, the switch back and the run's
    // end are on host 2 (over the fresh connection), and nothing failed to be journaled.
    expect(details).not.toContain('journal:');
    const v2 = (await p.journalOf(p.controllerRoot)).filter((x) => x.step === 'run' && x.status === 'begin').pop()!
      .release!;
    const mine = (await p.journalOf(h2.root)).filter((x) => x.release === v2);
    expect(mine.find((x) => x.step === 'restart' && x.status === 'failed')?.message).toContain(
      'restart command timed out after 15000 ms',
    );
    expect(mine.some((x) => x.step === 'rollback' && x.status === 'ok')).toBe(true);
    expect(mine.filter((x) => x.step === 'run' && x.status === 'failed')).toHaveLength(1);
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(`releases/${v1}`);
      expect(await p.healthVersion(i)).toBe('1.0.0');
    }
    expect(
      (await queryRows(p.db.url, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).map((r) => r.id),
    ).toEqual(['1']);
    // Nothing of the run is left on the controller: no ssh client (this process's children), no master connection
    // (they detach: found by their socket under the run's TMPDIR), no control directory.
    expect(descendants(process.pid).filter((x) => x.comm === 'ssh')).toEqual([]);
    await waitFor('the run ended its ssh masters', () => mastersUnder(tmp).length === 0);
    expect(readdirSync(tmp)).toEqual([]);
    await rm(tmp, { recursive: true });
  }, 600_000);
});

/** A process's state letter from /proc (T: stopped). */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
}
