// The health gate on a fleet's final state after an undo: a fleet puts every host back first (switch, restart, the
// host's own gate), then the database — so without one more gate nothing checks that the previous release runs on
// the undone schema. Real sshd hosts and a real database; host 1's health URL is a server of this test that answers
// healthy only while the table changeset 2 creates exists (an app that needs the newer schema), so it passes every
// gate before the database undo and fails the one after.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load.js';
import type { SlipwayError } from '../../../src/errors.js';
import { deployFleet } from '../../../src/fleet/fleet-deploy.js';
import { rollbackFleet } from '../../../src/fleet/fleet-rollback.js';
import { queryRows } from '../../helpers/pg.js';
import { CS1, CS2, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;
let gate: http.Server;
let gateUrl = '';
/** When set, host 1's health answers UNHEALTHY once table t2 is gone. */
let needsT2 = false;

const fail = (x: Promise<unknown>) =>
  x.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as SlipwayError,
  );

beforeAll(async () => {
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
  await new Promise<void>((r) => gate.listen(0, '127.0.0.1', r));
  gateUrl = `http://127.0.0.1:${(gate.address() as AddressInfo).port}/health`;
}, 120_000);

afterAll(async () => {
  await new Promise((r) => gate?.close(r));
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
    const e = await fail(
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
});
