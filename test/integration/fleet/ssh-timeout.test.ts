// Timeouts of remote commands against a real sshd, with real stalls: the sshd processes serving the controller's
// connection get SIGSTOP (the listener keeps running, as a host whose session hangs while it still accepts new
// connections).
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  controlSocket,
  makeControlDir,
  removeControlDir,
  SshSession,
  type SshSettings,
} from '../../../src/fleet/ssh.js';
import { muxAlive } from '../../../src/fleet/ssh-mux.js';
import { startSshFleet, type SshFleetFixture } from '../../helpers/sshd.js';

let fleet: SshFleetFixture;
let control: string;
let work: string;
let settings: SshSettings;
const opened: SshSession[] = [];
const stopped: number[] = [];

beforeAll(async () => {
  fleet = await startSshFleet(1);
  control = await makeControlDir();
  work = await mkdtemp(path.join(tmpdir(), 'slipway-sshto-'));
  settings = { knownHosts: fleet.knownHosts, identityFile: fleet.clientKey, connectTimeoutMs: 10_000 };
}, 60_000);

afterAll(async () => {
  for (const pid of stopped)
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  await Promise.all(opened.map((s) => s.close()));
  await removeControlDir(control);
  await rm(work, { recursive: true, force: true });
  await fleet?.stop();
});

describe('remote command timeouts', () => {
  it("a command that times out on a stalled connection ends the host's master: the next command runs at once over a fresh connection", async () => {
    const h = fleet.hosts[0]!;
    const endpoint = { host: '127.0.0.1', port: h.port, user: fleet.user };
    const s = new SshSession(endpoint, settings, control, path.join(work, 'stall.log'));
    opened.push(s);
    const socket = controlSocket(control, endpoint);
    s.check(await s.run(['true'], { timeoutMs: 30_000 }), 'true');
    expect(await muxAlive(socket)).toBe(true);
    const pids = h.sessionPids();
    expect(pids.length, 'no sshd session of the host was found to stop').toBeGreaterThan(0);
    for (const pid of pids) process.kill(pid, 'SIGSTOP');
    stopped.push(...pids);
    const hung = await s.run(['echo', 'never answered'], { timeoutMs: 3000 });
    expect(hung.timedOut).toBe(true);
    // The stalled master is gone when the timed-out command returns (it kept the connection for ~45 s, until
    // ServerAliveInterval x ServerAliveCountMax gave up on it, and every command meanwhile waited on it).
    expect(await muxAlive(socket)).toBe(false);
    // The next command gets a connection of its own, well within a timeout shorter than ssh's 45 s.
    const next = await s.run(['echo', 'answered'], { timeoutMs: 30_000 });
    expect(next).toMatchObject({ code: 0, timedOut: false });
    expect(next.stdout.toString()).toBe('answered\n');
    // The stopped sessions are still stopped: the answer came over another connection.
    for (const pid of stopped) expect(processState(pid)).toBe('T');
  }, 120_000);
});

/** A process's state letter from /proc (T: stopped). */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
}
