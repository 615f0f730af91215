// Real OpenSSH servers for the fleet tests: each `sshd -D -p PORT -f CONFIG -h HOSTKEY` on 127.0.0.1 with its own
// host key, a client key authorised for the current user, and a known_hosts file pinning every host's key.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import path from 'node:path';
import { releasePort, reservedPort } from './ports.js';
import { waitFor } from './wait.js';

export const SSHD = ['/usr/sbin/sshd', '/usr/bin/sshd'].find((p) => existsSync(p)) ?? null;

export interface SshHostFixture {
  port: number;
  /** This host's root path (under the fixture dir). */
  root: string;
  hostKeyPub: string;
  proc: ChildProcess;
  stderr: () => string;
  /** Stops this host's sshd (SIGTERM; sessions already open stay, as on a real host whose daemon stops). */
  stop: () => Promise<void>;
  /** Starts it again on the same port with the same host key. */
  start: () => Promise<void>;
  /**
   * The sshd processes serving this host's open connections (its listener's descendants named sshd*: the
   * privilege-separation monitor and the session process of each connection), read from /proc now.
   */
  sessionPids: () => number[];
  /**
   * This host's sshd dies at once, as in a crash: SIGKILL to the listener and to every process serving an open
   * connection (sessionPids), synchronously — the clients' connections drop and new ones are refused. `start`
   * brings it back.
   */
  kill: () => void;
}

/** Every process whose parent chain reaches `root` (not `root` itself), with its command name: read from /proc. */
export function descendants(root: number): { pid: number; comm: string }[] {
  const parent = new Map<number, number>();
  const comm = new Map<number, string>();
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces and parentheses, so split after its last ')'.
      const close = stat.lastIndexOf(')');
      parent.set(Number(d), Number(stat.slice(close + 2).split(' ')[1]));
      comm.set(Number(d), stat.slice(stat.indexOf('(') + 1, close));
    } catch {
      /* gone meanwhile */
    }
  }
  const out: { pid: number; comm: string }[] = [];
  const walk = (p: number) => {
    for (const [c, pp] of parent)
      if (pp === p) {
        out.push({ pid: c, comm: comm.get(c) ?? '' });
        walk(c);
      }
  };
  walk(root);
  return out;
}

export interface SshFleetFixture {
  dir: string;
  user: string;
  clientKey: string;
  knownHosts: string;
  hosts: SshHostFixture[];
  /** A known_hosts file whose entry for host `i` is another key (a host-key mismatch). */
  writeWrongKnownHosts: (i: number) => Promise<string>;
  stop: () => Promise<void>;
}

const keygen = (file: string, comment: string) =>
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

async function startOne(
  dir: string,
  i: number,
  authorized: string,
  pathPrefix: string | undefined,
  maxSessions: number,
): Promise<SshHostFixture> {
  const hdir = path.join(dir, `host${i}`);
  await mkdir(hdir, { recursive: true });
  const hostKey = path.join(hdir, 'ssh_host_ed25519_key');
  keygen(hostKey, `host${i}`);
  const root = path.join(hdir, 'root');
  const home = path.join(hdir, 'home');
  await mkdir(home, { recursive: true });
  for (let attempt = 0; ; attempt++) {
    const port = await reservedPort();
    const config = path.join(hdir, 'sshd_config');
    await writeFile(
      config,
      [
        `ListenAddress 127.0.0.1`,
        `HostKey ${hostKey}`,
        `PidFile ${path.join(hdir, 'sshd.pid')}`,
        `AuthorizedKeysFile ${authorized}`,
        'PubkeyAuthentication yes',
        'PasswordAuthentication no',
        'KbdInteractiveAuthentication no',
        'PermitRootLogin prohibit-password',
        'StrictModes no',
        'UsePAM no',
        `MaxSessions ${maxSessions}`,
        'MaxStartups 64',
        'LogLevel ERROR',
        // The login shell must not read this machine's own ~/.bashrc (on the dev box it takes seconds): each host
        // gets an empty home of its own.
        // A test may put its own stand-ins for host commands first on the sessions' PATH (sshd's SetEnv overrides
        // the PATH it sets itself).
        `SetEnv HOME=${home}${pathPrefix ? ` PATH=${pathPrefix}:/usr/local/bin:/usr/bin:/bin` : ''}`,
        '',
      ].join('\n'),
    );
    const launch = async () => {
      let err = '';
      const proc = spawn(SSHD!, ['-D', '-e', '-p', String(port), '-f', config, '-h', hostKey], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      proc.stderr!.on('data', (b: Buffer) => (err += b.toString()));
      let exited = false;
      proc.once('exit', () => (exited = true));
      const up = await waitFor(
        `sshd on port ${port}`,
        async () => (exited ? 'exited' : (await accepts(port)) && 'up'),
        { timeoutMs: 30_000 },
      );
      return { up: up === 'up', proc, err: () => err };
    };
    const first = await launch();
    if (first.up) {
      const h: SshHostFixture = {
        port,
        root,
        hostKeyPub: (await readFile(`${hostKey}.pub`, 'utf8')).trim(),
        proc: first.proc,
        stderr: first.err,
        stop: async () => {
          if (h.proc.exitCode !== null || h.proc.signalCode !== null) return;
          const gone = new Promise((r) => h.proc.once('exit', r));
          h.proc.kill('SIGTERM');
          await gone;
        },
        sessionPids: () =>
          h.proc.pid === undefined
            ? []
            : descendants(h.proc.pid)
                .filter((x) => x.comm.startsWith('sshd'))
                .map((x) => x.pid),
        kill: () => {
          const sessions = h.sessionPids();
          if (h.proc.exitCode === null && h.proc.signalCode === null) h.proc.kill('SIGKILL');
          for (const pid of sessions)
            try {
              process.kill(pid, 'SIGKILL');
            } catch {
              /* gone meanwhile */
            }
        },
        start: async () => {
          const again = await launch();
          if (!again.up) throw new Error(`sshd did not start again on port ${port}: ${again.err()}`);
          h.proc = again.proc;
          h.stderr = again.err;
        },
      };
      return h;
    }
    const err = first.err();
    if (attempt >= 3) throw new Error(`sshd did not start: ${err}`);
  }
}

/** Starts `n` sshd servers; `stop()` ends them and removes everything. */
export interface SshFleetOptions {
  /** A directory put first on the PATH of host `i`'s sessions (1-based), for a test's stand-ins of host commands. */
  pathPrefix?: (i: number) => string | undefined;
  /** sshd's MaxSessions of host `i` (1-based); default 64. 0: the host accepts the connection, opens no session. */
  maxSessions?: (i: number) => number | undefined;
}

export async function startSshFleet(n: number, opts: SshFleetOptions = {}): Promise<SshFleetFixture> {
  if (!SSHD) throw new Error('sshd is not installed (apt-get install openssh-server)');
  // Debian's sshd refuses to start without its privilege separation directory.
  if (!existsSync('/run/sshd')) mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  const dir = await mkdtemp(path.join(tmpdir(), 'slipway-sshd-'));
  const clientKey = path.join(dir, 'client_key');
  keygen(clientKey, 'slipway-test-client');
  const authorized = path.join(dir, 'authorized_keys');
  await writeFile(authorized, await readFile(`${clientKey}.pub`), { mode: 0o600 });
  const hosts: SshHostFixture[] = [];
  const stop = async () => {
    await Promise.all(hosts.map((h) => h.stop()));
    for (const h of hosts) releasePort(h.port);
    await rm(dir, { recursive: true, force: true });
  };
  try {
    for (let i = 1; i <= n; i++)
      hosts.push(await startOne(dir, i, authorized, opts.pathPrefix?.(i), opts.maxSessions?.(i) ?? 64));
  } catch (e) {
    await stop();
    throw e;
  }
  const line = (h: SshHostFixture, pub = h.hostKeyPub) =>
    `[127.0.0.1]:${h.port} ${pub.split(' ').slice(0, 2).join(' ')}`;
  const knownHosts = path.join(dir, 'known_hosts');
  await writeFile(knownHosts, hosts.map((h) => line(h)).join('\n') + '\n');
  return {
    dir,
    user: userInfo().username,
    clientKey,
    knownHosts,
    hosts,
    stop,
    writeWrongKnownHosts: async (i) => {
      const other = path.join(dir, `other_key_${i}`);
      if (!existsSync(other)) keygen(other, 'impostor');
      const pub = (await readFile(`${other}.pub`, 'utf8')).trim();
      const file = path.join(dir, `known_hosts_wrong_${i}`);
      await writeFile(file, hosts.map((h, j) => line(h, j === i ? pub : h.hostKeyPub)).join('\n') + '\n');
      return file;
    },
  };
}
