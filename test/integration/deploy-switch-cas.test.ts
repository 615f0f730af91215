// The local target's switches are compare-and-swaps too (switch.ts; Target.switchTo's `expected`): a real app and
// a real target directory, and `current` moved by a hand (a new link renamed over it, as `ln -sfn` does) right
// when a deploy or a rollback begins its switch. The switch must be refused naming what current holds, and the run's
// undo must leave current where the hand put it — never overwrite it, neither with the run's release nor by
// "putting back" the one the run had read.
import { execFileSync } from 'node:child_process';
import { renameSync, symlinkSync } from 'node:fs';
import { mkdtemp, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deploy, rollback } from '../../src/deploy/index.js';
import type { SlipwayError } from '../../src/errors.js';
import type { Config } from '../../src/config/schema.js';
import type { DeployEvent } from '../../src/deploy/types.js';
import { makeDeployConfig } from '../fixtures/deploy/config.js';
import { appTarget, makeAppPackage, STOP_SCRIPT } from '../fixtures/deploy/app.js';
import { reservedPort } from '../helpers/ports.js';

let dir: string;
let root: string;
let config: Config;
const ids: string[] = [];

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'slipway-cas-'));
  root = path.join(dir, 'target');
  config = await makeDeployConfig(dir, appTarget(await reservedPort(), { keep: 10 }));
  for (const v of ['1.0.0', '2.0.0', '3.0.0'])
    ids.push((await deploy({ config, packagePath: (await makeAppPackage(v)).path, target: 'prod' })).releaseId);
}, 120_000);

afterAll(async () => {
  try {
    execFileSync('sh', [STOP_SCRIPT], { env: { ...process.env, SLIPWAY_TARGET_ROOT: root } });
  } catch {
    /* no app */
  }
  await rm(dir, { recursive: true, force: true });
});

const currentOf = async () => path.basename(await readlink(path.join(root, 'current')));
/** What a hand on the host does: a new link renamed over current (`ln -sfn`), synchronously. */
const moveCurrentTo = (id: string) => {
  const tmp = path.join(root, 'hand-made-link');
  symlinkSync(path.join('releases', id), tmp);
  renameSync(tmp, path.join(root, 'current'));
};
/** Moves current to `id` when the run begins its switch (once). */
const handAtSwitch = (id: string) => {
  let moved = false;
  return (e: DeployEvent) => {
    if (!moved && e.step === 'switch' && e.status === 'begin') {
      moved = true;
      moveCurrentTo(id);
    }
  };
};
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the run to be refused');
    },
    (e: unknown) => e as SlipwayError,
  );

describe('local target: the switch is a compare-and-swap', () => {
  it('a deploy whose current was moved by hand before its switch is refused and leaves the hand’s change', async () => {
    const [v1, , v3] = ids as [string, string, string];
    expect(await currentOf()).toBe(v3);
    const e = await failure(
      deploy({
        config,
        packagePath: (await makeAppPackage('4.0.0')).path,
        target: 'prod',
        onProgress: handAtSwitch(v1),
      }),
    );
    expect(e.code, e.message).toBe('E_DEPLOY');
    expect(e.message).toContain(`current changed under this run: it points at releases/${v1}, not releases/${v3}`);
    expect(await currentOf()).toBe(v1);
  }, 120_000);

  it('a rollback whose current was moved by hand before its switch is refused and leaves the hand’s change', async () => {
    const [v1, v2, v3] = ids as [string, string, string];
    expect(await currentOf()).toBe(v1);
    const e = await failure(rollback({ config, target: 'prod', to: v2, onProgress: handAtSwitch(v3) }));
    expect(e.message).toContain(`current changed under this run: it points at releases/${v3}, not releases/${v1}`);
    expect(await currentOf()).toBe(v3);
  }, 120_000);
});
