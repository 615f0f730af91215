// Commands as channels the controller opens on the host's master itself (mux proxy mode, mux-channel.ts), against a
// real sshd. Which path a command took is read from the master itself: these tests start it with ControlMaster=autoask
// and an askpass program that logs every question the master asks (one "Allow multiplex proxy connection?" per proxy
// channel, one "Allow shared connection" per ssh mux client) and answers yes (or no to proxy mode, for the fallback).
import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayError } from '../../../src/errors.js';
import { sha256Hex } from '../../../src/fileset/hash.js';
import {
  controlSocket,
  makeControlDir,
  removeControlDir,
  SshSession,
  sshOptions,
  type SshSettings,
} from '../../../src/fleet/ssh.js';
import { muxAlive, muxMasterPid } from '../../../src/fleet/ssh-mux.js';
import { failureOf } from '../../helpers/failure.js';
import { startSshFleet, type SshFleetFixture } from '../../helpers/sshd.js';
import { waitFor } from '../../helpers/wait.js';

let fleet: SshFleetFixture;
let work: string;
let settings: SshSettings;
const opened: SshSession[] = [];
const dirs: string[] = [];

beforeAll(async () => {
  fleet = await startSshFleet(1);
  work = await mkdtemp(path.join(tmpdir(), 'slipway-sshpx-'));
  settings = { knownHosts: fleet.knownHosts, identityFile: fleet.clientKey, connectTimeoutMs: 10_000 };
}, 60_000);

afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  for (const d of dirs) await removeControlDir(d);
  await rm(work, { recursive: true, force: true });
  await fleet?.stop();
});

/**
 * A session whose master was started by the test with ControlMaster=autoask; `questions()` reads what the master
 * asked so far.
 */
async function askingSession(name: string, proxyAnswer: 'yes' | 'no') {
  const dir = await makeControlDir();
  dirs.push(dir);
  const endpoint = { host: '127.0.0.1', port: fleet.hosts[0]!.port, user: fleet.user };
  const socket = controlSocket(dir, endpoint);
  const asked = path.join(work, `${name}.asked`);
  const askpass = path.join(work, `${name}.askpass`);
  await writeFile(
    askpass,
    `#!/bin/sh\nprintf '%s\\n' "$1" >> '${asked}'\ncase "$1" in *proxy*) echo ${proxyAnswer};; *) echo yes;; esac\n`,
  );
  await chmod(askpass, 0o755);
  // ssh takes the first value of an option: ControlMaster=autoask before sshOptions' ControlMaster=auto.
  const master = spawn(
    'ssh',
    [
      '-o',
      'ControlMaster=autoask',
      ...sshOptions(settings, socket),
      '-p',
      String(endpoint.port),
      '-l',
      fleet.user,
      '-N',
      '--',
      '127.0.0.1',
    ],
    {
      stdio: 'ignore',
      env: { ...process.env, SSH_ASKPASS: askpass, SSH_ASKPASS_REQUIRE: 'force', DISPLAY: ':0' },
    },
  );
  await waitFor('the master', async () => (await muxAlive(socket)) || undefined, { timeoutMs: 30_000 });
  master.unref();
  const s = new SshSession(endpoint, settings, dir, path.join(work, `${name}.log`));
  opened.push(s);
  const questions = async () => (await readFile(asked, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  return { s, socket, questions };
}

const PROXY = 'Allow multiplex proxy connection?';
const SHARED = /^Allow shared connection/;

describe('remote commands as channels on the master (mux proxy mode)', () => {
  it('exit status, stdout and stderr come back as the command left them; no ssh client is started for it', async () => {
    const { s, questions } = await askingSession('status', 'yes');
    const r = await s.run(['sh', '-c', 'echo out; echo err >&2; exit 7'], { timeoutMs: 20_000 });
    expect(r).toMatchObject({ code: 7, stderr: 'err\n', timedOut: false });
    expect(r.stdout.toString()).toBe('out\n');
    expect(r.connectionLost).toBeUndefined();
    expect(() => s.check(r, 'exit 7')).toThrow(/exit 7 failed \(exit 7\)/);
    const ok = s.check(await s.run(['printf', '%s', 'a b'], { timeoutMs: 20_000 }), 'printf');
    expect(ok.stdout.toString()).toBe('a b');
    // A command ended by a signal has no status: 255, as ssh reports it, with the signal named.
    const killed = await s.run(['sh', '-c', 'kill -KILL $$'], { timeoutMs: 20_000 });
    expect(killed.code).toBe(255);
    expect(killed.stderr).toMatch(/signal KILL/);
    expect(await questions()).toEqual([PROXY, PROXY, PROXY]);
  });

  it("streams a large stdin in the host's window and takes a large stdout back, byte for byte", async () => {
    const { s, questions } = await askingSession('stdin', 'yes');
    // 9 MB: over four of the host's 2 MiB windows one way and four of ours the other.
    const bytes = Buffer.alloc(9_000_000);
    for (let i = 0; i < bytes.length; i += 4) bytes.writeUInt32LE((i * 2654435761) >>> 0, i);
    const file = path.join(work, 'big.bin');
    await writeFile(file, bytes);
    const back = s.check(await s.run(['cat'], { timeoutMs: 60_000, stdinFile: { file, offset: 1000 } }), 'cat', 60_000);
    expect(back.stdout.length).toBe(bytes.length - 1000);
    expect(sha256Hex(back.stdout)).toBe(sha256Hex(bytes.subarray(1000)));
    const sum = s.check(
      await s.run(['sha256sum'], { timeoutMs: 60_000, stdinFile: { file, offset: 0 } }),
      'sha256sum',
      60_000,
    );
    expect(sum.stdout.toString().split(' ')[0]).toBe(sha256Hex(bytes));
    expect(await questions()).toEqual([PROXY, PROXY]);
  });

  it("a command that runs past its timeout: its channel is closed, the result says so, and the host's master is ended", async () => {
    const { s, socket, questions } = await askingSession('timeout', 'yes');
    const t0 = Date.now();
    const r = await s.run(['sleep', '30'], { timeoutMs: 1500 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(() => s.check(r, 'sleep', 1500)).toThrow(/timed out after 1500 ms/);
    // One channel, then the master asked to end (endMaster: a timeout says nothing of the connection).
    const q = await questions();
    expect(q[0]).toBe(PROXY);
    expect(q.slice(1)).toEqual([expect.stringMatching(/^Terminate shared connection/)]);
    expect(await muxAlive(socket)).toBe(false);
    // The next command opens a connection of its own (ControlMaster=auto) and runs.
    expect(s.check(await s.run(['echo', 'again'], { timeoutMs: 20_000 }), 'echo').stdout.toString()).toBe('again\n');
  });

  it('a master that dies under a running command: E_SSH, the connection was cut, what it did is not known', async () => {
    const { s, socket, questions } = await askingSession('lost', 'yes');
    const marker = path.join(fleet.hosts[0]!.root, 'lost-master');
    await mkdir(path.dirname(marker), { recursive: true });
    const running = s.run(['sh', '-c', `echo started > '${marker}'; exec sleep 30`], { timeoutMs: 60_000 });
    await waitFor('the remote command', async () => (await readFile(marker, 'utf8').catch(() => '')) || undefined, {
      timeoutMs: 30_000,
    });
    const pid = await muxMasterPid(socket);
    expect(pid).not.toBeNull();
    process.kill(pid!, 'SIGKILL');
    const r = await running;
    expect(await questions()).toEqual([PROXY]);
    expect(r.connectionLost).toBe(true);
    expect(r.timedOut).toBe(false);
    const err = await failureOf(Promise.resolve().then(() => s.check(r, 'run the command')));
    expect(err).toBeInstanceOf(SlipwayError);
    expect(err).toMatchObject({ code: 'E_SSH', hint: expect.stringMatching(/may have stopped part-way or finished/) });
    expect(err.message).toContain('the connection was cut');
  });

  it('a master that declines proxy mode: the command runs through an ssh client, and so does every later one', async () => {
    const { s, questions } = await askingSession('declined', 'no');
    expect(s.check(await s.run(['echo', 'one'], { timeoutMs: 20_000 }), 'echo').stdout.toString()).toBe('one\n');
    const r = await s.run(['sh', '-c', 'echo two; exit 3'], { timeoutMs: 20_000 });
    expect(r.code).toBe(3);
    expect(r.stdout.toString()).toBe('two\n');
    const q = await questions();
    expect(q[0]).toBe(PROXY); // asked once, declined, not asked again
    expect(q.slice(1)).toHaveLength(2);
    for (const x of q.slice(1)) expect(x).toMatch(SHARED);
  });
});
