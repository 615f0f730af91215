// A fleet rollout against real OpenSSH servers (one sshd per "host", all on 127.0.0.1, each with its own root and
// app port) and a real PostgreSQL database. No mocks: the hosts run the remote scripts, the apps answer HTTP.
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { verifyTree } from '../../../src/deploy/verify-tree.js';
import { failureOf } from '../../helpers/failure.js';
import { queryRows } from '../../helpers/pg.js';
import { reservedPort } from '../../helpers/ports.js';
import type { SshFleetFixture } from '../../helpers/sshd.js';
import { waitFor } from '../../helpers/wait.js';
import {
  CS1,
  CS2,
  FOREIGN_OWNER,
  mastersUnder,
  startFleetProject,
  type ConfigTextOptions,
  type FleetProject,
} from './fleet-project.js';

let p: FleetProject;
let fleet: SshFleetFixture;
let dir: string;
let appPorts: number[];
let db: FleetProject['db'];
const config = (o?: ConfigTextOptions) => p.config(o);
const configText = (o?: ConfigTextOptions) => p.configText(o);
const fleetPackage = (...a: Parameters<FleetProject['fleetPackage']>) => p.fleetPackage(...a);
const journalOf = (root: string) => p.journalOf(root);
const currentOf = (root: string) => p.currentOf(root);
const healthVersion = (i: number) => p.healthVersion(i);
const cli = (...argv: string[]) => p.cli(...argv);

beforeAll(async () => {
  p = await startFleetProject(4, 'slipway_fleet');
  ({ fleet, dir, appPorts, db } = p);
}, 120_000);

const extraRoots: string[] = [];

afterAll(async () => {
  await p?.stop(extraRoots);
});

describe('fleet rollout over real sshd', () => {
  let v1Release = '';

  it('deploys to 4 hosts: installs everywhere first, migrates once, canary then batches of 2', async () => {
    const pkg = await fleetPackage('1.0.0', [CS1]);
    const events: string[] = [];
    // A short TMPDIR of its own for the run's control sockets, to see that it ended every master it opened.
    const tmp = await mkdtemp('/tmp/sw-');
    const tmpBefore = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    const r = await deployFleet({
      config: await config(),
      target: 'fleet',
      packagePath: pkg.path,
      onProgress: (e) => events.push(`${e.host ?? 'fleet'} ${e.step} ${e.status}`),
    }).finally(() => (tmpBefore === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = tmpBefore)));
    v1Release = r.releaseId;
    // Every host's master connection ended with the run (each host's unlock, then its `ssh -O exit`).
    await waitFor('the run ended its ssh masters', () => mastersUnder(tmp).length === 0);
    expect(readdirSync(tmp)).toEqual([]); // the control directory is gone too
    await rm(tmp, { recursive: true });
    expect(r.ok).toBe(true);
    expect(r.batches.map((b) => b.length)).toEqual([1, 2, 1]);
    expect(r.executed.map((k) => k.id)).toEqual(['1']);
    for (const [i, h] of fleet.hosts.entries()) {
      expect(await currentOf(h.root)).toBe(`releases/${r.releaseId}`);
      expect(await healthVersion(i)).toBe('1.0.0');
      expect(r.hosts[i]!.install!.uploadSkipped).toBe(false);
    }
    // Every host's install finished before the first switch; the migration ran once, between the two.
    const lastInstall = Math.max(...events.map((e, i) => (/ extract ok$/.test(e) ? i : -1)));
    const firstSwitch = events.findIndex((e) => / switch ok$/.test(e) && !e.startsWith('fleet'));
    const migrate = events.indexOf('fleet migrate ok');
    expect(lastInstall).toBeLessThan(migrate);
    expect(migrate).toBeLessThan(firstSwitch);
    // The package was judged (compat, from the checked archive) before anything was extracted or installed; the
    // controller's copy, extracted while the hosts installed, is the whole release (every file SHA256SUMS lists,
    // verified: smoke tests, database SQL, the application) and was complete before the migration.
    const compatOk = events.indexOf('fleet compat ok');
    expect(compatOk).toBeGreaterThan(-1);
    expect(compatOk).toBeLessThan(events.findIndex((e) => / extract begin$/.test(e)));
    expect(events.indexOf('fleet extract ok')).toBeGreaterThan(-1);
    expect(events.indexOf('fleet extract ok')).toBeLessThan(events.indexOf('fleet migrate begin'));
    const copy = path.join(dir, '.slipway', 'fleet', 'fleet', 'releases', r.releaseId);
    const copyCheck = await verifyTree(copy);
    expect(copyCheck.problems).toEqual([]);
    expect(copyCheck.files).toBe((await readFile(path.join(copy, 'SHA256SUMS'), 'utf8')).trim().split('\n').length + 1);
    for (const f of ['tests/smoke/health.mjs', 'database/package.sql', 'database/changesets.json', 'application'])
      expect(existsSync(path.join(copy, f))).toBe(true);
    // Canary (host 1) went live before hosts 2 and 3 started switching, and they before host 4.
    const okAt = (host: number) => events.findIndex((e) => e.startsWith(r.hosts[host]!.host) && / smoke ok$/.test(e));
    const beginAt = (host: number) =>
      events.findIndex((e) => e.startsWith(r.hosts[host]!.host) && / switch begin$/.test(e));
    expect(okAt(0)).toBeLessThan(beginAt(1));
    expect(okAt(0)).toBeLessThan(beginAt(2));
    expect(Math.max(okAt(1), okAt(2))).toBeLessThan(beginAt(3));
    // Each host's own journal tells its story; the fleet journal is on the controller.
    for (const h of fleet.hosts) {
      const j = await journalOf(h.root);
      expect(j.filter((e) => e.step === 'run').map((e) => e.status)).toEqual(['begin', 'ok']);
    }
    const fj = await journalOf(path.join(dir, '.slipway', 'fleet', 'fleet'));
    // (a superuser connection adds a 'warning' entry: the test database is reached as postgres)
    expect(fj.filter((e) => e.step === 'migrate' && e.status !== 'warning').map((e) => e.status)).toEqual([
      'begin',
      'ok',
    ]);
    expect(await queryRows(db.url, `SELECT id FROM databasechangelog`)).toEqual([{ id: '1' }]);
    // Nothing outside each host's root: the remote lock is gone, the archive sits in .slipway/incoming.
    for (const h of fleet.hosts) {
      expect(existsSync(path.join(h.root, '.slipway', 'lock.d'))).toBe(false);
      expect(existsSync(path.join(h.root, '.slipway', 'incoming', `${pkg.sha256}.tar.gz`))).toBe(true);
    }
    // The restart returns once the app listens (fixtures/fleet/app.ts): every health gate passes on its first probe.
    for (const h of fleet.hosts) {
      const gate = (await journalOf(h.root)).find((e) => e.step === 'health' && e.status === 'ok');
      expect(gate?.data?.attempts, h.root).toBe(1);
    }
    // Remote commands per host (each one `ssh` over the host's master connection), from the controller's log of the
    // run: open (prepare + lock + state), upload + install, switch, restart, finish (the gates' journal lines,
    // retention, archives, the closing line, the unlock); hosts of a batch before the last also put their gates on
    // the host before the next batch begins (one more).
    const fleetRun = (await journalOf(path.join(dir, '.slipway', 'fleet', 'fleet'))).find(
      (e) => e.release === r.releaseId,
    )!.run;
    const logs = path.join(dir, '.slipway', 'fleet', 'fleet', '.slipway', 'logs', fleetRun);
    const commands = await Promise.all(
      fleet.hosts.map(async (h) => {
        const log = await readFile(
          path.join(logs, `${r.hosts[fleet.hosts.indexOf(h)]!.host.replace(/[^A-Za-z0-9._@-]+/g, '_')}.log`),
          'utf8',
        );
        return log.split('\n').filter((l) => /^\[\d{4}-\d\d-\d\dT[^\]]+\] \S+ \$ /.test(l)).length;
      }),
    );
    expect(commands).toEqual([6, 6, 6, 5]);
  }, 240_000);

  it('host 3 failing its health gate: hosts 3, 2, 1 rolled back in reverse order, host 4 untouched, database too', async () => {
    const pkg = await fleetPackage('2.0.0', [CS1, CS2]);
    await writeFile(path.join(fleet.hosts[2]!.root, 'fail-2.0.0'), '');
    const events: string[] = [];
    const e = await failureOf(
      deployFleet({
        config: await config(),
        target: 'fleet',
        packagePath: pkg.path,
        onProgress: (x) => events.push(`${x.host ?? 'fleet'} ${x.step} ${x.status}`),
      }),
    );
    expect(e.code).toBe('E_HEALTH');
    expect(e.message).toMatch(/batch 2\/3 failed on .*127\.0\.0\.1:\d+:.*host3/);
    for (const [i, h] of fleet.hosts.entries()) {
      expect(await currentOf(h.root)).toBe(`releases/${v1Release}`);
      expect(await healthVersion(i)).toBe('1.0.0');
    }
    // Rolled back in reverse switch order: host 3 (the failing one), then 2, then 1; host 4 never switched.
    const label = (i: number) => `root@127.0.0.1:${fleet.hosts[i]!.port}:${fleet.hosts[i]!.root}`;
    const rollbackOk = (i: number) => events.indexOf(`${label(i)} rollback ok`);
    expect(rollbackOk(2)).toBeGreaterThan(-1);
    expect(rollbackOk(2)).toBeLessThan(rollbackOk(1));
    expect(rollbackOk(1)).toBeLessThan(rollbackOk(0));
    expect(events.some((x) => x.startsWith(label(3)) && / switch /.test(x))).toBe(false);
    const j4 = await journalOf(fleet.hosts[3]!.root);
    expect(j4.filter((x) => x.step === 'switch').map((x) => x.release)).toEqual([v1Release, v1Release]); // v1's only
    expect(j4.at(-1)).toMatchObject({ step: 'run', status: 'failed' });
    // The database: changeset 2 rolled back, changeset 1 (v1's) stays.
    expect(await queryRows(db.url, `SELECT id FROM databasechangelog ORDER BY orderexecuted`)).toEqual([{ id: '1' }]);
    expect(await queryRows(db.url, `SELECT to_regclass('public.t2')::text AS t`)).toEqual([{ t: null }]);
    expect(e.details.join('\n')).toMatch(/database: rolled back the 1 changeset/);
    expect(e.details.join('\n')).toMatch(/never switched .*host4/);
    await rm(path.join(fleet.hosts[2]!.root, 'fail-2.0.0'));
  }, 240_000);

  it('CLI: deploy, releases (per host), rollback of the whole fleet (database too), history', async () => {
    await config();
    const pkg = await fleetPackage('2.0.0', [CS1, CS2]);
    const d = await cli('deploy', pkg.path, '--target', 'fleet', '--json');
    expect(d.code, d.stderr).toBe(0);
    const v2 = (JSON.parse(d.stdout) as { releaseId: string }).releaseId;
    for (const i of [0, 1, 2, 3]) expect(await healthVersion(i)).toBe('2.0.0');
    expect(await queryRows(db.url, `SELECT id FROM databasechangelog ORDER BY orderexecuted`)).toEqual([
      { id: '1' },
      { id: '2' },
    ]);

    const rel = await cli('releases', '--target', 'fleet', '--json');
    expect(rel.code, rel.stderr).toBe(0);
    const state = JSON.parse(rel.stdout) as {
      releases: { id: string; current: boolean; result: string }[];
      hosts: { host: string; current: string; releases: { id: string; result: string }[] }[];
    };
    expect(state.releases.find((r) => r.current)?.id).toBe(v2);
    expect(state.hosts.map((h) => h.current)).toEqual([v2, v2, v2, v2]);
    // Host 3's own history shows the failed attempt of the run that was rolled back.
    expect(state.hosts[2]!.releases.map((r) => r.result)).toContain('failed');
    const text = await cli('releases', '--target', 'fleet');
    expect(text.stdout).toMatch(/HOST\s+CURRENT/);
    expect(text.stdout.split('\n').filter((l) => l.includes(v2) && l.startsWith(fleet.user)).length).toBe(4);

    const rb = await cli('rollback', '--target', 'fleet', '--json');
    expect(rb.code, rb.stderr).toBe(0);
    const r = JSON.parse(rb.stdout) as { from: string; to: string; databaseRolledBack: { id: string }[] };
    expect(r).toMatchObject({ from: v2, to: v1Release });
    expect(r.databaseRolledBack.map((k) => k.id)).toEqual(['2']);
    for (const [i, h] of fleet.hosts.entries()) {
      expect(await currentOf(h.root)).toBe(`releases/${v1Release}`);
      expect(await healthVersion(i)).toBe('1.0.0');
    }
    expect(await queryRows(db.url, `SELECT id FROM databasechangelog ORDER BY orderexecuted`)).toEqual([{ id: '1' }]);

    const hist = await cli('history', '--target', 'fleet', '--json');
    expect(hist.code, hist.stderr).toBe(0);
    const entries = JSON.parse(hist.stdout) as { kind: string; step: string; data: { host: string } }[];
    const hostsSeen = new Set(entries.filter((e) => e.kind === 'rollback' && e.step === 'run').map((e) => e.data.host));
    expect(hostsSeen.size).toBe(5); // the controller and the 4 hosts
  }, 400_000);

  it('a second controller is blocked by the per-host locks; nothing is installed, the locks it took are released', async () => {
    const pkg = await fleetPackage('3.0.0', [CS1]);
    // Another controller (another machine) holds host 2's lock.
    const lockDir = path.join(fleet.hosts[1]!.root, '.slipway', 'lock.d');
    await mkdir(lockDir, { recursive: true });
    const owner = FOREIGN_OWNER;
    await writeFile(path.join(lockDir, 'owner.json'), JSON.stringify(owner));
    const before = await Promise.all(fleet.hosts.map((h) => journalOf(h.root)));
    const e = await failureOf(deployFleet({ config: await config(), target: 'fleet', packagePath: pkg.path }));
    expect(e.code).toBe('E_LOCKED');
    expect(e.message).toMatch(/host2.* is locked by pid 4242 on other-controller/);
    const after = await Promise.all(fleet.hosts.map((h) => journalOf(h.root)));
    expect(after.map((j) => j.length)).toEqual(before.map((j) => j.length));
    // Host 1's lock (taken first) was released; host 2's stays with its owner.
    expect(existsSync(path.join(fleet.hosts[0]!.root, '.slipway', 'lock.d'))).toBe(false);
    expect(JSON.parse(await readFile(path.join(lockDir, 'owner.json'), 'utf8'))).toEqual(owner);
    await rm(lockDir, { recursive: true });
  }, 120_000);

  it('an unreachable host refuses the rollout before anything is installed', async () => {
    const pkg = await fleetPackage('3.0.0', [CS1]);
    const deadPort = await reservedPort();
    const cfg = await config({
      extraHost: `      - { host: 127.0.0.1, port: ${deadPort}, user: root, path: ${JSON.stringify(path.join(dir, 'dead'))} }`,
    });
    const before = await Promise.all(fleet.hosts.map((h) => journalOf(h.root)));
    const e = await failureOf(deployFleet({ config: cfg, target: 'fleet', packagePath: pkg.path }));
    expect(e.code).toBe('E_SSH');
    expect(e.message).toMatch(/1 of 5 host\(s\) of fleet cannot be reached; nothing was installed or switched/);
    expect(e.details.join('\n')).toMatch(new RegExp(`127\\.0\\.0\\.1:${deadPort}.*connection refused`));
    const after = await Promise.all(fleet.hosts.map((h) => journalOf(h.root)));
    expect(after.map((j) => j.length)).toEqual(before.map((j) => j.length));
    for (const h of fleet.hosts) expect(await currentOf(h.root)).toBe(`releases/${v1Release}`);
  }, 120_000);

  it('a host whose key does not match knownHosts is refused', async () => {
    const pkg = await fleetPackage('3.0.0', [CS1]);
    const wrong = await fleet.writeWrongKnownHosts(1);
    const e = await failureOf(
      deployFleet({ config: await config({ knownHosts: wrong }), target: 'fleet', packagePath: pkg.path }),
    );
    expect(e.code).toBe('E_SSH');
    expect(e.details.join('\n')).toMatch(/host key is not the one pinned in knownHosts/);
    for (const h of fleet.hosts) expect(await currentOf(h.root)).toBe(`releases/${v1Release}`);
  }, 120_000);

  it('a hostile host path is one quoted argument on the host', async () => {
    // A root whose name would run commands if it were interpolated into a shell line.
    const hostile = path.join(fleet.hosts[0]!.root, '..', `it's $(touch pwned) ; \`touch pwned2\` "q"`);
    // Its own app port, so the health gate hears the app this root starts (v1's still runs from the first root).
    const port = await reservedPort();
    const text = configText()
      .replace(`path: ${JSON.stringify(fleet.hosts[0]!.root)}`, `path: ${JSON.stringify(hostile)}`)
      .replace(`127.0.0.1:${appPorts[0]}/health`, `127.0.0.1:${port}/health`);
    await writeFile(path.join(dir, 'slipway.config.yaml'), text);
    const cfg = (await loadConfig({ cwd: dir, env: {} })).config;
    await mkdir(hostile, { recursive: true });
    extraRoots.push(hostile);
    await writeFile(path.join(hostile, 'port'), String(port));
    appPorts.push(port);
    const pkg = await fleetPackage('1.5.0', [CS1]);
    const r = await deployFleet({ config: cfg, target: 'fleet', packagePath: pkg.path });
    expect(r.ok).toBe(true);
    expect(await currentOf(hostile)).toBe(`releases/${r.releaseId}`);
    await waitFor(
      'the hostile root answering 1.5.0',
      async () => (await healthVersion(appPorts.length - 1)) === '1.5.0',
    );
    for (const d of [hostile, path.dirname(hostile), process.cwd(), '/root'])
      for (const f of ['pwned', 'pwned2']) expect(existsSync(path.join(d, f))).toBe(false);
  }, 240_000);

  it('--skip-unreachable deploys to the reachable hosts and reports the other', async () => {
    const pkg = await fleetPackage('3.0.0', [CS1]);
    const deadPort = await reservedPort();
    const cfg = await config({
      extraHost: `      - { host: 127.0.0.1, port: ${deadPort}, user: root, path: ${JSON.stringify(path.join(dir, 'dead'))} }`,
    });
    const r = await deployFleet({ config: cfg, target: 'fleet', packagePath: pkg.path, skipUnreachable: true });
    expect(r.ok).toBe(true);
    expect(r.hosts.map((h) => h.outcome)).toEqual(['live', 'live', 'live', 'live', 'unreachable']);
    expect(r.hosts[4]!.message).toMatch(/connection refused/);
    for (const [i, h] of fleet.hosts.entries()) {
      expect(await currentOf(h.root)).toBe(`releases/${r.releaseId}`);
      expect(await healthVersion(i)).toBe('3.0.0');
    }
    const fj = await journalOf(path.join(dir, '.slipway', 'fleet', 'fleet'));
    const begin = fj.filter((e) => e.step === 'run' && e.status === 'begin').at(-1)!;
    expect(begin.data?.unreachable).toEqual([`root@127.0.0.1:${deadPort}:${path.join(dir, 'dead')}`]);
  }, 240_000);
});
