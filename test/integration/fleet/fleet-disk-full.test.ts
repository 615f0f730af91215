// A host whose root is a tiny tmpfs (mounted by the test; it fails, never skips, where mounting is not permitted)
// that is full when the next deploy takes the host's lock, over real sshd and a real database. The lock's
// directory was made but its owner file could not be written: the run failed, and the owner-less lock.d stayed, so
// every later deploy was refused ("locked by an unreadable owner", with a hint that the holder ran on another
// machine) and `slipway recover` saw nothing to do: a manual step. Now the lock is not taken, the message says why,
// nothing changed anywhere, and once there is space the next deploy completes with no manual step.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { queryRows } from '../../helpers/pg.js';
import { CS1, CS2, startFleetProject, type FleetProject } from './fleet-project.js';

let p: FleetProject;
let root2 = '';
let mounted = false;

beforeAll(async () => {
  p = await startFleetProject(2, 'slipway_fleet_disk_full');
  root2 = p.fleet.hosts[1]!.root;
  const port = await readFile(path.join(root2, 'port'), 'utf8');
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', root2]);
  mounted = true;
  await writeFile(path.join(root2, 'port'), port);
}, 400_000);

afterAll(async () => {
  if (mounted) {
    // Host 2's app and its pid file live on the tmpfs: end the app, then unmount, before the project is removed.
    const pid = Number(await readFile(path.join(root2, 'app.pid'), 'utf8').catch(() => '0'));
    if (pid > 0) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        /* gone */
      }
    }
    execFileSync('umount', ['-l', root2]);
  }
  await p?.stop();
});

const lockDir = (root: string) => path.join(root, '.slipway', 'lock.d');
const changelog = async () =>
  (await queryRows(p.db.url, 'SELECT id FROM databasechangelog ORDER BY 1')).map((r) => r.id);

describe('fleet: a host whose disk is full when the lock is taken', { timeout: 600_000 }, () => {
  it('the lock is not left behind; nothing changes; the next deploy completes once there is space', async () => {
    await p.config({ rollout: '{ batch: 1, canary: 0 }' });
    const v1 = await p.cli('deploy', (await p.fleetPackage('1.0.0', [CS1])).path, '--target', 'fleet');
    expect(v1.code, v1.stderr).toBe(0);
    const on1 = await p.currentOf(root2);
    // Fill host 2's filesystem: the next file written there (the lock's owner file) gets ENOSPC.
    execFileSync('sh', ['-c', `dd if=/dev/zero of=${root2}/fill bs=4k 2>/dev/null; true`]);
    const pkg2 = await p.fleetPackage('2.0.0', [CS1, CS2]);
    const r = await p.cli('deploy', pkg2.path, '--target', 'fleet');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `cannot write ${lockDir(root2)}/owner.json (a full or read-only disk?): the lock was not taken`,
    );
    expect(existsSync(lockDir(root2))).toBe(false);
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).toBe(on1);
      expect(await p.healthVersion(i)).toBe('1.0.0');
      expect(existsSync(lockDir(h.root))).toBe(false);
    }
    expect(await changelog()).toEqual(['1']);
    await rm(path.join(root2, 'fill'));
    const next = await p.cli('deploy', pkg2.path, '--target', 'fleet');
    expect(next.code, next.stderr).toBe(0);
    for (const [i, h] of p.fleet.hosts.entries()) {
      expect(await p.currentOf(h.root)).not.toBe(on1);
      expect(await p.healthVersion(i)).toBe('2.0.0');
      expect(existsSync(lockDir(h.root))).toBe(false);
    }
    expect(await changelog()).toEqual(['1', '2']);
  });
});
