/**
 * The SSH transport: the system OpenSSH client, one multiplexed connection per host (ControlMaster=auto with the
 * socket in a private temp dir, ControlPersist), host keys pinned (StrictHostKeyChecking=yes against the target's
 * knownHosts only, never learned), no user ssh config (`-F none`: the target's settings are the whole story).
 * Remote commands are argv arrays quoted by quote.ts; timeouts are enforced here by closing the command's channel
 * (or killing its client), and on the host by the bound every command runs under (remote-scripts.ts,
 * boundedCommandLine). The master connection is opened by an ssh client; commands then run as channels the
 * controller opens on it itself (mux-channel.ts), or, when the master declines that, each through an ssh client.
 */
import { appendFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { SlipwayError } from '../errors.js';
import { sha256Hex } from '../fileset/hash.js';
import { shJoin } from './quote.js';
import { boundedCommandLine, REMOTE_GRACE_S } from './remote-scripts.js';
import { muxAlive, muxMasterPid, muxTerminate } from './ssh-mux.js';
import { isPidAlive } from '../pid-alive.js';
import { spawnOffThread } from './spawn-off-thread.js';
import { execOverMaster } from './mux-channel.js';

export interface SshEndpoint {
  host: string;
  port: number;
  user?: string | undefined;
}

export interface SshSettings {
  /** Absolute path of the known_hosts file that pins every host's key. */
  knownHosts: string;
  /** Absolute path of the private key; none: ssh-agent or the default keys. */
  identityFile?: string | undefined;
  connectTimeoutMs: number;
  /** ssh's KexAlgorithms (validated by the config schema); none: OpenSSH's default. */
  kexAlgorithms?: string | undefined;
}

export interface RemoteResult {
  code: number | null;
  stdout: Buffer;
  stderr: string;
  timedOut: boolean;
  ms: number;
  /**
   * ssh exited 255 without saying why and the host's master connection is gone: the connection dropped while the
   * command ran (a mux client whose master died prints nothing at LogLevel=ERROR). Also set when the launcher that
   * started this ssh died before it answered (spawn-off-thread.ts): either way what the command did is not known.
   */
  connectionLost?: boolean;
  /**
   * The host refused the command before it started (why, in words): it would not open a session for it, or refused
   * its exec request. Nothing of the command ran there; the connection itself may be fine.
   */
  notStarted?: string;
}

export interface RunOptions {
  timeoutMs: number;
  /** Bytes of this file from `offset` on become the command's stdin. */
  stdinFile?: { file: string; offset: number };
  signal?: AbortSignal | undefined;
}

/** `user@host:port` of an endpoint, for messages. */
export function endpointLabel(e: SshEndpoint): string {
  return `${e.user ? `${e.user}@` : ''}${e.host}:${e.port}`;
}

/**
 * A private directory for the control sockets of one run (removed by `removeControlDir`). A socket path may hold
 * about 104 bytes and ssh adds 34 to the directory (`/` and `controlSocket`'s 16 characters, and a temporary
 * `.XXXXXXXXXXXXXXXX`), so a long TMPDIR falls back to /tmp.
 */
export async function makeControlDir(): Promise<string> {
  const base = path.join(tmpdir(), 'slipway-ssh-XXXXXX').length + 34 > 104 ? '/tmp' : tmpdir();
  return mkdtemp(path.join(base, 'slipway-ssh-'));
}

export async function removeControlDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/**
 * The control socket of an endpoint's master connection in a run's control directory (pure): named here rather than
 * by ssh's `%C`, so the controller can speak to the master itself (ssh-mux.ts); one per user, host and port, as
 * `%C` (the local host name it also hashes is the same for every socket in the directory).
 */
export function controlSocket(controlDir: string, e: SshEndpoint): string {
  return path.join(controlDir, sha256Hex(`${e.user ?? ''}@${e.host}:${e.port}`).slice(0, 16));
}

/** ssh options every connection uses (pure). */
export function sshOptions(settings: SshSettings, socket: string): string[] {
  const o = (kv: string) => ['-o', kv];
  return [
    '-F',
    'none',
    ...o('BatchMode=yes'),
    ...o('StrictHostKeyChecking=yes'),
    ...o(`UserKnownHostsFile=${settings.knownHosts}`),
    ...o('GlobalKnownHostsFile=/dev/null'),
    ...o('UpdateHostKeys=no'),
    ...o(`ConnectTimeout=${Math.max(1, Math.ceil(settings.connectTimeoutMs / 1000))}`),
    ...o('ServerAliveInterval=15'),
    ...o('ServerAliveCountMax=3'),
    ...(settings.kexAlgorithms ? o(`KexAlgorithms=${settings.kexAlgorithms}`) : []),
    ...o('ControlMaster=auto'),
    ...o(`ControlPath=${socket}`),
    ...o('ControlPersist=120'),
    ...o('LogLevel=ERROR'),
    ...(settings.identityFile ? ['-i', settings.identityFile, ...o('IdentitiesOnly=yes')] : []),
    '-T',
  ];
}

const CUT = 'the connection was cut';

/**
 * Why ssh itself failed for this result, in words, or null when the exit status is the remote command's own: 255
 * is also a status any remote command may exit with, so it counts as ssh's only when ssh said why or the
 * connection is gone.
 */
export function transportFailure(r: RemoteResult): string | null {
  if (r.notStarted) return r.notStarted;
  if (r.code === 255) return sshFailureReason(r.stderr) ?? (r.connectionLost ? CUT : null);
  return r.connectionLost ? CUT : null;
}

/** Why ssh itself failed (exit 255), in words; null when stderr does not say. */
export function sshFailureReason(stderr: string): string | null {
  if (/Host key verification failed|REMOTE HOST IDENTIFICATION HAS CHANGED|No \S+ host key is known/i.test(stderr))
    return 'its host key is not the one pinned in knownHosts (host keys are never accepted on first use)';
  if (/Permission denied/i.test(stderr)) return 'authentication failed (check identityFile, the agent and the user)';
  if (/Connection refused/i.test(stderr)) return 'connection refused';
  if (/timed out/i.test(stderr)) return 'connection timed out';
  if (/Could not resolve hostname/i.test(stderr)) return 'the host name does not resolve';
  if (/Connection closed|Connection reset|Broken pipe/i.test(stderr)) return CUT;
  // ssh's own words, and mux-channel.ts's, for a session the host would not open (sshd's MaxSessions, say).
  if (/channel \S*\s*open failed/i.test(stderr)) return SESSION_REFUSED;
  return null;
}

const SESSION_REFUSED = 'the host refused to open a session for it';
const EXEC_REFUSED = 'the host refused its exec request (sshd could not start it: out of processes, say)';

/**
 * Errors `check` threw for a command the host refused before it started (RemoteResult.notStarted): what the caller
 * knows is that nothing of it ran there.
 */
const notStartedErrors = new WeakSet<object>();

/** Whether `e` is `check`'s error for a command the host refused before it started (nothing of it ran there). */
export function isNotStarted(e: unknown): boolean {
  return typeof e === 'object' && e !== null && notStartedErrors.has(e);
}

/** One host's connection: every remote command of a run goes through it (and is logged to `logFile`). */
export class SshSession {
  readonly label: string;
  /** The connection `connect` opened ahead of the first command, until that command has looked at it. */
  private connecting: Promise<RemoteResult> | null = null;

  /** The log directory `log` made last. */
  private logDir: string | null = null;
  /** This host's control socket (controlSocket). */
  private readonly socket: string;
  /** Whether commands go as channels over the master (mux-channel.ts); false: an ssh client each. */
  private proxy: boolean;

  constructor(
    readonly endpoint: SshEndpoint,
    private readonly settings: SshSettings,
    controlDir: string,
    /** Controller-side log of every remote command and its output (see `logTo`). */
    public logFile: string,
    /** `proxy: false`: every command through an ssh client of its own, as when the master declines proxy mode. */
    opts: { proxy?: boolean } = {},
  ) {
    this.proxy = opts.proxy ?? true;
    this.label = endpointLabel(endpoint);
    this.socket = controlSocket(controlDir, endpoint);
  }

  /** Logs the commands from now on to `file` (a run's log directory is named after the connection is opened). */
  logTo(file: string): void {
    this.logFile = file;
  }

  /**
   * Opens the master connection now (the handshake, key check and authentication), so that it overlaps what the
   * controller does before its first command here; \`ssh -N\`: no session, so nothing runs on the host (no shell,
   * nothing read or written), and the client returns once the master is in the background (ControlPersist). The
   * first command waits for it and then rides on the master; when it failed as a connection (refused, timed out,
   * wrong host key), that first command reports this very attempt instead of making a second one (an unreachable
   * host costs one connect timeout, not two). Never throws.
   */
  connect(timeoutMs: number): void {
    this.connecting ??= this.spawnSsh(null, { timeoutMs });
  }

  private args(...extra: string[]): string[] {
    return [
      ...sshOptions(this.settings, this.socket),
      '-p',
      String(this.endpoint.port),
      ...(this.endpoint.user ? ['-l', this.endpoint.user] : []),
      ...extra,
      '--',
      this.endpoint.host,
    ];
  }

  /**
   * Runs an argv array on the host, bounded there too (boundedCommandLine: the local timeout plus REMOTE_GRACE_S), so that
   * a command whose controller died or lost the connection does not run on to its end. Never throws for a failing
   * command; see `check`.
   */
  private async exec(argv: readonly string[], opts: RunOptions): Promise<RemoteResult> {
    const commandLine = shJoin(argv);
    const pre = this.connecting;
    if (pre) {
      const c = await pre;
      if (this.connecting === pre) {
        this.connecting = null;
        if (c.timedOut || transportFailure(c)) {
          await this.log(`${commandLine} (not run: the connection opened for it failed)`, c);
          return c;
        }
      }
    }
    const line = boundedCommandLine(opts.timeoutMs / 1000 + REMOTE_GRACE_S, argv);
    const r = (this.proxy && (await this.overMaster(line, opts))) || (await this.spawnSsh(line, opts));
    await this.log(commandLine, r);
    return r;
  }

  /**
   * Runs a command line as a channel on the host's master (mux-channel.ts); null when no master takes it (none
   * answers: the ssh client then opens the connection, as ControlMaster=auto does; or it declined proxy mode: every
   * later command goes through ssh clients too). The local timeout and an abort close the channel.
   */
  private async overMaster(commandLine: string, opts: RunOptions): Promise<RemoteResult | null> {
    const t0 = performance.now();
    const ch = execOverMaster(this.socket, commandLine, opts.stdinFile);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ch.kill();
    }, opts.timeoutMs);
    const kill = () => ch.kill();
    opts.signal?.addEventListener('abort', kill, { once: true });
    const r = await ch.result;
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', kill);
    if ('unavailable' in r) {
      if (r.unavailable === 'refused') this.proxy = false;
      return null;
    }
    if (timedOut) await this.endMaster();
    return {
      code: r.code,
      stdout: r.stdout,
      stderr: r.stderr.toString('utf8'),
      timedOut,
      ms: performance.now() - t0,
      ...(r.lost ? { connectionLost: true } : {}),
      ...(r.notStarted ? { notStarted: r.notStarted === 'session' ? SESSION_REFUSED : EXEC_REFUSED } : {}),
    };
  }

  /**
   * One \`ssh\` process: its exit status, output and whether the timeout killed it (not logged). A null command
   * line: \`-N\`, the connection only (see \`connect\`).
   */
  private async spawnSsh(commandLine: string | null, opts: RunOptions): Promise<RemoteResult> {
    const t0 = performance.now();
    // From the launcher process (spawn-off-thread.ts): Node's spawn forks the calling process and blocks its thread
    // until the child has exec'd.
    const child = spawnOffThread({
      file: 'ssh',
      args: commandLine === null ? this.args('-N') : [...this.args(), commandLine],
      env: process.env,
      stdinFile: opts.stdinFile,
    });
    let timedOut = false;
    let killed = false;
    const kill = () => {
      killed = true;
      child.kill();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill();
    }, opts.timeoutMs);
    opts.signal?.addEventListener('abort', kill, { once: true });
    const { code, stdout, stderr, lost } = await child.result;
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', kill);
    if (timedOut) await this.endMaster();
    const r: RemoteResult = {
      code,
      stdout,
      stderr: stderr.toString('utf8'),
      timedOut,
      ms: performance.now() - t0,
      ...(lost ? { connectionLost: true } : {}),
    };
    // The client's words for a command the host refused before it started (a mux client's and a plain client's).
    if (code === 255 && !killed && /^exec request failed on channel/m.test(r.stderr)) r.notStarted = EXEC_REFUSED;
    else if (code === 255 && !killed && /^channel \d+: open failed/m.test(r.stderr)) r.notStarted = SESSION_REFUSED;
    // 255 is ssh's own failure, or a remote command's exit code: the master connection tells them apart.
    if (code === 255 && !killed && sshFailureReason(r.stderr) === null && !(await this.masterAlive()))
      r.connectionLost = true;
    return r;
  }

  /** Runs an argv array on the host. */
  run(argv: readonly string[], opts: RunOptions): Promise<RemoteResult> {
    return this.exec(argv, opts);
  }

  /** Runs a fixed sh script with its inputs as `$1`…, never as script text. */
  script(script: string, args: readonly string[], opts: RunOptions): Promise<RemoteResult> {
    return this.exec(['sh', '-c', script, 'sh', ...args], opts);
  }

  /** Throws when the command failed: E_SSH when ssh itself could not connect, else E_DEPLOY naming `what`. */
  check(r: RemoteResult, what: string, timeoutMs?: number): RemoteResult {
    if (r.code === 0 && !r.timedOut) return r;
    const tail = r.stderr.trim().split('\n').slice(-5).filter(Boolean);
    if (r.notStarted && !r.timedOut) {
      const e = new SlipwayError('E_SSH', `${this.label}: ${what}: not started: ${r.notStarted}`, {
        details: tail,
        hint: `Nothing of it ran on ${this.label}. See ${this.logFile}.`,
      });
      notStartedErrors.add(e);
      throw e;
    }
    if (r.timedOut)
      throw new SlipwayError('E_SSH', `${this.label}: ${what} timed out after ${timeoutMs ?? '?'} ms`, {
        details: tail,
        hint: `See ${this.logFile}.`,
      });
    const reason = transportFailure(r);
    if (reason)
      throw new SlipwayError('E_SSH', `${this.label}: cannot ${what}: ${reason}`, {
        details: tail,
        hint:
          reason === CUT
            ? `The command may have stopped part-way or finished on ${this.label}; the next run reads the host's state again. See ${this.logFile}.`
            : `Nothing more was done on ${this.label}. See ${this.logFile}.`,
      });
    throw new SlipwayError('E_DEPLOY', `${this.label}: ${what} failed (exit ${r.code})`, {
      details: tail,
      hint: `See ${this.logFile}.`,
    });
  }

  /** Whether this host's master connection is up (`ssh -O check`, spoken by ssh-mux.ts; never opens one). */
  private masterAlive(): Promise<boolean> {
    return muxAlive(this.socket);
  }

  /**
   * Ends the host's master connection after a command timed out on it: the timeout says nothing of the connection,
   * and a stalled one (a host that stopped answering) would hold every later command of the host until ssh's own
   * keepalive gives up on it (ServerAliveInterval x ServerAliveCountMax: 45 s), where the next command now opens a
   * connection of its own (ControlMaster=auto) and fails or proceeds on what the host does now. The master is asked
   * to exit; one that does not (or cannot answer) is killed by its pid, which it gave in the alive check.
   */
  private async endMaster(): Promise<void> {
    const pid = await muxMasterPid(this.socket, 2000);
    if (pid === null) return;
    await muxTerminate(this.socket, 2000);
    if (await waitGone(pid, 2000)) return;
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone meanwhile */
    }
    await waitGone(pid, 5000);
  }

  /** Ends the master connection (ControlPersist would keep it a while): `ssh -O exit`, spoken by ssh-mux.ts. */
  async close(): Promise<void> {
    await this.connecting; // a connection still being opened would otherwise outlive the run
    this.connecting = null;
    await muxTerminate(this.socket);
  }

  private async log(commandLine: string, r: RemoteResult): Promise<void> {
    const shown = r.stdout.length > 4096 ? `${r.stdout.subarray(0, 4096).toString('utf8')}…` : r.stdout.toString();
    const text =
      `[${new Date().toISOString()}] ${this.label} $ ${commandLine.length > 2000 ? `${commandLine.slice(0, 2000)}…` : commandLine}\n` +
      (shown ? `${shown.trimEnd()}\n` : '') +
      (r.stderr ? `${r.stderr.trimEnd()}\n` : '') +
      `exit ${r.timedOut ? 'timeout' : r.code} (${Math.round(r.ms)} ms)\n`;
    const dir = path.dirname(this.logFile);
    if (dir !== this.logDir) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
      this.logDir = dir; // once per directory, not per command
    }
    await appendFile(this.logFile, text, { mode: 0o600 });
  }
}

/** Whether process `pid` is gone within `ms` (polled: it is not this process's child, so there is no exit event). */
async function waitGone(pid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!isPidAlive(pid)) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
}
