import childProcess, { execFileSync, spawnSync } from 'node:child_process';
import { syncBuiltinESMExports } from 'node:module';
import { mkdir, mkdtemp, readFile, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlipwayError } from '../../../src/errors.js';
import {
  controlSocket,
  makeControlDir,
  removeControlDir,
  SshSession,
  type SshSettings,
} from '../../../src/fleet/ssh.js';
import { muxAlive, muxTerminate } from '../../../src/fleet/ssh-mux.js';
import { uploadFile } from '../../../src/fleet/upload.js';
import { SshTarget } from '../../../src/fleet/ssh-target.js';
import { DEFAULT_LIMITS } from '../../../src/deploy/archive-rules.js';
import { makeFixturePackage } from '../../fixtures/deploy/make-package.js';
import { sha256Hex } from '../../../src/fileset/hash.js';
import { reservedPort } from '../../helpers/ports.js';
import { startSshFleet, type SshFleetFixture } from '../../helpers/sshd.js';
import { waitFor } from '../../helpers/wait.js';
import { HOSTILE } from '../../fixtures/fleet/hostile.js';

let fleet: SshFleetFixture;
let control: string;
let work: string;
let settings: SshSettings;

beforeAll(async () => {
  fleet = await startSshFleet(1);
  control = await makeControlDir();
  work = await mkdtemp(path.join(tmpdir(), 'slipway-sshx-'));
  settings = { knownHosts: fleet.knownHosts, identityFile: fleet.clientKey, connectTimeoutMs: 10_000 };
}, 60_000);

const opened: SshSession[] = [];

afterAll(async () => {
  // End the ControlPersist masters, so no ssh client (or its sshd session) outlives the test.
  await Promise.all(opened.map((s) => s.close()));
  await removeControlDir(control);
  await rm(work, { recursive: true, force: true });
  await fleet?.stop();
});

const session = (port: number, s: SshSettings = settings, opts: { proxy?: boolean } = {}) => {
  const x = new SshSession(
    { host: '127.0.0.1', port, user: fleet.user },
    s,
    control,
    path.join(work, `ssh-${port}.log`),
    opts,
  );
  opened.push(x);
  return x;
};

describe('ssh transport against a real sshd', () => {
  it('passes hostile arguments to the remote program byte for byte', async () => {
    const s = session(fleet.hosts[0]!.port);
    const r = s.check(await s.run(['printf', '%s\\0', ...HOSTILE], { timeoutMs: 20_000 }), 'printf');
    expect(r.stdout.toString('utf8').split('\0').slice(0, -1)).toEqual(HOSTILE);
    // Nothing the hostile strings name was run: the marker file does not exist on the (same) machine.
    await expect(readFile('/tmp/slipway-pwned')).rejects.toThrow();
    expect(await readFile(s.logFile, 'utf8')).toMatch(/exit 0/);
  });

  it('refuses a host whose key is not the pinned one', async () => {
    const wrong = await fleet.writeWrongKnownHosts(0);
    const s = new SshSession(
      { host: '127.0.0.1', port: fleet.hosts[0]!.port, user: fleet.user },
      { ...settings, knownHosts: wrong },
      await makeControlDir(),
      path.join(work, 'wrong.log'),
    );
    const r = await s.run(['true'], { timeoutMs: 20_000 });
    expect(r.code).toBe(255);
    const e = (() => {
      try {
        s.check(r, 'connect');
      } catch (x) {
        return x as SlipwayError;
      }
      throw new Error('not refused');
    })();
    expect(e.code).toBe('E_SSH');
    expect(e.message).toMatch(/host key is not the one pinned in knownHosts/);
  });

  it('refuses a host that is not in knownHosts at all (never accepted on first use)', async () => {
    const empty = path.join(work, 'empty_known_hosts');
    await writeFile(empty, '');
    const s = new SshSession(
      { host: '127.0.0.1', port: fleet.hosts[0]!.port, user: fleet.user },
      { ...settings, knownHosts: empty },
      await makeControlDir(),
      path.join(work, 'empty.log'),
    );
    const r = await s.run(['true'], { timeoutMs: 20_000 });
    expect(() => s.check(r, 'connect')).toThrow(/host key/);
    expect(await readFile(empty, 'utf8')).toBe(''); // nothing learned
  });

  it('names an unreachable host as E_SSH', async () => {
    const s = session(await reservedPort());
    const r = await s.run(['true'], { timeoutMs: 20_000 });
    expect(() => s.check(r, 'connect')).toThrow(/connection refused/);
  });

  it('passes kexAlgorithms to ssh: one the host offers connects, one it does not is refused', async () => {
    const ok = new SshSession(
      { host: '127.0.0.1', port: fleet.hosts[0]!.port, user: fleet.user },
      { ...settings, kexAlgorithms: 'curve25519-sha256' },
      await makeControlDir(),
      path.join(work, 'kex-ok.log'),
    );
    opened.push(ok);
    expect(ok.check(await ok.run(['echo', 'hi'], { timeoutMs: 20_000 }), 'echo').stdout.toString()).toBe('hi\n');
    // OpenSSH's sshd has offered no diffie-hellman-group1-sha1 since 7.0; without the option the connection succeeds.
    const refused = new SshSession(
      { host: '127.0.0.1', port: fleet.hosts[0]!.port, user: fleet.user },
      { ...settings, kexAlgorithms: 'diffie-hellman-group1-sha1' },
      await makeControlDir(),
      path.join(work, 'kex-refused.log'),
    );
    const r = await refused.run(['true'], { timeoutMs: 20_000 });
    expect(r.code).toBe(255);
    // At LogLevel=ERROR ssh says nothing about the failed negotiation: the master never came up.
    expect(() => refused.check(r, 'connect')).toThrow(/cannot connect: /);
  });

  it('enforces the timeout locally', async () => {
    const s = session(fleet.hosts[0]!.port);
    const r = await s.run(['sleep', '30'], { timeoutMs: 1500 });
    expect(r.timedOut).toBe(true);
    expect(() => s.check(r, 'sleep', 1500)).toThrow(/timed out after 1500 ms/);
  });

  it("starts every ssh client off the controller's main thread (Node's spawn blocks its thread until the child exec'd)", async () => {
    // Any spawn on this (the main) thread is counted; the worker threads load their own child_process module.
    const calls: string[] = [];
    const real = childProcess.spawn;
    childProcess.spawn = ((...a: Parameters<typeof real>) => {
      calls.push(String(a[0]));
      return real(...a);
    }) as typeof real;
    syncBuiltinESMExports();
    try {
      // Commands through ssh clients too, as when the master declines proxy mode.
      const s = session(fleet.hosts[0]!.port, settings, { proxy: false });
      s.connect(20_000);
      expect(s.check(await s.run(['echo', 'hi'], { timeoutMs: 20_000 }), 'echo').stdout.toString()).toBe('hi\n');
      const slow = await s.run(['sleep', '30'], { timeoutMs: 1500 });
      expect(slow.timedOut).toBe(true);
    } finally {
      childProcess.spawn = real;
      syncBuiltinESMExports();
    }
    expect(calls).toEqual([]);
  });

  it('a launcher that dies under a running command: what it did is not known (E_SSH, "may have … finished"), never "failed"', async () => {
    // Commands through ssh clients, as when the master declines proxy mode: only they go through the launcher.
    const s = session(fleet.hosts[0]!.port, settings, { proxy: false });
    s.connect(20_000);
    s.check(await s.run(['true'], { timeoutMs: 20_000 }), 'warm up');
    const marker = path.join(fleet.hosts[0]!.root, 'lost-launcher');
    await mkdir(path.dirname(marker), { recursive: true });
    const running = s.run(['sh', '-c', `echo $PPID > '${marker}'; exec sleep 30`], { timeoutMs: 60_000 });
    // The remote sh is started: its ssh client (on this machine) is a child of the launcher.
    await waitFor(
      'the remote command',
      async () => (await readFile(marker, 'utf8').catch(() => '')).trim() || undefined,
      {
        timeoutMs: 30_000,
      },
    );
    const clients = execFileSync('pgrep', ['-f', `^ssh .*${marker}`], { encoding: 'utf8' })
      .trim()
      .split('\n');
    const launcher = Number((await readFile(`/proc/${clients[0]}/stat`, 'utf8')).split(') ')[1]!.split(' ')[1]);
    expect(launcher).not.toBe(process.pid);
    process.kill(launcher, 'SIGKILL');
    const r = await running;
    expect(r.connectionLost).toBe(true);
    let err: unknown;
    try {
      s.check(r, 'run the command');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).code).toBe('E_SSH');
    expect((err as SlipwayError).message).toContain('the connection was cut');
    expect((err as SlipwayError).hint).toMatch(/may have stopped part-way or finished/);
    for (const pid of clients) {
      try {
        process.kill(Number(pid), 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  });

  it("a remote command's own exit 255 is its status, not an ssh failure; an unreachable host still is", async () => {
    const s = session(fleet.hosts[0]!.port);
    const root = path.join(fleet.hosts[0]!.root, 'exec-255');
    await mkdir(root, { recursive: true });
    const t = new SshTarget(s, root, 30_000);
    const run = (command: string) => t.exec(command, { env: {}, timeoutMs: 20_000, log: 'exec-255.log' });
    expect(await run('echo about to fail; exit 255')).toMatchObject({
      code: 255,
      timedOut: false,
      tail: ['about to fail'],
    });
    expect(await run('exit 3')).toMatchObject({ code: 3, timedOut: false });
    // ssh's own 255 (nothing listens on the port) still throws E_SSH naming why.
    const down = new SshTarget(session(await reservedPort()), root, 30_000);
    const err = await down.exec('true', { env: {}, timeoutMs: 20_000, log: 'exec-255.log' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SlipwayError);
    expect((err as SlipwayError).code).toBe('E_SSH');
  });

  it("the controller speaks ssh's mux protocol to the master itself: alive check and exit, as `ssh -O check|exit` see them", async () => {
    const dir = await makeControlDir();
    const endpoint = { host: '127.0.0.1', port: fleet.hosts[0]!.port, user: fleet.user };
    const s = new SshSession(endpoint, settings, dir, path.join(work, 'mux.log'));
    const socket = controlSocket(dir, endpoint);
    /** What OpenSSH's own client says of the master on that socket. */
    const sshCheck = () =>
      spawnSync('ssh', ['-o', `ControlPath=${socket}`, '-O', 'check', 'x'], { stdio: 'ignore' }).status;
    expect(await muxAlive(socket)).toBe(false); // no socket yet
    expect(await muxTerminate(socket)).toBe(false);
    s.check(await s.run(['true'], { timeoutMs: 20_000 }), 'true');
    expect(sshCheck()).toBe(0);
    expect(await muxAlive(socket)).toBe(true);
    await s.close();
    await waitFor('the master to be gone', () => sshCheck() !== 0);
    expect(await muxAlive(socket)).toBe(false);
    await removeControlDir(dir);
  });

  it('uploads, skips a matching file, and resumes a cut upload', async () => {
    const s = session(fleet.hosts[0]!.port);
    const local = path.join(work, 'blob.bin');
    const bytes = Buffer.alloc(300_000, 7);
    bytes.write('slipway', 1000);
    await writeFile(local, bytes);
    const sum = sha256Hex(bytes);
    const remote = path.join(fleet.hosts[0]!.root, 'incoming', `${sum}.tar.gz`);
    const first = await uploadFile(s, local, remote, sum, 30_000);
    expect(first).toEqual({ skipped: false, bytes: bytes.length, resumedFrom: 0 });
    expect(sha256Hex(await readFile(remote))).toBe(sum);
    expect(await uploadFile(s, local, remote, sum, 30_000)).toEqual({ skipped: true, bytes: 0, resumedFrom: 0 });
    // A cut connection left the first 100 000 bytes in the part file: only the rest is sent.
    await rm(remote);
    await writeFile(`${remote}.part`, bytes.subarray(0, 100_000));
    const resumed = await uploadFile(s, local, remote, sum, 30_000);
    expect(resumed).toEqual({ skipped: false, bytes: 200_000, resumedFrom: 100_000 });
    expect(sha256Hex(await readFile(remote))).toBe(sum);
    // A part that is not a prefix of this file is discarded and the upload starts over.
    await rm(remote);
    await writeFile(`${remote}.part`, Buffer.alloc(5000, 1));
    expect(await uploadFile(s, local, remote, sum, 30_000)).toEqual({
      skipped: false,
      bytes: bytes.length,
      resumedFrom: 0,
    });
    expect(sha256Hex(await readFile(remote))).toBe(sum);
  });

  it("a deploy's open reads the archive's upload state and current's version-compatibility.json under the lock: the live version and the upload need no round trip of their own", async () => {
    const s = session(fleet.hosts[0]!.port);
    const root = path.join(fleet.hosts[0]!.root, 'open-probe');
    const live = '20260101T000000Z-aaaaaaaaaaaa';
    const compat = '{"version":"1.0.0"}\n';
    await mkdir(path.join(root, 'releases', live), { recursive: true });
    await writeFile(path.join(root, 'releases', live, 'version-compatibility.json'), compat);
    await symlink(`releases/${live}`, path.join(root, 'current'));
    const pkg = await makeFixturePackage({ version: '1.1.0', outDir: work });
    const bytes = await readFile(pkg.path);
    await mkdir(path.join(root, '.slipway', 'incoming'), { recursive: true });
    await writeFile(path.join(root, '.slipway', 'incoming', `${pkg.sha256}.tar.gz.part`), bytes.subarray(0, 100));
    const commands = async () => (await readFile(s.logFile, 'utf8')).split('\n').filter((l) => / \$ /.test(l)).length;

    const t = new SshTarget(s, root, 30_000);
    const o = await t.open({ run: 'probe-1', command: 'test' }, { sha256: pkg.sha256 });
    if (!o.acquired) throw new Error('the lock was not acquired');
    expect(o.state.current).toBe(live);
    expect(o.state.upload).toEqual({ sum: 'none', part: 100 });
    expect(o.state.currentCompat?.toString('utf8')).toBe(compat);
    const after = await commands();
    expect((await t.readReleaseFile(live, 'version-compatibility.json'))?.toString('utf8')).toBe(compat);
    const next = '20260101T000001Z-bbbbbbbbbbbb';
    await t.installRelease(pkg.path, next, { limits: DEFAULT_LIMITS, shared: [], sha256: pkg.sha256 });
    // One command for both: the upload (resumed from the part open saw) with the install; no state read.
    expect(await commands()).toBe(after + 1);
    expect(t.lastInstall).toMatchObject({ uploadSkipped: false, resumedFrom: 100, uploadedBytes: bytes.length - 100 });
    expect(sha256Hex(await readFile(path.join(root, '.slipway', 'incoming', `${pkg.sha256}.tar.gz`)))).toBe(pkg.sha256);
    // After a command the open's reads are stale: the file is read on the host again.
    expect((await t.readReleaseFile(live, 'version-compatibility.json'))?.toString('utf8')).toBe(compat);
    expect(await commands()).toBe(after + 2);
    await o.lock.release();

    // Another run's open without an archive reads neither (rollback, recover).
    const plain = new SshTarget(s, root, 30_000);
    const p = await plain.open({ run: 'probe-2', command: 'test' });
    if (!p.acquired) throw new Error('the lock was not acquired');
    expect(p.state.upload).toBeUndefined();
    expect(p.state.currentCompat).toBeUndefined();
    await p.lock.release();
  });

  it("the host's install checks the extracted tree itself: unsafe entries, links leaving it, SHA256SUMS (every line, every file); links count as files", async () => {
    const s = session(fleet.hosts[0]!.port);
    const root = path.join(fleet.hosts[0]!.root, 'install-checks');
    /** An archive built by hand (tar, not the packager: the controller's own check would refuse these). */
    const archive = async (name: string, make: (d: string) => Promise<void>, sums?: (d: string) => string) => {
      const d = path.join(work, `tree-${name}`);
      await mkdir(path.join(d, 'application'), { recursive: true });
      await writeFile(path.join(d, 'application', 'a.txt'), 'a\n');
      await make(d);
      const files = execFileSync('find', ['.', '-type', 'f', '-o', '-type', 'l'], { cwd: d, encoding: 'utf8' })
        .split('\n')
        .filter((f) => f && f !== './SHA256SUMS')
        .map((f) => f.slice(2))
        .sort();
      const listed = execFileSync('sha256sum', ['--', ...files], { cwd: d, encoding: 'utf8' });
      await writeFile(path.join(d, 'SHA256SUMS'), sums ? sums(listed) : listed);
      const file = path.join(work, `${name}.tar.gz`);
      execFileSync('tar', ['-czf', file, '-C', d, ...(await readdir(d))]);
      return { file, sha256: sha256Hex(await readFile(file)) };
    };
    await new SshTarget(s, root, 30_000).prepare();
    let n = 0;
    const install = async (a: { file: string; sha256: string }) => {
      const t = new SshTarget(s, root, 30_000);
      const id = `20260101T0000${String(n++).padStart(2, '0')}Z-cccccccccccc`;
      return t
        .installRelease(a.file, id, { limits: DEFAULT_LIMITS, shared: ['application/data'], sha256: a.sha256 })
        .then((r) => ({ ok: true as const, files: r.files, id }))
        .catch((e: SlipwayError) => ({ ok: false as const, message: [e.message, ...e.details].join('\n'), id }));
    };
    const staged = async () => (await readdir(path.join(root, 'releases'))).filter((x) => x.startsWith('.staging'));

    // A link inside the tree is counted (SHA256SUMS lists what it reads, through sha256sum -c).
    const good = await archive('good', async (d) => symlink('a.txt', path.join(d, 'application', 'link-in')));
    const ok = await install(good);
    expect(ok, JSON.stringify(ok)).toMatchObject({ ok: true, files: 2 }); // a.txt and link-in (the shared path's link is not the package's)
    const fifo = await archive('fifo', async (d) => {
      execFileSync('mkfifo', [path.join(d, 'application', 'pipe')]);
    });
    const r1 = await install(fifo);
    expect(r1.ok).toBe(false);
    expect(r1.ok || r1.message).toMatch(/unsafe entries after extraction: releases\/\.staging-\S+\/application\/pipe/);
    const out = await archive('out', async (d) => symlink('/etc/passwd', path.join(d, 'application', 'link-out')));
    const r2 = await install(out);
    expect(r2.ok || r2.message).toMatch(/unsafe entries after extraction: \S+\/application\/link-out -> \/etc\/passwd/);
    const unlisted = await archive(
      'unlisted',
      async (d) => writeFile(path.join(d, 'application', 'b.txt'), 'b\n'),
      (l) =>
        l
          .split('\n')
          .filter((x) => !x.endsWith('b.txt'))
          .join('\n'),
    );
    const r3 = await install(unlisted);
    expect(r3.ok || r3.message).toMatch(/2 files extracted but SHA256SUMS lists 1/);
    const wrong = await archive(
      'wrong',
      async () => undefined,
      (l) => l.replace(/^[0-9a-f]/, (c) => (c === '0' ? '1' : '0')),
    );
    const r4 = await install(wrong);
    expect(r4.ok || r4.message).toMatch(/SHA256SUMS does not match the extracted files/);
    // Nothing half-installed stays behind.
    expect(await staged()).toEqual([]);
    expect((await readdir(path.join(root, 'releases'))).sort()).toEqual([ok.id]);
  });
});
