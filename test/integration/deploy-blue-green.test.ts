import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failureOf } from '../helpers/failure.js';
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deploy, rollback, listReleases } from '../../src/deploy/index.js';
import { blueGreenPaths, readBlueGreenState, stopBlueGreen } from '../../src/deploy/blue-green/index.js';
import type { Config } from '../../src/config/schema.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { blueGreenAppTarget, makeAppPackage } from '../fixtures/deploy/app.js';

describe('deploy with strategy blue-green (HEALTH switchSlots behind the deploy steps)', () => {
  let dir: string;
  let root: string;
  let config: Config;
  let proxyPort: number;
  const ids: string[] = [];
  const home = async () => (await fetch(`http://127.0.0.1:${proxyPort}/`)).text();

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'slipway-bg-'));
    root = path.join(dir, 'target');
    const bg = await blueGreenAppTarget();
    proxyPort = bg.proxyPort;
    config = await makeDeployConfig(dir, bg.target);
  });
  afterAll(async () => {
    await stopBlueGreen(root, 2000).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('first and second deploy: traffic moves to the new slot, current follows', async () => {
    for (const v of ['1.0.0', '2.0.0']) {
      const r = await deploy({ config, packagePath: (await makeAppPackage(v)).path, target: 'prod' });
      ids.push(r.releaseId);
      expect(await home()).toBe(`version ${v}\n`);
      expect(path.basename(await readlink(path.join(root, 'current')))).toBe(r.releaseId);
    }
  });

  it('an unhealthy release never receives traffic: E_HEALTH, the live slot keeps serving, current unchanged', async () => {
    const state = () => readBlueGreenState(blueGreenPaths(root).state);
    const before = await state();
    const e = await failureOf(
      deploy({ config, packagePath: (await makeAppPackage('3.0.0', 'UNHEALTHY')).path, target: 'prod' }),
    );
    expect(e.code).toBe('E_HEALTH');
    expect(e.message).toMatch(/did not become healthy, traffic stays on/);
    expect(await home()).toBe('version 2.0.0\n');
    expect(path.basename(await readlink(path.join(root, 'current')))).toBe(ids[1]);
    // Traffic never moved, and 2.0.0 answered its slot's check: the undo left that process serving (no restart).
    expect(e.details).toContain(`${ids[1]} was still live and answered its slot's health check (no restart)`);
    expect(e.details.join('\n')).not.toMatch(/restarted/);
    const after = await state();
    expect(after.live).toBe(before.live);
    expect(after.slots[after.live!]).toMatchObject({ releaseId: ids[1], pid: before.slots[before.live!]!.pid });
    expect((await listReleases(root)).find((r) => r.version === '3.0.0')?.result).toBe('failed');
  });

  it('rollback starts the previous release in the idle slot and moves traffic back', async () => {
    const r = await rollback({ config, target: 'prod' });
    expect(r.to).toBe(ids[0]);
    expect(await home()).toBe('version 1.0.0\n');
  });
});
