// The server and the web UI on an ssh target: GET /api/releases over real HTTP and the Releases page in headless
// Chromium show every host of a real fleet (2 sshd hosts and one that is down): its current and previous release,
// its lock holder and whether it answered. POST /api/releases/:id/rollback and the page's button roll the fleet
// back as the CLI does (every host, then the database): refused while a host is down or locked, done once not.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { loadConfig } from '../../src/config/load.js';
import { deployFleet } from '../../src/fleet/fleet-deploy.js';
import { startServer, type RunningServer } from '../../src/server/start.js';
import { addUser, addUserToken } from '../../src/server/users-file.js';
import { CS1, FOREIGN_OWNER, startFleetProject, type FleetProject } from '../integration/fleet/fleet-project.js';
import { launchChromium, logIn, openPage, runAxe, seriousOf } from './helpers/browser.js';
import { ensureWebBuilt } from './helpers/web-build.js';
import { reservedPort } from '../helpers/ports.js';

const PASSWORD = 'fleet e2e correct horse';
let p: FleetProject;
let server: RunningServer;
let browser: Browser;
let token: string;
let deadHost: string;
const releases: string[] = [];
const owner = FOREIGN_OWNER;

beforeAll(async () => {
  await ensureWebBuilt();
  p = await startFleetProject(2, 'slipway_e2e_fleet');
  for (const v of ['1.0.0', '2.0.0'])
    releases.push(
      (
        await deployFleet({
          config: await p.config(),
          target: 'fleet',
          packagePath: (await p.fleetPackage(v, [CS1])).path,
        })
      ).releaseId,
    );
  // Host 2's lock held by another controller; a third host that is down.
  const lockDir = path.join(p.fleet.hosts[1]!.root, '.slipway', 'lock.d');
  await mkdir(lockDir, { recursive: true });
  await writeFile(path.join(lockDir, 'owner.json'), JSON.stringify(owner));
  const dead = await reservedPort();
  deadHost = `root@127.0.0.1:${dead}:${path.join(p.dir, 'dead')}`;
  await writeFile(
    path.join(p.dir, 'slipway.config.yaml'),
    p.configText({
      extraHost: `      - { host: 127.0.0.1, port: ${dead}, user: root, path: ${JSON.stringify(path.join(p.dir, 'dead'))} }`,
    }) + 'server:\n  rateLimit: { loginPerMinute: 1000 }\n',
  );
  const config = (await loadConfig({ cwd: p.dir, env: {} })).config;
  const usersFile = path.join(p.dir, '.slipway/users.json');
  await addUser({ usersFile, name: 'deployer', password: PASSWORD, groups: ['deployers'], now: new Date() });
  token = (await addUserToken({ usersFile, name: 'deployer', now: new Date() })).token;
  server = await startServer({ config, port: 0, host: '127.0.0.1', audit: path.join(p.dir, 'audit.log') });
  browser = await launchChromium();
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await p?.stop();
});

describe('fleet on the server and in the UI', () => {
  it('GET /api/releases lists every host: current, previous, lock holder, reachable; POST rollback refused while a host is down', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const res = await fetch(`${server.url}/api/releases`, { headers: auth });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      target: string;
      type: string;
      releases: { id: string; current: boolean }[];
      hosts: { host: string; reachable: boolean; current: string | null; previous: string | null; lock: unknown }[];
    };
    expect(body).toMatchObject({ target: 'fleet', type: 'ssh' });
    expect(body.releases.find((r) => r.current)?.id).toBe(releases[1]);
    expect(body.hosts.map((h) => [h.reachable, h.current, h.previous])).toEqual([
      [true, releases[1], releases[0]],
      [true, releases[1], releases[0]],
      [false, null, null],
    ]);
    expect(body.hosts.map((h) => h.lock)).toEqual([null, { owner }, null]);
    expect(body.hosts[2]).toMatchObject({ host: deadHost, error: expect.stringMatching(/connection refused/) });

    const rb = await fetch(`${server.url}/api/releases/${releases[0]}/rollback`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    });
    // The fleet rollback refuses before changing anything: one of 3 hosts cannot be reached.
    expect(rb.status).toBe(502);
    expect(((await rb.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'E_SSH',
      message: expect.stringMatching(/1 of 3 host\(s\) of fleet cannot be reached/),
    });
    for (const h of p.fleet.hosts) expect(await p.currentOf(h.root)).toBe(`releases/${releases[1]}`);
    // One route for both kinds of target: its auth (and CSRF for cookie sessions) is the local rollback's.
    const noCsrf = await fetch(`${server.url}/api/releases/${releases[0]}/rollback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(noCsrf.status).toBe(401);
  }, 120_000);

  it('the Releases page shows the hosts table and a rollback button for the earlier release, and stays accessible', async () => {
    const w = await openPage(browser, server.url);
    try {
      await logIn(w.page, 'deployer', PASSWORD);
      await w.page.getByRole('link', { name: 'Releases' }).click();
      const rows = w.page.getByTestId('fleet-hosts').locator('tbody tr');
      await expect.poll(() => rows.count(), { timeout: 60_000 }).toBe(3);
      const cells = async (i: number) => rows.nth(i).locator('td').allTextContents();
      const [h1, h2] = p.fleet.hosts;
      expect(await cells(0)).toEqual([
        `${p.fleet.user}@127.0.0.1:${h1!.port}:${h1!.root}`,
        'yes',
        releases[1],
        releases[0],
        'free',
      ]);
      expect((await cells(1)).slice(0, 4)).toEqual([
        `${p.fleet.user}@127.0.0.1:${h2!.port}:${h2!.root}`,
        'yes',
        releases[1],
        releases[0],
      ]);
      expect((await cells(1))[4]).toMatch(/^pid 4242 on other-controller \(deploy x, since 2026-12-05 07:00:00 UTC\)$/);
      expect(await rows.nth(2).getAttribute('data-reachable')).toBe('false');
      expect((await cells(2))[1]).toMatch(/^no.*connection refused/);
      // The fleet's releases are listed; the earlier one offers a rollback of the whole fleet.
      await expect.poll(() => w.page.getByTestId('releases').locator('tbody tr').count()).toBe(2);
      expect(await w.page.getByRole('button', { name: /Roll back/ }).count()).toBe(1);
      expect(await w.page.getByText('slipway rollback --target fleet').count()).toBe(1);
      const violations = await runAxe(w.page);
      expect(seriousOf(violations), JSON.stringify(violations, null, 1)).toEqual([]);
      expect(w.errors).toEqual([]);
    } finally {
      await w.context.close();
    }
  }, 180_000);

  it('with every host up and free, the Releases page button rolls the whole fleet back (every host, the database)', async () => {
    // The down host removed from the config and the foreign lock gone: a server on that config.
    await rm(path.join(p.fleet.hosts[1]!.root, '.slipway', 'lock.d'), { recursive: true });
    await writeFile(
      path.join(p.dir, 'slipway.config.yaml'),
      p.configText() + 'server:\n  rateLimit: { loginPerMinute: 1000 }\n',
    );
    const second = await startServer({
      config: (await loadConfig({ cwd: p.dir, env: {} })).config,
      port: 0,
      host: '127.0.0.1',
      audit: path.join(p.dir, 'audit2.log'),
    });
    const w = await openPage(browser, second.url);
    try {
      await logIn(w.page, 'deployer', PASSWORD);
      await w.page.getByRole('link', { name: 'Releases' }).click();
      await w.page.getByRole('button', { name: /Roll back to 1\.0\.0/ }).click();
      await w.page
        .getByRole('dialog')
        .getByRole('button', { name: /Roll back to 1\.0\.0/ })
        .click();
      await expect.poll(() => w.page.getByText(/is live on every host of fleet/).count(), { timeout: 240_000 }).toBe(1);
      for (const [i, h] of p.fleet.hosts.entries()) {
        expect(await p.currentOf(h.root)).toBe(`releases/${releases[0]}`);
        expect(await p.healthVersion(i)).toBe('1.0.0');
      }
      const rows = w.page.getByTestId('fleet-hosts').locator('tbody tr');
      await expect.poll(() => rows.nth(0).locator('td').nth(2).textContent(), { timeout: 60_000 }).toBe(releases[0]);
      expect(w.errors).toEqual([]);
    } finally {
      await w.context.close();
      await second.close();
    }
  }, 400_000);
});
