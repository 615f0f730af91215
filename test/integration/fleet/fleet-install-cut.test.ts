// A connection cut while a host extracts and verifies a release: a real 2-host fleet (an sshd per host) and a real
// database. While host 2's install runs (its staging directory exists, and a stand-in for sha256sum first on host 2's
// PATH holds the release's checksum check until the test has cut: no race with a fast extraction), the sshd processes
// serving the controller's connection to host 2 get SIGKILL (the listener stays: new connections are accepted). The rollout must stop before
// anything is switched or migrated; host 2 must be left with no release of the run promoted (the install's own
// processes on the host stop: nothing of it runs on once the controller has reported), no staging directory, and a
// journal that says what happened; a rerun then deploys the release everywhere. Second case, a partition: host 2's
// sshd processes of the connection are stopped (alive, so the install's "still listening" line still fits their
// pipes) and the controller's ssh master is killed; the install is let go only after the run has ended — it must
// not publish (the host's lock, its lease, no longer names its run).
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SlipwayError } from '../../../src/errors.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { recoverFleet } from '../../../src/fleet/fleet-recover.js';
import { sha256Hex } from '../../../src/fileset/hash.js';
import { muxMasterPid } from '../../../src/fleet/ssh-mux.js';
import { queryRows } from '../../helpers/pg.js';
import { waitFor } from '../../helpers/wait.js';
import { makeTree } from '../../helpers/tmp.js';
import { CS1, CS2, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;
let hold: string;

// Host 2's sha256sum: a checksum check (-c, the install's verification inside the staging directory) waits while
// <hold>/hold exists, after creating <hold>/held; everything else is the real sha256sum.
const REAL_SHA256SUM = '/usr/bin/sha256sum';
const standIn = (dir: string) => `#!/bin/sh
case " $* " in
  *" -c "*) if [ -e '${dir}/hold' ]; then : > '${dir}/held'; while [ -e '${dir}/hold' ]; do sleep 0.05; done; fi ;;
esac
exec ${REAL_SHA256SUM} "$@"
`;

beforeAll(async () => {
  if (!existsSync(REAL_SHA256SUM)) throw new Error(`${REAL_SHA256SUM} is missing`);
  const dir = await makeTree({}, 'slipway-install-cut-');
  hold = dir;
  mkdirSync(path.join(dir, 'bin'));
  writeFileSync(path.join(dir, 'bin', 'sha256sum'), standIn(dir));
  chmodSync(path.join(dir, 'bin', 'sha256sum'), 0o755);
  p = await startFleetProject(2, 'slipway_fleet_install_cut', {
    pathPrefix: (i) => (i === 2 ? path.join(dir, 'bin') : undefined),
  });
}, 400_000);

/** sshd processes a test stopped (SIGSTOP): continued however the test ends, so none is left stopped. */
const stoppedPids: number[] = [];
const continueStopped = () => {
  for (const pid of stoppedPids.splice(0))
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      /* gone */
    }
};

afterAll(async () => {
  continueStopped();
  await p?.stop();
  if (hold) rmSync(hold, { recursive: true, force: true });
});

/** The staging dir of a host's install under a run's lock (`.slipway/lock.d/stage-<id>`, remote-scripts.ts INSTALL). */
const stagingOf = (root: string) => {
  const lock = path.join(root, '.slipway', 'lock.d');
  return existsSync(lock) ? readdirSync(lock).find((x) => x.startsWith('stage-')) : undefined;
};

const changelog = async () =>
  (await queryRows(p.db.url, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).map((r) => r.id);

/** Pids of the processes whose argv mentions `text` (the install's sh, tar, find, sha256sum name the release). */
function processesMentioning(text: string): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x)))
    try {
      if (Number(d) !== process.pid && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(text)) out.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  return out;
}

describe('fleet: the connection cut during a host install', () => {
  it("host 2's sshd sessions killed while it extracts: nothing promoted or left there, the journal says so, a rerun deploys", async () => {
    const config = await p.config();
    const v1 = (
      await deployFleet({ config, target: 'fleet', packagePath: (await p.fleetPackage('1.0.0', [CS1])).path })
    ).releaseId;
    const h2 = p.fleet.hosts[1]!;
    const v2pkg = await p.fleetPackage('2.0.0', [CS1, CS2], {
      files: { 'bulk/data.txt': randomBytes(8192).toString('hex') },
    });
    const releases = () => readdirSync(path.join(h2.root, 'releases')).sort();
    const {
      e,
      release: v2,
      stopped: pids,
    } = await cutHost2Install(v2pkg.path, () => {
      const pids = h2.sessionPids();
      for (const pid of pids) process.kill(pid, 'SIGKILL');
      rmSync(path.join(hold, 'hold')); // the install goes on, as one whose controller is gone
      return Promise.resolve(pids);
    });
    expect(pids.length).toBeGreaterThan(0);
    expect(e.code, e.message).toBe('E_SSH');
    expect(e.message).toContain(`127.0.0.1:${h2.port}: cannot upload`);
    expect(e.message).toContain(`and install ${v2}: the connection was cut`);
    // Nothing of the install runs on on host 2 (the processes that name the release), and it left nothing.
    await waitFor('the install on host 2 to stop', () => processesMentioning(v2).length === 0, { timeoutMs: 120_000 });
    expect(releases()).toEqual([v1]);
    // Nothing switched or migrated; every host serves v1.
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(`releases/${v1}`);
      expect(await p.healthVersion(i)).toBe('1.0.0');
    }
    expect(await changelog()).toEqual(['1']);
    // Host 2's journal: the install failed on the cut, and the run is closed; it never says the release was installed.
    const mine = (await p.journalOf(h2.root)).filter((x) => x.release === v2);
    expect(mine.find((x) => x.step === 'extract' && x.status === 'failed')?.message).toContain(
      'the connection was cut',
    );
    expect(mine.some((x) => x.step === 'extract' && x.status === 'ok')).toBe(false);
    expect(mine.filter((x) => x.step === 'run' && x.status === 'failed')).toHaveLength(1);

    // A rerun deploys the release on every host.
    const again = await deployFleet({ config, target: 'fleet', packagePath: v2pkg.path });
    expect(again.ok).toBe(true);
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(`releases/${again.releaseId}`);
      expect(await p.healthVersion(i)).toBe('2.0.0');
    }
    expect(releases().filter((x) => x.startsWith('.'))).toEqual([]);
    expect(await changelog()).toEqual(['1', '2']);
  }, 600_000);
});

/**
 * The pids of the controller's live ssh master connections to `port`: their control sockets are named by
 * user@host:port (ssh.ts controlSocket) in a slipway-ssh-* dir of the temp dir, and each master tells its pid.
 */
async function mastersOf(user: string, port: number): Promise<number[]> {
  const name = sha256Hex(`${user}@127.0.0.1:${port}`).slice(0, 16);
  const out: number[] = [];
  for (const base of new Set([tmpdir(), '/tmp']))
    for (const d of readdirSync(base).filter((x) => x.startsWith('slipway-ssh-'))) {
      const socket = path.join(base, d, name);
      if (!existsSync(socket)) continue;
      const pid = await muxMasterPid(socket, 2000).catch(() => null);
      if (pid !== null) out.push(pid);
    }
  return out;
}

/**
 * Deploys `packagePath` and, once host 2's install holds in its checksum check, cuts it off: its sshd processes of
 * this connection stop reading (SIGSTOP: alive, so the install's output still fits their pipes), with `total` its
 * listener stops too (no new connection), and the controller's master connection to it dies. Returns the rollout's
 * error, host 2's release id and the stopped pids.
 */
async function partitionHost2Install(
  packagePath: string,
  total: boolean,
): Promise<{ e: SlipwayError; release: string; stopped: number[] }> {
  const h2 = p.fleet.hosts[1]!;
  return cutHost2Install(packagePath, async () => {
    const masters = await mastersOf(p.fleet.user, h2.port);
    if (masters.length !== 1) throw new Error(`expected one master for host 2, found ${masters.length}`);
    const stopped = h2.sessionPids(); // read before the listener goes (they are its descendants)
    stoppedPids.push(...stopped);
    for (const pid of stopped) process.kill(pid, 'SIGSTOP');
    if (total) await h2.stop();
    process.kill(masters[0]!, 'SIGKILL');
    return stopped;
  });
}

/**
 * Deploys `packagePath` and, once host 2's install holds in its checksum check, runs `cut` (which returns the pids
 * it acted on). Returns the rollout's error, host 2's release id and those pids.
 */
async function cutHost2Install(
  packagePath: string,
  cut: () => Promise<number[]>,
): Promise<{ e: SlipwayError; release: string; stopped: number[] }> {
  const h2 = p.fleet.hosts[1]!;
  const host2 = `${p.fleet.user}@127.0.0.1:${h2.port}:${h2.root}`;
  rmSync(path.join(hold, 'held'), { force: true });
  writeFileSync(path.join(hold, 'hold'), '');
  let stopped: number[] = [];
  let held: Promise<string> | null = null;
  const e = await deployFleet({
    config: await p.config(),
    target: 'fleet',
    packagePath,
    onProgress: (ev) => {
      if (!held && ev.host === host2 && ev.step === 'extract' && ev.status === 'begin')
        held = waitFor(
          "host 2's install holding in its checksum check",
          async () => {
            const staging = stagingOf(h2.root);
            if (!staging || !existsSync(path.join(hold, 'held'))) return false;
            stopped = await cut();
            return staging;
          },
          { timeoutMs: 120_000 },
        );
    },
  }).then(
    () => {
      throw new Error('expected the rollout to fail on host 2');
    },
    (x: unknown) => x as SlipwayError,
  );
  expect(held, 'host 2 never began its install').not.toBeNull();
  return { e, release: (await held!).slice('stage-'.length), stopped };
}

/** Host 2 as a case sees it, and a package of `version` with some bulk (an install that takes a moment). */
async function host2Case(version: string) {
  const h2 = p.fleet.hosts[1]!;
  const releases = () => readdirSync(path.join(h2.root, 'releases')).sort();
  return {
    config: await p.config(),
    h2,
    host2: `${p.fleet.user}@127.0.0.1:${h2.port}:${h2.root}`,
    releases,
    before: releases(),
    live: await p.currentOf(h2.root),
    pkg: await p.fleetPackage(version, [CS1, CS2], { files: { 'bulk/data.txt': randomBytes(8192).toString('hex') } }),
  };
}

/** Lets host 2's held install go on and waits until nothing of it runs; the stopped sshd processes continue. */
async function letHost2InstallEnd(release: string): Promise<void> {
  rmSync(path.join(hold, 'hold'));
  try {
    await waitFor('the install on host 2 to stop', () => processesMentioning(release).length === 0, {
      timeoutMs: 120_000,
    });
  } finally {
    continueStopped();
  }
}

describe('fleet: a partition during a host install (the host and its sshd stay up)', () => {
  it("the controller's connection dies while host 2 installs; the install goes on after the run ended: it promotes nothing", async () => {
    const { config, h2, releases, before, live, pkg: v3pkg } = await host2Case('3.0.0');
    const { e, release: v3, stopped } = await partitionHost2Install(v3pkg.path, false);
    expect(stopped.length).toBeGreaterThan(0);
    expect(e.code, e.message).toBe('E_SSH');
    expect(e.message).toContain(`and install ${v3}: the connection was cut`);
    // The run has ended (journaled failed on host 2 over a new connection, its lock given back). Only now does the
    // orphaned install go on, as one whose controller is gone but whose sshd never noticed.
    const j2 = (await p.journalOf(h2.root)).filter((x) => x.release === v3);
    expect(j2.find((x) => x.step === 'extract' && x.status === 'failed')).toBeDefined();
    expect(j2.filter((x) => x.step === 'run' && x.status === 'failed')).toHaveLength(1);
    expect(existsSync(path.join(h2.root, '.slipway', 'lock.d'))).toBe(false);
    await letHost2InstallEnd(v3);
    // Nothing of the failed run is promoted: host 2 holds what it held, no staging dir, current unchanged.
    expect(releases()).toEqual(before);
    expect(await p.currentOf(h2.root)).toBe(live);
    // A rerun deploys the release everywhere.
    const again = await deployFleet({ config, target: 'fleet', packagePath: v3pkg.path });
    expect(again.ok).toBe(true);
    expect(releases().filter((x) => x.startsWith('.'))).toEqual([]);
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(`releases/${again.releaseId}`);
      expect(await p.healthVersion(i)).toBe('3.0.0');
    }
  }, 600_000);
});

describe('fleet: a total partition during a host install (its sshd unreachable too)', () => {
  it('the install publishes under its still-held lease; recover finds the release no journal line records as installed and removes it', async () => {
    const { config, h2, host2, releases, before, live, pkg: v4pkg } = await host2Case('4.0.0');
    const { e, release: v4, stopped } = await partitionHost2Install(v4pkg.path, true);
    expect(stopped.length).toBeGreaterThan(0);
    expect(e.code, e.message).toBe('E_SSH');
    // Host 2 could not be told: its lock still names the run, and the fleet run stays open for recover.
    expect(existsSync(path.join(h2.root, '.slipway', 'lock.d', 'owner.json'))).toBe(true);
    const fleetRun = (await p.journalOf(p.controllerRoot)).filter((x) => x.release === v4);
    expect(fleetRun.filter((x) => x.step === 'run' && x.status !== 'begin')).toEqual([]);
    // The install goes on under its lease and publishes what the controller reported as not installed.
    await letHost2InstallEnd(v4);
    expect(releases()).toEqual([...before, v4].sort());
    const mine = (await p.journalOf(h2.root)).filter((x) => x.release === v4);
    expect(mine.find((x) => x.step === 'extract' && x.status === 'begin')).toBeDefined();
    expect(mine.find((x) => x.step === 'extract' && x.status === 'ok')).toBeUndefined();

    await h2.start();
    // Read-only, recover names the release and changes nothing.
    const shown = await recoverFleet({ config, target: 'fleet' });
    expect(shown.findings.join('\n')).toContain(`${host2}: releases/${v4} was never recorded as installed`);
    expect(releases()).toEqual([...before, v4].sort());
    // With --yes it removes it (journaled on host 2), closes the run, and host 2 keeps what it ran.
    const done = await recoverFleet({ config, target: 'fleet', yes: true });
    expect(done.complete, done.findings.join('\n')).toBe(true);
    expect(done.findings.join('\n')).toContain(`${host2}: removed releases/${v4}`);
    expect(releases()).toEqual(before);
    expect(await p.currentOf(h2.root)).toBe(live);
    expect(existsSync(path.join(h2.root, '.slipway', 'lock.d'))).toBe(false);
    const after = (await p.journalOf(h2.root)).filter((x) => x.release === v4);
    expect(after.find((x) => x.step === 'recover' && x.status === 'ok')?.data).toMatchObject({ removed: v4 });
    const again = await recoverFleet({ config, target: 'fleet' });
    expect(again.findings.join('\n')).not.toContain('never recorded as installed');
  }, 600_000);
});
