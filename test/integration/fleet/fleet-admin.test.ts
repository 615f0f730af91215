// Flags and admin commands on an ssh target, against real sshd hosts: --dry-run (the plan per host, no host
// contacted), --watch (planned after the last batch), releases pin|unpin and retention on every host (keep 1; never
// current, previous or pinned), and unlock (per-host locks, holders shown; a live local holder refused).
import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { formatJournalLine } from '../../../src/deploy/journal.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { CS1, FOREIGN_OWNER, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;

beforeAll(async () => {
  p = await startFleetProject(2, 'slipway_fleet_admin');
  await writeFile(
    path.join(p.dir, 'slipway.config.yaml'),
    p
      .configText({ rollout: '{ batch: 1, canary: 1, pauseMs: 5 }' })
      .replace('rollbackDatabase: true', 'rollbackDatabase: true\n      keep: 1'),
  );
}, 120_000);

afterAll(async () => {
  await p?.stop();
});

/** The first 12 hex digits of each archive uploaded to a host (parts of cut uploads left out). */
const incomingOn = (root: string) =>
  readdirSync(path.join(root, '.slipway', 'incoming'))
    .filter((f) => f.endsWith('.tar.gz'))
    .map((f) => f.slice(0, 12))
    .sort();
const digestsOf = (ids: string[]) => ids.map((id) => id.slice(-12)).sort();
const releasesOn = (root: string) =>
  existsSync(path.join(root, 'releases'))
    ? readdirSync(path.join(root, 'releases'))
        .filter((d) => !d.startsWith('.'))
        .sort()
    : [];

async function deploy(version: string): Promise<string> {
  const pkg = await p.fleetPackage(version, [CS1]);
  const d = await p.cli('deploy', pkg.path, '--target', 'fleet', '--json');
  expect(d.code, d.stderr).toBe(0);
  return (JSON.parse(d.stdout) as { releaseId: string }).releaseId;
}

describe('fleet flags and admin commands', () => {
  it('--dry-run prints the plan per batch and host without contacting any host, --watch included', async () => {
    const pkg = await p.fleetPackage('1.0.0', [CS1]);
    const text = await p.cli('deploy', pkg.path, '--target', 'fleet', '--dry-run');
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^plan: deploy 1\.0\.0 as \S+ to 2 host\(s\) of fleet \(the fleet's current: none\)/);
    expect(text.stdout).toMatch(/batch 1\/2 \(canary\): 1 host\(s\) at once/);
    expect(text.stdout).toMatch(/batch 2\/2, after a 5 ms pause: 1 host\(s\) at once/);
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(text.stdout).toContain(`${p.fleet.user}@127.0.0.1:${h.port}:${h.root}`);
      expect(text.stdout).toContain(`wait until http://127.0.0.1:${p.appPorts[i]}/health is HEALTHY`);
    }
    expect(text.stdout).toMatch(/migrate\s+apply database\/package\.sql to postgres:\/\/.* once, from the controller/);
    expect(text.stdout).toContain('dry run: no host was contacted, nothing was changed');
    const json = await p.cli('deploy', pkg.path, '--target', 'fleet', '--dry-run', '--json');
    expect(json.code, json.stderr).toBe(0);
    const plan = (JSON.parse(json.stdout) as { plan: { batches: { hosts: { host: string }[] }[] } }).plan;
    expect(plan.batches.map((b) => b.hosts.length)).toEqual([1, 1]);
    // No host was touched: not even the layout exists on them.
    for (const h of p.fleet.hosts) expect(existsSync(path.join(h.root, '.slipway'))).toBe(false);

    // --watch is planned after the last batch, every host at once.
    const watch = await p.cli('deploy', pkg.path, '--target', 'fleet', '--dry-run', '--watch', '10s');
    expect(watch.code, watch.stderr).toBe(0);
    expect(watch.stdout).toMatch(
      /health\s+watch 2 host\(s\) at once for 10 s \(health\); a trigger rolls the fleet back/,
    );
    expect(text.stdout).not.toMatch(/watch 2 host/);
    for (const h of p.fleet.hosts) expect(existsSync(path.join(h.root, '.slipway'))).toBe(false);
  }, 120_000);

  it('retention keeps the newest 1 plus current, previous and pinned releases on every host and the controller', async () => {
    const v1 = await deploy('1.0.0');
    const pin = await p.cli('releases', 'pin', v1, '--target', 'fleet');
    expect(pin.code, pin.stderr).toBe(0);
    expect(pin.stdout).toBe(`pinned ${v1} on 2 host(s) of fleet\n`);
    const v2 = await deploy('2.0.0');
    const v3 = await deploy('3.0.0');
    // keep 1: v3 is current, v2 the previous, v1 pinned: nothing removed.
    for (const root of [...p.fleet.hosts.map((h) => h.root), p.controllerRoot])
      expect(releasesOn(root)).toEqual([v1, v2, v3]);
    // Uploaded archives follow the releases: each kept release's archive stays (a release id ends with the first
    // 12 hex digits of its archive's sha256); a part of a cut upload stays too (it resumes).
    const part = path.join(p.fleet.hosts[0]!.root, '.slipway', 'incoming', `${'f'.repeat(64)}.tar.gz.part`);
    await writeFile(part, 'cut');
    for (const h of p.fleet.hosts) expect(incomingOn(h.root)).toEqual(digestsOf([v1, v2, v3]));
    const unpin = await p.cli('releases', 'unpin', v1, '--target', 'fleet');
    expect(unpin.code, unpin.stderr).toBe(0);
    const v4 = await deploy('4.0.0');
    for (const root of [...p.fleet.hosts.map((h) => h.root), p.controllerRoot])
      expect(releasesOn(root)).toEqual([v3, v4]);
    for (const h of p.fleet.hosts) expect(incomingOn(h.root)).toEqual(digestsOf([v3, v4]));
    expect(existsSync(part)).toBe(true);
    const hostJournal = await p.journalOf(p.fleet.hosts[0]!.root);
    expect(
      hostJournal.filter((e) => e.step === 'retention' && e.status === 'ok' && e.data?.removed).at(-1)?.data?.removed,
    ).toEqual([v2, v1]);
    const bad = await p.cli('releases', 'pin', '20260101T000000Z-000000000000', '--target', 'fleet');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/is not in the fleet journal of fleet/);
  }, 600_000);

  it("a pin written to a host's journal during a deploy is honoured by that host's retention", async () => {
    // Hosts hold v3 and v4 (the test above). A host's retention is planned from the journal its `open` read plus
    // the run's own lines; the command that removes checks the journal is still exactly that. Here a pin of v3 lands
    // in host 1's journal right after its switch (written as `releases pin` writes it, outside the run): host 1 must
    // keep v3, host 2 (no pin) removes it.
    const [v3] = releasesOn(p.fleet.hosts[0]!.root);
    const label = (i: number) => `${p.fleet.user}@127.0.0.1:${p.fleet.hosts[i]!.port}:${p.fleet.hosts[i]!.root}`;
    const journal = path.join(p.fleet.hosts[0]!.root, '.slipway', 'journal.jsonl');
    let pinned = false;
    const r = await deployFleet({
      config: (await loadConfig({ cwd: p.dir, env: {} })).config,
      target: 'fleet',
      packagePath: (await p.fleetPackage('5.0.0', [CS1])).path,
      onProgress: (e) => {
        if (pinned || e.host !== label(0) || e.step !== 'switch' || e.status !== 'ok') return;
        pinned = true;
        const pin = { at: new Date().toISOString(), run: `pin-${Date.now()}`, kind: 'admin' as const };
        appendFileSync(
          journal,
          `${formatJournalLine({ ...pin, step: 'pin', status: 'ok', release: v3!, data: { pinned: true, actor: 'test' } })}\n`,
        );
      },
    });
    expect(pinned).toBe(true);
    const v4 = r.hosts[0]!.previous!;
    expect(releasesOn(p.fleet.hosts[0]!.root)).toEqual([v3, v4, r.releaseId]);
    expect(releasesOn(p.fleet.hosts[1]!.root)).toEqual([v4, r.releaseId]);
    expect(r.hosts.map((h) => h.removed)).toEqual([[], [v3]]);
    expect(incomingOn(p.fleet.hosts[0]!.root)).toEqual(digestsOf([v3!, v4, r.releaseId]));
    expect(incomingOn(p.fleet.hosts[1]!.root)).toEqual(digestsOf([v4, r.releaseId]));
  }, 600_000);

  it('releases shows each host (current, previous, lock holder, reachable); unlock removes foreign locks and shows their holders', async () => {
    const lockDir = path.join(p.fleet.hosts[1]!.root, '.slipway', 'lock.d');
    await mkdir(lockDir, { recursive: true });
    const owner = FOREIGN_OWNER;
    await writeFile(path.join(lockDir, 'owner.json'), JSON.stringify(owner));
    const rel = await p.cli('releases', '--target', 'fleet', '--json');
    expect(rel.code, rel.stderr).toBe(0);
    const hosts = (
      JSON.parse(rel.stdout) as { hosts: { reachable: boolean; current: string; previous: string; lock: unknown }[] }
    ).hosts;
    expect(hosts.map((h) => h.reachable)).toEqual([true, true]);
    expect(hosts[0]!.lock).toBeNull();
    expect(hosts[1]!.lock).toEqual({ owner });
    expect(hosts[0]!.previous).not.toBeNull();
    expect(hosts[0]!.previous).not.toBe(hosts[0]!.current);
    const table = await p.cli('releases', '--target', 'fleet');
    expect(table.stdout).toMatch(/HOST\s+CURRENT\s+PREVIOUS\s+INSTALLED\s+LOCK\s+LAST RUN/);
    expect(table.stdout).toContain('pid 4242 on other-controller (deploy x, since 2026-12-05T07:00:00Z)');

    const un = await p.cli('unlock', '--target', 'fleet');
    expect(un.code, un.stderr).toBe(0);
    expect(un.stdout).toContain('controller: not locked');
    expect(un.stdout).toMatch(/host2\/root: removed the lock of pid 4242 on other-controller \(deploy x, run r-other/);
    expect(un.stdout).toMatch(/host1\/root: not locked/);
    expect(existsSync(lockDir)).toBe(false);

    // A holder that is a live process on this machine (this test's own pid) is refused; nothing is removed.
    await mkdir(lockDir, { recursive: true });
    await writeFile(path.join(lockDir, 'owner.json'), JSON.stringify({ ...owner, host: hostname(), pid: process.pid }));
    const refused = await p.cli('unlock', '--target', 'fleet');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(
      /1 host lock\(s\) of fleet are held by a live process on this machine; nothing was unlocked/,
    );
    expect(existsSync(lockDir)).toBe(true);
    await rm(lockDir, { recursive: true });
  }, 240_000);
});
