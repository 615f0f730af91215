// Interrupted fleet runs on a real 3-host fleet (an sshd per host) and a real database: the controller is a child
// process (test/fixtures/fleet/fleet-runner.ts) that sends itself SIGKILL or SIGINT when a named progress event is
// emitted, then `slipway recover --target fleet` (the CLI in process) finishes what it left. Covers: the kept
// rollout (killed after every host passed its gates), a rollback killed before and after its database undo began, a
// rollback stopped by SIGINT, recovery while one host's sshd is down, an upload resumed from a partial archive, and
// one resumed after a live connection was cut (a TCP relay, test/helpers/tcp-proxy.ts, between ssh and host 1's sshd).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { SlipwayError } from '../../../src/errors.js';
import { sha256Hex } from '../../../src/fileset/hash.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { bundleTestEntry } from '../../helpers/bundle-entry.js';
import { ROOT } from '../../helpers/cli-bin.js';
import { queryRows } from '../../helpers/pg.js';
import { startTcpProxy } from '../../helpers/tcp-proxy.js';
import { waitFor } from '../../helpers/wait.js';
import { closeMasters, CS1, CS2, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;
let runner = '';
let v1 = '';

beforeAll(async () => {
  runner = await bundleTestEntry('test/fixtures/fleet/fleet-runner.ts', 'fleet-runner');
  p = await startFleetProject(3, 'slipway_fleet_interrupt');
  v1 = (
    await deployFleet({
      config: await p.config(),
      target: 'fleet',
      packagePath: (await p.fleetPackage('1.0.0', [CS1])).path,
    })
  ).releaseId;
}, 400_000);

afterAll(async () => {
  await p?.stop();
  if (runner) await rm(runner, { force: true });
});

/** Runs the controller child until it exits (killed by its own signal at `at`, or done). */
async function control(
  command: 'deploy' | 'rollback',
  arg: string,
  at: string,
  signal: 'SIGKILL' | 'SIGINT',
): Promise<{ code: number | null; signal: string | null; out: string; err: string }> {
  // A short TMPDIR of its own (a control socket's path must fit a socket address), to end its ssh masters after.
  const tmp = await mkdtemp('/tmp/sw-');
  const child = spawn(process.execPath, [runner, p.dir, command, arg, at, signal], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: tmp },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const r = await new Promise<{ code: number | null; signal: string | null }>((resolve) =>
    child.on('exit', (code, sig) => resolve({ code, signal: sig })),
  );
  closeMasters(tmp);
  await rm(tmp, { recursive: true, force: true });
  expect(out.split('\n'), `the controller never reached ${at}:\n${out}\n${err}`).toContain(at);
  return { ...r, out, err };
}

const changelog = () => queryRows(p.db.url, 'SELECT id FROM databasechangelog ORDER BY orderexecuted');
const portOf = (i: number) => String(p.fleet.hosts[i]!.port);
const locked = (i: number) => existsSync(path.join(p.fleet.hosts[i]!.root, '.slipway', 'lock.d'));
const controllerCurrent = () => readlink(path.join(p.controllerRoot, 'current')).catch(() => null);

/** Every host on `release` (link and the app answering `version`), every lock free, the journals closed. */
async function expectSettled(release: string, version: string, ids: string[]): Promise<void> {
  for (const [i, h] of p.fleet.hosts.entries()) {
    expect(await p.currentOf(h.root)).toBe(`releases/${release}`);
    expect(await p.healthVersion(i)).toBe(version);
    expect(locked(i)).toBe(false);
  }
  expect(existsSync(path.join(p.controllerRoot, '.slipway', 'lock'))).toBe(false);
  expect(await controllerCurrent()).toBe(`releases/${release}`);
  expect((await changelog()).map((r) => r.id)).toEqual(ids);
  const again = await p.cli('recover', '--target', 'fleet');
  expect(again.code, again.stderr).toBe(0);
  expect(again.stdout).toContain('no unfinished run');
}

async function recoverYes(): Promise<{ complete: boolean; findings: string[] }> {
  const rec = await p.cli('recover', '--target', 'fleet', '--yes', '--json');
  expect(rec.code, rec.stderr).toBe(0);
  return JSON.parse(rec.stdout) as { complete: boolean; findings: string[] };
}

describe('fleet: interrupted runs and recovery over real sshd', () => {
  let v2 = '';

  it('killed after every host switched and passed its gates: recover keeps the new release and closes the run', async () => {
    const pkg = await p.fleetPackage('2.0.0', [CS1, CS2]);
    // The controller's own switch step comes after every batch passed its gates and each host's finish (its gates'
    // lines, retention, the closing line of its run and its lock, in one command): the hosts' runs are closed and
    // the hosts free, the fleet's run is not closed.
    await control('deploy', pkg.path, 'fleet|switch:begin#1', 'SIGKILL');
    const begin = (await p.journalOf(p.controllerRoot)).filter((e) => e.step === 'run' && e.status === 'begin').pop()!;
    v2 = begin.release!;
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(`releases/${v2}`);
      expect(await p.healthVersion(i)).toBe('2.0.0');
      expect(locked(i)).toBe(false); // given back with the run's closing line
    }
    expect(await controllerCurrent()).toBe(`releases/${v1}`);

    const show = await p.cli('recover', '--target', 'fleet');
    expect(show.code).toBe(1);
    expect(show.stdout).toMatch(/every host had closed its run of .* before the controller stopped/);

    const out = await recoverYes();
    expect(out.complete).toBe(true);
    expect(out.findings.join('\n')).not.toMatch(/stale host lock/);
    await expectSettled(v2, '2.0.0', ['1', '2']);
    for (const h of p.fleet.hosts) {
      const end = (await p.journalOf(h.root)).filter(
        (e) => e.release === v2 && e.step === 'run' && e.status !== 'begin',
      );
      expect(end).toHaveLength(1);
      expect(end[0]).toMatchObject({ status: 'ok' });
      expect(end[0]!.data?.interrupted).toBeUndefined(); // closed by the deploy itself, before the fleet's record
    }
    const fend = (await p.journalOf(p.controllerRoot)).filter(
      (e) => e.release === v2 && e.step === 'run' && e.status !== 'begin',
    );
    expect(fend).toHaveLength(1);
    expect(fend[0]).toMatchObject({ status: 'ok', data: { interrupted: true, kept: true, complete: true } });
  }, 600_000);

  it('a rollback killed on its second host (before the database): recover puts every host back where it came from', async () => {
    await control('rollback', v1, `${portOf(1)}|rollback:ok#1`, 'SIGKILL');
    // Hosts 1 and 2 were switched back to v1 (host 2 not restarted yet), host 3 not touched.
    expect(await p.currentOf(p.fleet.hosts[0]!.root)).toBe(`releases/${v1}`);
    expect(await p.currentOf(p.fleet.hosts[1]!.root)).toBe(`releases/${v1}`);
    expect(await p.currentOf(p.fleet.hosts[2]!.root)).toBe(`releases/${v2}`);
    expect((await changelog()).map((r) => r.id)).toEqual(['1', '2']);
    const show = await p.cli('recover', '--target', 'fleet');
    expect(show.stdout).toMatch(/did not finish: every host back to where it came from/);
    expect((await recoverYes()).complete).toBe(true);
    await expectSettled(v2, '2.0.0', ['1', '2']);
  }, 600_000);

  it('SIGINT mid-rollback: the rollback stops before the next host and puts the fleet back itself', async () => {
    const r = await control('rollback', v1, `${portOf(0)}|rollback:ok#1`, 'SIGINT');
    expect(r.signal).toBeNull();
    expect(r.code).toBe(130);
    expect(r.err).toMatch(
      /E_INTERRUPTED: the rollback of fleet to .* was interrupted by SIGINT after 1 of 3 host\(s\)/,
    );
    await expectSettled(v2, '2.0.0', ['1', '2']);
  }, 600_000);

  it('a rollback killed after its database undo began: recover completes it (every host on v1, the database too)', async () => {
    await control('rollback', v1, 'fleet|db-rollback:begin#1', 'SIGKILL');
    for (const h of p.fleet.hosts) expect(await p.currentOf(h.root)).toBe(`releases/${v1}`);
    const show = await p.cli('recover', '--target', 'fleet');
    expect(show.stdout).toMatch(/had begun rolling back the database: completing it/);
    const out = await recoverYes();
    expect(out.complete).toBe(true);
    expect(out.findings.join('\n')).toMatch(/database: rolled back the 1 changeset/);
    await expectSettled(v1, '1.0.0', ['1']);
  }, 600_000);

  it('one host down during recovery: recover names it, changes nothing, and finishes once it is back', async () => {
    const pkg = await p.fleetPackage('3.0.0', [CS1, CS2]);
    await control('deploy', pkg.path, `${portOf(0)}|smoke:ok#1`, 'SIGKILL');
    const v3 = (await p.journalOf(p.controllerRoot)).filter((e) => e.step === 'run' && e.status === 'begin').pop()!
      .release!;
    expect(await p.currentOf(p.fleet.hosts[0]!.root)).toBe(`releases/${v3}`);
    const down = p.fleet.hosts[2]!;
    await down.stop();
    const journals = await Promise.all(p.fleet.hosts.map((h) => readFile(path.join(h.root, '.slipway/journal.jsonl'))));
    const fleetJournal = await readFile(path.join(p.controllerRoot, '.slipway/journal.jsonl'));
    const label = `${p.fleet.user}@127.0.0.1:${down.port}:${down.root}`;

    const show = await p.cli('recover', '--target', 'fleet');
    expect(show.code).toBe(1);
    expect(show.stdout).toContain(`${label}: unreachable:`);
    expect(show.stdout).toContain(`cannot be read (recovery waits for them): ${label}`);

    const refused = await p.cli('recover', '--target', 'fleet', '--yes');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /an interrupted run of fleet involved host\(s\) recovery cannot read \(1 that cannot be reached\); no host was switched and no journal or database was changed/,
    );
    expect(refused.stderr).toMatch(
      new RegExp(`${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*: connection refused`),
    );
    // Nothing it could not verify was changed: the links, the journals, the database; the down host's lock stays.
    expect(await p.currentOf(p.fleet.hosts[0]!.root)).toBe(`releases/${v3}`);
    for (const i of [1, 2]) expect(await p.currentOf(p.fleet.hosts[i]!.root)).toBe(`releases/${v1}`);
    for (const [i, h] of p.fleet.hosts.entries())
      expect(await readFile(path.join(h.root, '.slipway/journal.jsonl'))).toEqual(journals[i]);
    expect(await readFile(path.join(p.controllerRoot, '.slipway/journal.jsonl'))).toEqual(fleetJournal);
    expect((await changelog()).map((r) => r.id)).toEqual(['1', '2']);
    expect(locked(2)).toBe(true);

    await down.start();
    expect((await recoverYes()).complete).toBe(true);
    await expectSettled(v1, '1.0.0', ['1']);
  }, 600_000);

  it('an archive partly uploaded to .slipway/incoming is resumed from where it stopped, its sha256 checked', async () => {
    const pkg = await p.fleetPackage('4.0.0', [CS1]);
    const bytes = await readFile(pkg.path);
    const half = Math.floor(bytes.length / 2);
    const part = (i: number) => path.join(p.fleet.hosts[i]!.root, '.slipway', 'incoming', `${pkg.sha256}.tar.gz.part`);
    await writeFile(part(0), bytes.subarray(0, half)); // a cut connection's leftover
    const wrong = Buffer.from(bytes.subarray(0, half));
    wrong.writeUInt8(wrong.readUInt8(10) ^ 0xff, 10);
    await writeFile(part(1), wrong); // a leftover that is not this archive's prefix
    const r = await deployFleet({ config: await p.config(), target: 'fleet', packagePath: pkg.path });
    expect(
      r.hosts.map((h) => h.install && { resumedFrom: h.install.resumedFrom, bytes: h.install.uploadedBytes }),
    ).toEqual([
      { resumedFrom: half, bytes: bytes.length - half },
      { resumedFrom: 0, bytes: bytes.length },
      { resumedFrom: 0, bytes: bytes.length },
    ]);
    for (const [i, h] of p.fleet.hosts.entries()) {
      const archive = path.join(h.root, '.slipway', 'incoming', `${pkg.sha256}.tar.gz`);
      expect(sha256Hex(await readFile(archive))).toBe(pkg.sha256);
      expect(existsSync(part(i))).toBe(false);
      expect(await p.healthVersion(i)).toBe('4.0.0');
    }
    const j = (await p.journalOf(p.fleet.hosts[0]!.root)).find(
      (e) => e.release === r.releaseId && e.step === 'extract' && e.status === 'ok',
    );
    expect(j?.message).toMatch(new RegExp(`${bytes.length - half} bytes uploaded \\(resumed at ${half}\\)`));
  }, 600_000);

  it('a live upload cut mid-way (the relay resets the connection): a clear error, the part kept, the next deploy resumes from it', async () => {
    // Host 1 reached through a relay capped at 1 MB/s, so the upload of a ~4.6 MB archive is caught in flight.
    const h1 = p.fleet.hosts[0]!;
    const relay = await startTcpProxy(h1.port, '127.0.0.1', { bytesPerSecond: 1_000_000 });
    try {
      const knownHosts = path.join(p.dir, 'known_hosts_relay');
      const key = h1.hostKeyPub.split(' ').slice(0, 2).join(' ');
      await writeFile(knownHosts, `${await readFile(p.fleet.knownHosts, 'utf8')}[127.0.0.1]:${relay.port} ${key}\n`);
      await writeFile(
        path.join(p.dir, 'slipway.config.yaml'),
        p.configText({ knownHosts }).replace(`port: ${h1.port},`, `port: ${relay.port},`),
      );
      const config = (await loadConfig({ cwd: p.dir, env: {} })).config;
      // Random bytes (base64): gzip cannot shrink them much, so the archive stays several MB.
      const blob = randomBytes(4_500_000).toString('base64');
      const pkg = await p.fleetPackage('5.0.0', [CS1], { files: { 'application/blob.txt': blob } });
      const size = (await readFile(pkg.path)).length;
      expect(size).toBeGreaterThan(4_000_000);
      const part = path.join(h1.root, '.slipway', 'incoming', `${pkg.sha256}.tar.gz.part`);
      const before = await Promise.all(p.fleet.hosts.map((h) => p.currentOf(h.root)));
      const changelogBefore = await changelog();

      let settled = false;
      const first = deployFleet({ config, target: 'fleet', packagePath: pkg.path }).then(
        () => {
          throw new Error('expected the cut upload to fail the deploy');
        },
        (e: unknown) => e as SlipwayError,
      );
      void first.finally(() => (settled = true));
      // The part on host 1's disk has grown past 1 MB (of ~4.6): cut every relayed connection now.
      await waitFor(
        'the remote .part to pass 1 MB',
        () => {
          if (settled) throw new Error('the deploy ended before the upload was caught in flight');
          return existsSync(part) && statSync(part).size > 1_000_000;
        },
        { timeoutMs: 120_000 },
      );
      const relayed = relay.connections();
      relay.cut();
      const t0 = performance.now();
      const e = await first;
      const failMs = performance.now() - t0;
      expect(e.code, e.message).toBe('E_SSH');
      expect(e.message).toMatch(
        new RegExp(
          `^${p.fleet.user}@127\\.0\\.0\\.1:${relay.port}: cannot upload .*${pkg.sha256}\\.tar\\.gz and install .*: the connection was cut$`,
        ),
      );
      // The part a cut connection leaves is kept (not a finished upload, so not judged by its digest).
      const kept = statSync(part).size;
      expect(kept).toBeGreaterThan(1_000_000);
      expect(kept).toBeLessThan(size);
      expect((await readFile(part)).equals((await readFile(pkg.path)).subarray(0, kept))).toBe(true);
      // Nothing switched, the database untouched, every host's lock given back (through a new connection).
      expect(await Promise.all(p.fleet.hosts.map((h) => p.currentOf(h.root)))).toEqual(before);
      expect(await changelog()).toEqual(changelogBefore);
      for (const i of [0, 1, 2]) expect(locked(i)).toBe(false);
      expect(relay.connections()).toBeGreaterThan(relayed);
      console.log(
        `cut upload: failed ${Math.round(failMs)} ms after the cut (under load), ${kept} of ${size} bytes kept`,
      );

      // The link back at full speed: the next deploy opens a fresh connection and sends only the rest.
      relay.unlimit();
      const r = await deployFleet({ config, target: 'fleet', packagePath: pkg.path });
      expect(r.hosts[0]!.install).toMatchObject({
        resumedFrom: kept,
        uploadedBytes: size - kept,
        uploadSkipped: false,
      });
      for (const [i, h] of p.fleet.hosts.entries()) {
        const archive = path.join(h.root, '.slipway', 'incoming', `${pkg.sha256}.tar.gz`);
        expect(sha256Hex(await readFile(archive))).toBe(pkg.sha256);
        expect(await p.currentOf(h.root)).toBe(`releases/${r.releaseId}`);
        expect(await p.healthVersion(i)).toBe('5.0.0');
        expect(await readFile(path.join(h.root, 'releases', r.releaseId, 'application', 'blob.txt'), 'utf8')).toBe(
          blob,
        );
      }
      expect(existsSync(part)).toBe(false);
      const j = (await p.journalOf(h1.root)).find(
        (x) => x.release === r.releaseId && x.step === 'extract' && x.status === 'ok',
      );
      expect(j?.message).toMatch(new RegExp(`${size - kept} bytes uploaded \\(resumed at ${kept}\\)`));
    } finally {
      await relay.stop();
      await p.config(); // the hosts' own ports again
    }
  }, 600_000);
});
