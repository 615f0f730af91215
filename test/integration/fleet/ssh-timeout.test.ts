// Timeouts of remote commands against a real sshd, with real stalls: the sshd processes serving the controller's
// connection get SIGSTOP (the listener keeps running, as a host whose session hangs while it still accepts new
// connections).
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
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
import { boundedArgv, boundedCommandLine } from '../../../src/fleet/remote-scripts.js';
import { descendants, startSshFleet, type SshFleetFixture } from '../../helpers/sshd.js';
import { waitFor } from '../../helpers/wait.js';
import { closeMasters } from './fleet-project.js';

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

  it('a command whose controller died is ended on the host at its bound (timeout -k), not left to run to its end', async () => {
    const h = fleet.hosts[0]!;
    // The controller: a process of its own (its own process group, its own TMPDIR for the control socket) that runs
    // `sleep 291` on the host with a local timeout of 8 s, killed (SIGKILL, the whole group: node and its ssh client)
    // once the command runs there.
    const tmp = await mkdtemp('/tmp/sw-');
    const src = path.resolve(import.meta.dirname, '../../../src/fleet/ssh.ts');
    const code = `import { SshSession, makeControlDir } from ${JSON.stringify(src)};
const s = new SshSession({ host: '127.0.0.1', port: ${h.port}, user: ${JSON.stringify(fleet.user)} },
  ${JSON.stringify(settings)}, await makeControlDir(), ${JSON.stringify(path.join(work, 'dead.log'))});
await s.run(['sleep', '291'], { timeoutMs: 8000 });`;
    const controller = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, TMPDIR: tmp },
    });
    try {
      const remote = () => descendants(h.proc.pid!).filter((x) => x.comm === 'sleep' && cmdline(x.pid) === 'sleep 291');
      const [sleeping] = await waitFor('sleep 291 running on the host', () => remote().length > 0 && remote(), {
        timeoutMs: 60_000,
      });
      process.kill(-controller.pid!, 'SIGKILL');
      await waitFor('the controller to be gone', () => controller.exitCode !== null || controller.signalCode !== null);
      // The host ends it at 8 s + REMOTE_GRACE_S (TERM, then KILL 5 s later); without a bound it ran 291 s.
      await waitFor('the host to end sleep 291', () => !remote().some((x) => x.pid === sleeping!.pid), {
        timeoutMs: 60_000,
      });
    } finally {
      try {
        process.kill(-controller.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
      closeMasters(tmp);
      await rm(tmp, { recursive: true, force: true });
    }
  }, 150_000);

  it("a host without timeout(1): the sh fallback ends the command's whole process group at the bound; a command that ends first keeps its status and stdin, and leaves no watchdog behind", async () => {
    // A PATH with sh, sleep and cat only (no timeout), and a process group of its own per run, as sshd gives each
    // session's command (setsid).
    const bin = path.join(work, 'no-timeout-bin');
    await mkdir(bin);
    for (const t of ['sh', 'sleep', 'cat']) {
      const abs = spawnSync('sh', ['-c', `command -v ${t}`])
        .stdout.toString()
        .trim();
      await symlink(abs, path.join(bin, t));
    }
    const run = (seconds: number, argv: string[], input = '') =>
      new Promise<{ code: number | null; out: string; sid: number; ms: number }>((resolve) => {
        const [file, ...args] = boundedArgv(seconds, argv);
        const t0 = Date.now();
        const c = spawn(file!, args, { detached: true, env: { PATH: bin }, stdio: ['pipe', 'pipe', 'inherit'] });
        let out = '';
        c.stdout.on('data', (b: Buffer) => (out += b.toString()));
        c.stdin.end(input);
        c.on('close', (code) => resolve({ code, out, sid: c.pid!, ms: Date.now() - t0 }));
      });
    const inSession = (sid: number) => processesOfSession(sid);
    // Over its bound: the command and what it started in the background are ended.
    const over = await run(2, ['sh', '-c', 'sleep 292 & sleep 293; echo not reached']);
    expect(over.out).toBe('');
    await waitFor('nothing of the bounded command to remain', () => inSession(over.sid).length === 0, {
      timeoutMs: 60_000,
    });
    // Within its bound: its own exit status and stdin, and the watchdog (and its sleep 37) go with it.
    const first = await run(37, ['sh', '-c', 'cat; exit 7'], 'bytes on stdin\n');
    expect(first).toMatchObject({ code: 7, out: 'bytes on stdin\n' });
    await waitFor('the watchdog to be gone', () => inSession(first.sid).length === 0, { timeoutMs: 30_000 });
    expect(first.ms).toBeLessThan(37_000);
  }, 150_000);

  it('the bound reaches the command’s process group only: a child that made itself a session (setsid, as a daemon does) outlives it, with timeout(1) and with the sh fallback', async () => {
    const bin = path.join(work, 'no-timeout-setsid-bin');
    await mkdir(bin);
    const which = (t: string) =>
      spawnSync('sh', ['-c', `command -v ${t}`])
        .stdout.toString()
        .trim();
    for (const t of ['sh', 'sleep', 'setsid']) await symlink(which(t), path.join(bin, t));
    const withTimeout = path.dirname(which('timeout'));
    for (const [how, PATH, tag] of [
      ['sh fallback', bin, 296],
      ['timeout -k', `${withTimeout}:${path.dirname(which('setsid'))}:${path.dirname(which('sleep'))}`, 297],
    ] as const) {
      // `sleep TAG1` in the background (the command's group) and `setsid sleep TAG2` (a session of its own); the
      // command itself overruns its bound of 2 s.
      const [file, ...args] = boundedArgv(2, ['sh', '-c', `sleep ${tag}1 & setsid sleep ${tag}2 & sleep ${tag}3`]);
      const c = spawn(file!, args, { detached: true, env: { PATH }, stdio: 'ignore' });
      await new Promise((r) => c.on('close', r));
      const alive = (arg: string) => pidsWithArgv(['sleep', arg]);
      await waitFor(
        `${how}: the command and its group's child to end`,
        () => !alive(`${tag}1`).length && !alive(`${tag}3`).length,
        {
          timeoutMs: 60_000,
        },
      );
      const escaped = alive(`${tag}2`);
      expect(escaped, how).toHaveLength(1);
      process.kill(escaped[0]!, 'SIGKILL');
    }
  }, 150_000);

  it('the command line ssh sends: the login shell execs timeout itself (one sh per command, not two), and without timeout(1) it falls back to the bounding sh; status, stdout and stdin pass through either way', async () => {
    // A PATH whose `sh` logs each start (then runs the real one) and, in one of the two, no timeout; the login shell
    // is run by its absolute path, as sshd does (bash and dash: the line is read alike by both).
    const real = (t: string) =>
      spawnSync('sh', ['-c', `command -v ${t}`])
        .stdout.toString()
        .trim();
    const log = path.join(work, 'sh-starts.log');
    const binWith = path.join(work, 'bin-with-timeout');
    const binWithout = path.join(work, 'bin-without-timeout');
    for (const bin of [binWith, binWithout]) {
      await mkdir(bin);
      await writeFile(
        path.join(bin, 'sh'),
        `#!${real('sh')}\necho sh >> ${JSON.stringify(log)}\nexec ${real('sh')} "$@"\n`,
      );
      await chmod(path.join(bin, 'sh'), 0o755);
      for (const t of ['cat', 'sleep']) await symlink(real(t), path.join(bin, t));
    }
    await symlink(real('timeout'), path.join(binWith, 'timeout'));
    const run = (shell: string, bin: string, seconds: number, argv: string[], input = '') =>
      new Promise<{ code: number | null; out: string; shs: number; ms: number }>((resolve) => {
        const t0 = Date.now();
        const c = spawn(shell, ['-c', boundedCommandLine(seconds, argv)], {
          detached: true,
          env: { PATH: bin },
          stdio: ['pipe', 'pipe', 'ignore'], // bash reads ~/.bashrc when stdin is a socket (Node's pipes are)
        });
        let out = '';
        c.stdout.on('data', (b: Buffer) => (out += b.toString()));
        c.stdin.end(input);
        c.on('close', async (code) => {
          const shs = (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
          await rm(log, { force: true });
          resolve({ code, out, shs, ms: Date.now() - t0 });
        });
      });
    for (const shell of ['/bin/bash', real('sh')]) {
      // With timeout: the command's own sh is the only one (sh -c BOUND made it two).
      expect(await run(shell, binWith, 30, ['sh', '-c', 'cat; exit 7'], 'in\n')).toMatchObject({
        code: 7,
        out: 'in\n',
        shs: 1,
      });
      // Without: BOUND's sh, then the command's.
      expect(await run(shell, binWithout, 30, ['sh', '-c', 'cat; exit 7'], 'in\n')).toMatchObject({
        code: 7,
        out: 'in\n',
        shs: 2,
      });
      // Over the bound, both ways: ended (timeout's 124; the fallback's TERM of the process group), not run on.
      for (const bin of [binWith, binWithout]) {
        const over = await run(shell, bin, 1, ['sh', '-c', 'sleep 294; echo not reached']);
        expect(over.out).toBe('');
        expect(over.ms).toBeLessThan(60_000);
      }
    }
  }, 150_000);
});

/** Pids of the processes whose argv is exactly `argv`. */
function pidsWithArgv(argv: string[]): number[] {
  const want = argv.join('\0');
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return readFileSync(`/proc/${d}/cmdline`, 'utf8').replace(/\0$/, '') === want;
      } catch {
        return false;
      }
    })
    .map(Number);
}

/** A process's argv joined by spaces ('' when it is gone). */
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch {
    return '';
  }
}

/** Pids of the processes in session `sid`, from /proc. */
function processesOfSession(sid: number): number[] {
  const out: number[] = [];
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x)))
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[4]) === sid) out.push(Number(d));
    } catch {
      /* gone meanwhile */
    }
  return out;
}

/** A process's state letter from /proc (T: stopped). */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0]!;
}
