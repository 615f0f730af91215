// A 2-host fleet (real sshd per host, real PostgreSQL) whose app serves real Prometheus counters (test/fixtures/
// fleet/app.ts: /work answers 500 every N-th request when <root>/fail-every holds N; /metrics counts what it served):
// the watch window judged on those counters — one host's error rate over the threshold rolls the fleet back as one;
// hosts each too small to judge but failing together trip the fleet's aggregate — and the emergency rollback of the
// fleet through POST /api/releases/:id/rollback on the real server (session cookie + CSRF; refused without them).
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { readFile, realpath, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../../src/config/schema.js';
import type { SlipwayError } from '../../../src/errors.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { isPidAlive } from '../../../src/pid-alive.js';
import { startServer, type RunningServer } from '../../../src/server/start.js';
import { addUser } from '../../../src/server/users-file.js';
import { freshGet } from '../../helpers/fresh-get.js';
import { failureOf } from '../../helpers/failure.js';
import { queryRows } from '../../helpers/pg.js';
import { waitFor } from '../../helpers/wait.js';
import { CS1, CS2, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;
let v1 = '';

/**
 * The watch settings of these tests: /work's counters only (the watch's own /health probes are not traffic), the
 * error rate over the last `windowMs`.
 */
const watch = (windowMs: number) => [
  'watch:',
  '  durationMs: 180000',
  '  metricsUrl: "http://127.0.0.1/metrics"',
  '  thresholds:',
  '    probeIntervalMs: 250',
  '    probeTimeoutMs: 5000',
  '    errorRate: 0.2',
  `    errorRateWindowMs: ${windowMs}`,
  '    minRequests: 20',
  `    requestsSelector: 'http_requests_total{path="/work"}'`,
  `    errorsSelector: 'http_requests_total{path="/work",status=~"5.."}'`,
];

async function configWith(extra: string[] = []): Promise<Config> {
  return p.config({ rollout: '{ batch: 1, canary: 1 }', targetLines: extra });
}

const appUrl = (i: number, route: string) => `http://127.0.0.1:${p.appPorts[i]}${route}`;
// freshGet: the app restarts between reads; a pooled keep-alive socket to the old process would fail the read.
const scrapes = async (i: number) =>
  (JSON.parse((await freshGet(appUrl(i, '/stats'))).text) as { scrapes: number }).scrapes;

/** `n` GETs of host i's /work, one after the other; the statuses. */
async function traffic(i: number, n: number): Promise<number[]> {
  const out: number[] = [];
  for (let k = 0; k < n; k++) {
    out.push((await freshGet(appUrl(i, '/work'))).status);
  }
  return out;
}

/** host i's /work counters as its /metrics shows them (read here with a regex, not with the code under test). */
async function counters(i: number): Promise<{ requests: number; errors: number }> {
  const { text } = await freshGet(appUrl(i, '/metrics'));
  let requests = 0;
  let errors = 0;
  for (const m of text.matchAll(/^http_requests_total\{path="\/work",status="(\d+)"\} (\d+)$/gm)) {
    requests += Number(m[2]);
    if (m[1]!.startsWith('5')) errors += Number(m[2]);
  }
  return { requests, errors };
}

/** Resolves once the watch scraped every host `n` more times than when called (each scrape is a finished tick). */
async function scraped(n: number, hosts = [0, 1]): Promise<void> {
  const base = await Promise.all(hosts.map(scrapes));
  await waitFor(
    `${n} more scrapes of host(s) ${hosts.map((i) => i + 1).join(', ')}`,
    async () => (await Promise.all(hosts.map(scrapes))).every((s, k) => s >= base[k]! + n),
    { timeoutMs: 120_000 },
  );
}

beforeAll(async () => {
  p = await startFleetProject(2, 'slipway_fleet_watch_api');
  v1 = (
    await deployFleet({
      config: await configWith(),
      target: 'fleet',
      packagePath: (await p.fleetPackage('1.0.0', [CS1])).path,
    })
  ).releaseId;
}, 240_000);

afterAll(async () => {
  await p?.stop();
});

/**
 * Deploys 2.0.0 with the watch window; once the window opened, `drive` makes the traffic. Returns the deploy's error
 * and what `drive` returned.
 */
async function watchedDeploy<T>(
  drive: () => Promise<T>,
  windowMs = 4000,
): Promise<{ e: SlipwayError; driven: T; events: string[] }> {
  const cfg = await configWith(watch(windowMs));
  const events: string[] = [];
  let opened!: () => void;
  const windowOpen = new Promise<void>((resolve) => (opened = resolve));
  const deploying = failureOf(
    deployFleet({
      config: cfg,
      target: 'fleet',
      packagePath: (await p.fleetPackage('2.0.0', [CS1, CS2])).path,
      onProgress: (x) => {
        events.push(`${x.host ?? 'fleet'} ${x.step} ${x.status}`);
        if (!x.host && x.step === 'health' && x.status === 'begin') opened();
      },
    }),
  );
  const driven = await Promise.race([
    windowOpen.then(async () => {
      // The error-rate window must be covered by scrapes (every 250 ms) before the traffic, so the traffic is judged.
      await scraped(Math.ceil(windowMs / 250) + 4);
      return drive();
    }),
    deploying.then((e) => {
      throw new Error(`the deploy ended before its watch window opened: ${e.code}: ${e.message}`);
    }),
  ]);
  return { e: await deploying, driven, events };
}

async function expectBackOnV1(): Promise<void> {
  for (const [i, h] of p.fleet.hosts.entries()) {
    expect(await p.currentOf(h.root)).toBe(`releases/${v1}`);
    expect(await p.healthVersion(i)).toBe('1.0.0');
  }
  expect(await queryRows(p.db.url, `SELECT id FROM databasechangelog ORDER BY orderexecuted`)).toEqual([{ id: '1' }]);
  expect(await p.currentOf(p.controllerRoot)).toBe(`releases/${v1}`);
}

describe('fleet watch window on real Prometheus counters', () => {
  it('one host’s error rate over the threshold (the others fine): the fleet rolls back as one, the report names the host and the metric', async () => {
    const failEvery = path.join(p.fleet.hosts[1]!.root, 'fail-every');
    await writeFile(failEvery, '1'); // every /work on host 2 answers 500
    const { e, driven, events } = await watchedDeploy(async () => {
      // Host 1's healthy traffic first, and in the fleet's sums (two more scrapes) before host 2's failures, so the
      // aggregate is 20 errors of 220 requests (9 %): only host 2's own rate (100 %) is over 20 %.
      const ok = await traffic(0, 200);
      await scraped(2, [0]);
      const bad = await traffic(1, 20);
      return { ok, bad, counters: await Promise.all([0, 1].map(counters)) };
    }, 15_000); // a window that still holds host 1's traffic (sent one by one: seconds under load) when host 2 fails
    expect(new Set(driven.ok)).toEqual(new Set([200]));
    expect(new Set(driven.bad)).toEqual(new Set([500]));
    expect(driven.counters).toEqual([
      { requests: 200, errors: 0 },
      { requests: 20, errors: 20 },
    ]);
    // Exactly minRequests (20) on host 2: it is judged once all of them are counted, never on a part.
    const h2 = `${p.fleet.user}@127.0.0.1:${p.fleet.hosts[1]!.port}:${p.fleet.hosts[1]!.root}`;
    expect(e.code, e.message).toBe('E_HEALTH');
    expect(e.message).toMatch(
      new RegExp(
        `^watch window: ${h2.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: error-rate: error rate 100\\.00 % \\(20 of 20 requests\\) over the last \\d+\\.\\d s exceeds 20\\.00 %$`,
      ),
    );
    expect(e.details.slice(0, 2)).toEqual([
      expect.stringMatching(/host1\/root: \d+ probe\(s\)$/),
      expect.stringMatching(/host2\/root: \d+ probe\(s\), error-rate$/),
    ]);
    // The fleet journal's failed watch step says the same; then every host went back, the database too.
    const failed = (await p.journalOf(p.controllerRoot)).findLast((x) => x.step === 'health' && x.status === 'failed');
    expect(failed?.message).toContain(`${h2}: error-rate: error rate 100.00 %`);
    expect(events).toContain('fleet health failed');
    expect(e.details.join('\n')).toMatch(/database: rolled back the 1 changeset/);
    await expectBackOnV1();
    await rm(failEvery);
  }, 600_000);

  it('aggregate: each host too few requests to be judged, together over minRequests and the threshold: the fleet’s counters trip it', async () => {
    await writeFile(path.join(p.fleet.hosts[0]!.root, 'fail-every'), '2');
    await writeFile(path.join(p.fleet.hosts[1]!.root, 'fail-every'), '5');
    // 10 requests per host (below minRequests 20, so neither host's rate is ever judged): 5 + 2 errors of 20 (35 %).
    // The fleet reaches minRequests only once every request of both hosts is counted: judged on all of them.
    const { e, driven } = await watchedDeploy(async () => {
      const statuses = await Promise.all([traffic(0, 10), traffic(1, 10)]);
      return { statuses, counters: await Promise.all([0, 1].map(counters)) };
    });
    expect(driven.statuses.map((s) => s.filter((x) => x === 500).length)).toEqual([5, 2]);
    expect(driven.counters).toEqual([
      { requests: 10, errors: 5 },
      { requests: 10, errors: 2 },
    ]);
    const sum = driven.counters.reduce((a, c) => ({ requests: a.requests + c.requests, errors: a.errors + c.errors }));
    const pct = ((sum.errors / sum.requests) * 100).toFixed(2);
    expect(e.code, e.message).toBe('E_HEALTH');
    expect(e.message).toMatch(
      new RegExp(
        `^watch window: fleet: error-rate: the fleet's aggregated metrics: error rate ${pct.replace('.', '\\.')} % \\(${sum.errors} of ${sum.requests} requests\\) over the last \\d+\\.\\d s exceeds 20\\.00 %$`,
      ),
    );
    // No host tripped on its own.
    expect(e.details.slice(0, 2)).toEqual([
      expect.stringMatching(/host1\/root: \d+ probe\(s\)$/),
      expect.stringMatching(/host2\/root: \d+ probe\(s\)$/),
    ]);
    await expectBackOnV1();
    for (const h of p.fleet.hosts) await rm(path.join(h.root, 'fail-every'));
  }, 600_000);
});

describe('fleet watch window: one host restarting mid-window', () => {
  it('the aggregate carries a restarted host’s counters on (its reset is not the fleet’s): no false trigger, the window passes', async () => {
    // Host 1's 40 requests (20 failed, 50 %) all come before the window: the rollout's events let the test send them
    // while host 2 is being switched; no window may count them.
    await writeFile(path.join(p.fleet.hosts[0]!.root, 'fail-every'), '2');
    const cfg = await configWith(
      watch(4000)
        .map((l) => (l === '  durationMs: 180000' ? '  durationMs: 30000' : l))
        .concat(['    consecutive503: 40']),
    );
    const events: string[] = [];
    let early: Promise<{ statuses: number[]; scrapesBefore: number }> | undefined;
    let opened!: () => void;
    const windowOpen = new Promise<void>((resolve) => (opened = resolve));
    const h2 = p.fleet.hosts[1]!;
    const deploying = deployFleet({
      config: cfg,
      target: 'fleet',
      packagePath: (await p.fleetPackage('2.0.0', [CS1, CS2])).path,
      onProgress: (x) => {
        events.push(`${x.host ? (x.host.includes(h2.root) ? 'host2' : 'host1') : 'fleet'} ${x.step} ${x.status}`);
        if (x.host?.includes(h2.root) && x.step === 'switch' && x.status === 'begin')
          early = traffic(0, 40).then(async (statuses) => ({ statuses, scrapesBefore: await scrapes(0) }));
        if (!x.host && x.step === 'health' && x.status === 'begin') opened();
      },
    });
    // Every wait below gives up as soon as the deploy ends (a trigger would end it early), naming how it ended.
    const ended = deploying.then(
      (r) => `the deploy ended first: ok=${r.ok}`,
      (e: unknown) => `the deploy ended first: ${(e as Error).message}`,
    );
    const meanwhile = <T>(x: Promise<T>) =>
      Promise.race([
        x,
        ended.then((why) => {
          throw new Error(why);
        }),
      ]);
    await meanwhile(windowOpen);
    expect(events).toContain('fleet health begin');
    const pre = await early!;
    expect(pre.statuses.filter((x) => x === 500)).toHaveLength(20);
    expect(pre.scrapesBefore).toBe(0); // host 1 was not scraped yet: the 40 requests predate every window
    // In the window: 5 requests on host 2, 1 failed (below minRequests), counted; then host 2's app restarts (its
    // counters go back to 0), serves 1 request and is scraped again. Summed raw, the fleet's counters would drop
    // (45 → 41 requests, 21 → 20 errors) and the drop would read as a reset of the whole fleet: host 1's 40 requests
    // and 20 errors from before the window counted as new — 21 of 46 (46 %), over 20 %. Carried on per host, the
    // window holds 6 requests and 1 error: too few to judge.
    await meanwhile(scraped(20));
    await writeFile(path.join(h2.root, 'fail-every'), '5');
    expect(await traffic(1, 5)).toEqual([200, 200, 200, 200, 500]);
    await meanwhile(scraped(2, [1]));
    const oldPid = Number(await readFile(path.join(h2.root, 'app.pid'), 'utf8'));
    execFileSync('sh', [path.join(h2.root, 'current', 'scripts', 'restart.sh')], {
      env: {
        ...process.env,
        SLIPWAY_TARGET_ROOT: h2.root,
        SLIPWAY_RELEASE_DIR: await realpath(path.join(h2.root, 'current')),
      },
      stdio: 'ignore',
    });
    expect(Number(await readFile(path.join(h2.root, 'app.pid'), 'utf8'))).not.toBe(oldPid);
    await meanwhile(
      waitFor('host 2’s restarted app scraped twice', async () => (await scrapes(1).catch(() => 0)) >= 2, {
        timeoutMs: 120_000,
      }),
    );
    expect((await counters(1)).requests).toBe(0);
    // It serves again.
    expect(await traffic(1, 1)).toEqual([200]);
    await meanwhile(scraped(2, [1]));
    events.push('test: host 2 restarted and scraped');
    const r = await deploying;
    expect(r.ok).toBe(true);
    // The restart happened inside the window, which then ran to its end with no trigger.
    expect(events.indexOf('test: host 2 restarted and scraped')).toBeLessThan(events.indexOf('fleet health ok'));
    const w = (await p.journalOf(p.controllerRoot)).findLast((x) => x.step === 'health' && x.status === 'ok')!;
    expect(w.message).toMatch(/^\d+ probe\(s\) on 2 host\(s\), no trigger$/);
    for (const i of [0, 1]) expect(await p.healthVersion(i)).toBe('2.0.0');
    for (const h of p.fleet.hosts) await rm(path.join(h.root, 'fail-every'));
  }, 600_000);
});

describe('emergency rollback of a fleet through the HTTP API', () => {
  let server: RunningServer | undefined;
  afterAll(async () => {
    await server?.close();
  });

  it('POST /api/releases/:id/rollback {emergency:true} with a session and its CSRF token: every host stopped, switched back, restarted; without them nothing changes', async () => {
    const cfg = await configWith([`stop: ${JSON.stringify('kill "$(cat "$SLIPWAY_TARGET_ROOT/app.pid")"')}`]);
    const v2 = (
      await deployFleet({ config: cfg, target: 'fleet', packagePath: (await p.fleetPackage('2.0.0', [CS1, CS2])).path })
    ).releaseId;
    for (const i of [0, 1]) expect(await p.healthVersion(i)).toBe('2.0.0');
    const usersFile = path.join(p.dir, '.slipway/users.json');
    const password = 'fleet api correct horse';
    await addUser({ usersFile, name: 'deployer', password, groups: ['deployers'], now: new Date() });
    server = await startServer({ config: cfg, port: 0, host: '127.0.0.1', audit: path.join(p.dir, 'audit.log') });
    const url = `${server.url}/api/releases/${v1}/rollback`;
    const body = JSON.stringify({ emergency: true });
    const json = { 'content-type': 'application/json' };

    const pidOf = async (i: number) => Number(await readFile(path.join(p.fleet.hosts[i]!.root, 'app.pid'), 'utf8'));
    const ls = (d: string) => (existsSync(d) ? readdirSync(d).sort() : []);
    const state = async () => ({
      hosts: await Promise.all(
        p.fleet.hosts.map(async (h, i) => ({
          current: await p.currentOf(h.root),
          pid: await pidOf(i),
          journal: await readFile(path.join(h.root, '.slipway/journal.jsonl'), 'utf8'),
          releases: ls(path.join(h.root, 'releases')),
        })),
      ),
      fleetJournal: await readFile(path.join(p.controllerRoot, '.slipway/journal.jsonl'), 'utf8'),
      changelog: await queryRows(p.db.url, 'SELECT id FROM databasechangelog ORDER BY orderexecuted'),
    });
    const before = await state();

    // No credentials: 401. A session without its CSRF token: 403. Nothing anywhere changed.
    const anon = await fetch(url, { method: 'POST', headers: { ...json, origin: server.url }, body });
    expect(anon.status).toBe(401);
    const login = await fetch(`${server.url}/api/login`, {
      method: 'POST',
      headers: { ...json, origin: server.url },
      body: JSON.stringify({ username: 'deployer', password }),
    });
    expect(login.status).toBe(200);
    const csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
    const cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0])
      .join('; ');
    const noCsrf = await fetch(url, { method: 'POST', headers: { ...json, origin: server.url, cookie }, body });
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: { code: string } }).error.code).toBe('E_CSRF');
    expect(await state()).toEqual(before);
    for (const i of [0, 1]) expect(await p.healthVersion(i)).toBe('2.0.0');

    const r = await fetch(url, {
      method: 'POST',
      headers: { ...json, origin: server.url, cookie, 'x-csrf-token': csrf },
      body,
    });
    const out = (await r.json()) as {
      target: string;
      to: string;
      result: {
        ok: boolean;
        from: string;
        to: string;
        hosts: { host: string; from: string; current: string; healthy: boolean }[];
        databaseRolledBack: { id: string }[];
      };
    };
    expect(r.status, JSON.stringify(out)).toBe(200);
    // The body is what happened: every host from v2 to v1 and healthy, the database's changeset 2 rolled back.
    expect(out).toMatchObject({ target: 'fleet', to: v1, result: { ok: true, from: v2, to: v1 } });
    expect(
      out.result.hosts.map((h, i) => [h.host.endsWith(p.fleet.hosts[i]!.root), h.from, h.current, h.healthy]),
    ).toEqual([
      [true, v2, v1, true],
      [true, v2, v1, true],
    ]);
    expect(out.result.databaseRolledBack.map((k) => k.id)).toEqual(['2']);
    expect(await queryRows(p.db.url, 'SELECT id FROM databasechangelog ORDER BY orderexecuted')).toEqual([{ id: '1' }]);
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(`releases/${v1}`);
      expect(await p.healthVersion(i)).toBe('1.0.0');
      // Stopped (the v2 process is gone), then restarted: a new process serves v1.
      const old = before.hosts[i]!.pid;
      // (a zombie counts as gone: where pid 1 is slow to reap orphans, kill(pid, 0) still answers for one)
      expect(isPidAlive(old)).toBe(false);
      expect(await pidOf(i)).not.toBe(old);
      // The host's journal: this run's lines, as the emergency path writes them, the stop before the switch.
      const lines = (await p.journalOf(h.root)).filter((e) => e.kind === 'emergency-rollback');
      const seq = lines.map((e) => `${e.step} ${e.status}`);
      expect(seq[0]).toBe('run begin');
      expect(seq.at(-1)).toBe('run ok');
      for (const s of ['stop ok', 'switch ok', 'restart ok', 'health ok']) expect(seq).toContain(s);
      expect(seq.indexOf('stop ok')).toBeLessThan(seq.indexOf('switch ok'));
      expect(seq.indexOf('switch ok')).toBeLessThan(seq.indexOf('restart begin'));
      expect(lines[0]).toMatchObject({ release: v1, data: { from: v2, actor: 'deployer' } });
    }
    const fleetRun = (await p.journalOf(p.controllerRoot)).filter(
      (e) => e.kind === 'emergency-rollback' && e.step === 'run',
    );
    expect(fleetRun.map((e) => e.status)).toEqual(['begin', 'ok']);
    expect(fleetRun[0]).toMatchObject({ release: v1, data: { from: v2, actor: 'deployer', emergency: true } });
  }, 600_000);
});
