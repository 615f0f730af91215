// The install's lease and its rename are one step on the host (remote-scripts.ts INSTALL and unlock): the install
// scripts run as a host runs them (sh, the real coreutils), with a stand-in for mv first on the install's PATH that
// holds the rename into releases/ until the test lets it go. Meanwhile the run's lock is given back (`unlock`, as the
// controller does once it has journaled the install as failed) — and, in the second case, another run takes the
// lock. The held rename must then find nothing to publish: exit 10, releases/ without the release, the other run's
// lock intact. With the lease checked in sh and then a separate rename, the release appeared after the unlock.
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashFile } from '../../../src/fileset/hash.js';
import { SCRIPTS } from '../../../src/fleet/remote-scripts.js';
import { makeTree, removeTree } from '../../helpers/tmp.js';
import { waitFor } from '../../helpers/wait.js';

const REAL_MV = ['/usr/bin/mv', '/bin/mv'].find((f) => existsSync(f))!;
let dir: string;
let sha: string;

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** One of SCRIPTS run as the host runs it (`sh -c SCRIPT sh ARGS…`), optionally with `bin` first on its PATH. */
function sh(script: string, args: string[], bin?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PATH: bin ? `${bin}:${process.env.PATH ?? ''}` : process.env.PATH };
    const c = spawn('sh', ['-c', script, 'sh', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    c.on('error', reject);
    c.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const owner = (run: string) => JSON.stringify({ host: 'controller', pid: 1, startedAt: '', run, command: 'deploy' });

beforeAll(async () => {
  dir = await makeTree({ 'pkg/app.txt': 'hello\n', 'pkg/lib/x.txt': 'x\n' }, 'slipway-lease-');
  const sums = await sh('cd "$1" && sha256sum app.txt lib/x.txt > SHA256SUMS', [path.join(dir, 'pkg')]);
  expect(sums.code, sums.stderr).toBe(0);
  const tgz = path.join(dir, 'pkg.tar.gz');
  const tar = await sh('tar -czf "$1" -C "$2" .', [tgz, path.join(dir, 'pkg')]);
  expect(tar.code, tar.stderr).toBe(0);
  sha = await hashFile(tgz);
  mkdirSync(path.join(dir, 'bin'));
  // mv, except that a rename into releases/ waits while <dir>/hold exists (after creating <dir>/held).
  writeFileSync(
    path.join(dir, 'bin', 'mv'),
    `#!/bin/sh
case " $* " in
  *" releases/"*) if [ -e '${dir}/hold' ]; then : > '${dir}/held'; while [ -e '${dir}/hold' ]; do sleep 0.05; done; fi ;;
esac
exec ${REAL_MV} "$@"
`,
  );
  chmodSync(path.join(dir, 'bin', 'mv'), 0o755);
});

afterAll(async () => {
  if (dir) await removeTree(dir);
});

/** A prepared host root holding the uploaded archive, locked by `run`. */
async function lockedRoot(name: string, run: string): Promise<string> {
  const root = path.join(dir, name);
  expect((await sh(SCRIPTS.prepare, [root])).code).toBe(0);
  const copy = await sh('cp -- "$1" "$2"', [
    path.join(dir, 'pkg.tar.gz'),
    path.join(root, '.slipway', 'incoming', `${sha}.tar.gz`),
  ]);
  expect(copy.code, copy.stderr).toBe(0);
  const lock = await sh(SCRIPTS.lock, [root, owner(run)]);
  expect(lock.stdout.trim()).toBe('acquired');
  return root;
}

/** Starts the install of release `id` for `run`, held at its rename; resolves once it is held there. */
async function heldInstall(root: string, id: string, run: string): Promise<{ done: Promise<Ran> }> {
  writeFileSync(path.join(dir, 'hold'), '');
  const install = sh(SCRIPTS.install, [root, id, sha, run], path.join(dir, 'bin'));
  await waitFor('the install held at its rename', () => existsSync(path.join(dir, 'held')), { timeoutMs: 60_000 });
  return { done: install };
}

const rmf = (f: string) => sh('rm -f -- "$1"', [path.join(dir, f)]);

describe('the install publishes only while its run holds the lock: the check and the rename are one step', () => {
  it('held at the rename with the lock still its own: it publishes', async () => {
    const root = await lockedRoot('own', 'R1');
    const install = await heldInstall(root, 'r1', 'R1');
    await rmf('hold');
    const r = await install.done;
    await rmf('held');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split('\n').pop()).toBe('2');
    expect(readdirSync(path.join(root, 'releases'))).toEqual(['r1']);
    expect(readdirSync(path.join(root, '.slipway', 'lock.d'))).toEqual(['owner.json']);
  }, 120_000);

  it('the lock given back while the rename is held: nothing is published', async () => {
    const root = await lockedRoot('unlocked', 'R1');
    const install = await heldInstall(root, 'r2', 'R1');
    const unlock = await sh(SCRIPTS.unlock, [root, 'R1']);
    expect(unlock.code, unlock.stderr).toBe(0);
    expect(existsSync(path.join(root, '.slipway', 'lock.d'))).toBe(false);
    await rmf('hold');
    const r = await install.done;
    await rmf('held');
    expect(r.code, r.stderr).toBe(10);
    expect(r.stderr).toContain('no longer holds the host');
    expect(readdirSync(path.join(root, 'releases'))).toEqual([]);
    expect(readdirSync(path.join(root, '.slipway')).sort()).toEqual(['incoming', 'logs']);
  }, 120_000);

  it('the lock given back and taken by another run while the rename is held: nothing is published', async () => {
    const root = await lockedRoot('taken', 'R1');
    const install = await heldInstall(root, 'r3', 'R1');
    expect((await sh(SCRIPTS.unlock, [root, 'R1'])).code).toBe(0);
    expect((await sh(SCRIPTS.lock, [root, owner('R2')])).stdout.trim()).toBe('acquired');
    await rmf('hold');
    const r = await install.done;
    await rmf('held');
    expect(r.code, r.stderr).toBe(10);
    expect(readdirSync(path.join(root, 'releases'))).toEqual([]);
    // R2's lock is untouched: its owner file, nothing of R1's install in it.
    expect(readdirSync(path.join(root, '.slipway', 'lock.d'))).toEqual(['owner.json']);
    const held = await sh(SCRIPTS.lockState, [root]);
    expect(held.stdout).toContain('"run":"R2"');
  }, 120_000);
});
