// The health gate on a fleet's final state after an undo: a fleet puts every host back first (switch, restart, the
// host's own gate), then the database — so without one more gate nothing checks that the previous release runs on
// the undone schema. Real sshd hosts and a real database; host 1's health URL is a server of this test that answers
// healthy only while the table changeset 2 creates exists (an app that needs the newer schema), so it passes every
// gate before the database undo and fails the one after.
import http from 'node:http';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { recoverFleet } from '../../../src/fleet/fleet-recover.js';
import { rollbackFleet } from '../../../src/fleet/fleet-rollback.js';
import { ensureDist } from '../../helpers/cli-bin.js';
import { failureOf } from '../../helpers/failure.js';
import { queryRows } from '../../helpers/pg.js';
import { releasePort, reservedPort } from '../../helpers/ports.js';
import { CS1, CS2, deployKilledAfterCanary, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;
let gate: http.Server;
let gatePort = 0;
let gateUrl = '';
/** When set, host 1's health answers UNHEALTHY once table t2 is gone. */
let needsT2 = false;

beforeAll(async () => {
  await ensureDist();
  p = await startFleetProject(2, 'slipway_fleet_undo_gate');
  gate = http.createServer((_req, res) => {
    void (async () => {
      const t2 = needsT2
        ? (await queryRows(p.db.url, `SELECT to_regclass('public.t2')::text AS t`))[0]?.t !== null
        : true;
      res.writeHead(t2 ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ overall: { status: t2 ? 'HEALTHY' : 'UNHEALTHY' } }));
    })();
  });
  gatePort = await reservedPort(); // the suite's port rule (test/helpers/ports.ts)
  await new Promise<void>((r) => gate.listen(gatePort, '127.0.0.1', r));
  gateUrl = `http://127.0.0.1:${gatePort}/health`;
}, 120_000);

afterAll(async () => {
  await new Promise((r) => gate?.close(r));
  if (gatePort) releasePort(gatePort);
  await p?.stop();
});

/** The project's config with host 1's health URL pointed at the test's gate server. */
async function config() {
  const text = p.configText().replace(`http://127.0.0.1:${p.appPorts[0]}/health`, gateUrl);
  expect(text).toContain(gateUrl);
  await writeFile(path.join(p.dir, 'slipway.config.yaml'), text);
  return (await loadConfig({ cwd: p.dir, env: {} })).config;
}

const label = (i: number) => `root@127.0.0.1:${p.fleet.hosts[i]!.port}:${p.fleet.hosts[i]!.root}`;

describe('fleet undo: the health gate after the database', () => {
  let v1 = '';

  it('a failed rollout: a host failing its gate once the database is undone is reported as failing, never as rolled back', async () => {
    needsT2 = false;
    v1 = (
      await deployFleet({
        config: await config(),
        target: 'fleet',
        packagePath: (await p.fleetPackage('1.0.0', [CS1])).path,
      })
    ).releaseId;
    needsT2 = true;
    await writeFile(path.join(p.fleet.hosts[1]!.root, 'fail-2.0.0'), '');
    const events: string[] = [];
    const e = await failureOf(
      deployFleet({
        config: await config(),
        target: 'fleet',
        packagePath: (await p.fleetPackage('2.0.0', [CS1, CS2])).path,
        onProgress: (x) => events.push(`${x.host ?? 'fleet'} ${x.step} ${x.status}`),
      }),
    );
    await rm(path.join(p.fleet.hosts[1]!.root, 'fail-2.0.0'));
    expect(e.code).toBe('E_HEALTH');
    for (const h of p.fleet.hosts) expect(await p.currentOf(h.root)).toBe(`releases/${v1}`);
    expect(await queryRows(p.db.url, `SELECT id FROM databasechangelog ORDER BY orderexecuted`)).toEqual([{ id: '1' }]);
    const details = e.details.join('\n');
    expect(details).toMatch(/database: rolled back the 1 changeset/);
    expect(details).toContain(`${label(0)}: failed its health gate after the database undo`);
    expect(details).not.toContain(`${label(1)}: failed its health gate after the database undo`);
    expect(details).toMatch(/the fleet was not fully put back/);
    // The gate after the database: host 1's last health step follows the database rollback, and failed.
    const dbOk = events.indexOf('fleet db-rollback ok');
    expect(dbOk).toBeGreaterThan(-1);
    expect(events.lastIndexOf(`${label(0)} health failed`)).toBeGreaterThan(dbOk);
    const last = (await p.journalOf(p.controllerRoot)).at(-1)!;
    expect(last).toMatchObject({ step: 'run', status: 'failed' });
    expect(last.data).toMatchObject({ rolledBack: [label(1)], unhealthy: [label(0)], complete: false });
  }, 300_000);

  it('fleet rollback: every host on the earlier release, the database rolled back, then a host failing its gate is reported (E_HEALTH), never rolled back ok', async () => {
    needsT2 = true; // the deploy migrates t2 in: host 1 passes every gate of it
    const v2 = await deployFleet({
      config: await config(),
      target: 'fleet',
      packagePath: (await p.fleetPackage('2.0.0', [CS1, CS2])).path,
    });
    const events: string[] = [];
    const e = await failureOf(
      rollbackFleet({
        config: await config(),
        target: 'fleet',
        onProgress: (x) => events.push(`${x.host ?? 'fleet'} ${x.step} ${x.status}`),
      }),
    );
    expect(e.code).toBe('E_HEALTH');
    expect(e.message).toContain(`but 1 host(s) failed the health gate after it`);
    expect(e.details.join('\n')).toContain(`${label(0)}: failed its health gate after the database rollback`);
    expect(e.details.join('\n')).not.toContain(label(1));
    for (const h of p.fleet.hosts) expect(await p.currentOf(h.root)).toBe(`releases/${v1}`);
    expect(await queryRows(p.db.url, `SELECT id FROM databasechangelog ORDER BY orderexecuted`)).toEqual([{ id: '1' }]);
    expect(events.lastIndexOf(`${label(0)} health failed`)).toBeGreaterThan(events.indexOf('fleet db-rollback ok'));
    const last = (await p.journalOf(p.controllerRoot)).at(-1)!;
    expect(last).toMatchObject({ step: 'run', status: 'failed', kind: 'rollback', release: v1 });
    expect(last.data).toMatchObject({ unhealthy: [label(0)] });
    expect(await p.currentOf(p.controllerRoot)).toBe(`releases/${v1}`);
    expect(v2.releaseId).not.toBe(v1);
  }, 300_000);

  it('recover after a killed controller: the fleet back, the database undone, then a host failing its gate is reported and the recovery is incomplete', async () => {
    needsT2 = true;
    // A long configured pause after the canary (host 1): the controller is killed there.
    await writeFile(
      path.join(p.dir, 'slipway.config.yaml'),
      p
        .configText({ rollout: '{ batch: 2, canary: 1, pauseMs: 600000 }' })
        .replace(`http://127.0.0.1:${p.appPorts[0]}/health`, gateUrl),
    );
    const pkg = await p.fleetPackage('2.0.0', [CS1, CS2]);
    const v2 = await deployKilledAfterCanary(p, pkg.path, v1);
    const canary = p.fleet.hosts[0]!;
    expect(await p.currentOf(canary.root)).toBe(`releases/${v2}`);
    const events: string[] = [];
    const r = await recoverFleet({
      config: await config(),
      target: 'fleet',
      yes: true,
      onProgress: (x) => events.push(`${x.host ?? 'fleet'} ${x.step} ${x.status}`),
    });
    for (const h of p.fleet.hosts) expect(await p.currentOf(h.root)).toBe(`releases/${v1}`);
    expect(await queryRows(p.db.url, `SELECT id FROM databasechangelog ORDER BY orderexecuted`)).toEqual([{ id: '1' }]);
    expect(r.complete).toBe(false);
    const text = r.findings.join('\n');
    expect(text).toMatch(/database: rolled back the 1 changeset/);
    expect(text).toContain(`${label(0)}: failed its health gate after the database undo`);
    expect(text).not.toContain(`${label(1)}: failed its health gate`);
    expect(events.lastIndexOf(`${label(0)} health failed`)).toBeGreaterThan(events.indexOf('fleet db-rollback ok'));
    const last = (await p.journalOf(p.controllerRoot)).at(-1)!;
    expect(last).toMatchObject({ step: 'run', status: 'failed' });
    expect(last.data).toMatchObject({ interrupted: true, complete: false });
  }, 400_000);
});
