/**
 * Starts the fleet's ssh clients from a small launcher process, not from the controller. Node's `spawn` on Linux
 * (libuv's uv_spawn) forks the calling process and then waits on a close-on-exec pipe until the child has exec'd: the
 * calling thread stalls for that wait (on a loaded machine, the child's wait for a CPU), and the fork copies the page
 * tables of the whole process — the controller's ~150 MB — after which every page either side writes before the exec
 * is copied again. A fleet deploy starts 6 ssh clients per host, so that was the largest part of the controller's CPU
 * per host (measured: docs/architecture.md, "ssh targets"). The launcher is a plain `node -e` process that only
 * spawns: forking it copies a fraction of that, nothing in it runs between its fork and the exec, and the
 * controller's threads never wait for an exec. libuv uses posix_spawn (vfork-like) on Linux only after 1.52.1, which
 * no Node release ships yet.
 *
 * The launcher is a fixed program (LAUNCHER below): it spawns `file` with an argv array (no shell), pipes a file's
 * bytes to stdin when asked, collects stdout and stderr, kills the child with SIGKILL when told to, and answers once
 * per child. Timeouts and aborts are decided by the caller, in the controller. One launcher per process, started on
 * the first spawn (its own start, ~40 ms of CPU, once) and unref'd while idle; one that died answers its children in
 * flight as lost (127, \`lost\`: what they did is not known) and the next spawn starts another.
 */
import { spawn, type ChildProcess } from 'node:child_process';

export interface OffThreadSpawn {
  file: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
  /** Bytes of this file from `offset` on become the child's stdin (else stdin is /dev/null). */
  stdinFile?: { file: string; offset: number } | undefined;
}

export interface OffThreadResult {
  /** The exit status; 127 when the program could not be started; null when a signal ended it. */
  code: number | null;
  stdout: Buffer;
  stderr: Buffer;
  /**
   * The launcher died before it answered (code 127): whether the child started, and what it did, is not known — it
   * may still be running, orphaned.
   */
  lost?: true;
}

export interface OffThreadChild {
  result: Promise<OffThreadResult>;
  /**
   * SIGKILL. The result then comes as soon as the child has exited, without waiting for its pipes to close (a killed
   * ssh mux client has handed them to its master, which holds them until the remote command ends).
   */
  kill: () => void;
}

/**
 * The launcher's program, run by `node -e` (CommonJS, so it needs no file of its own in the bundle, in dist/ or under
 * vitest). Messages in (IPC, structured clone): `{ id, file, args, env, stdinFile }` to start a child, `{ id, kill: true }`
 * to kill one. Out: `{ id, code, stdout, stderr }` once, when the child has closed its pipes (or, once killed, when it
 * has exited), code 127 when it could not start. It exits when the controller goes (the channel closes); a terminal's
 * SIGINT (sent to the whole process group: the controller, its ssh clients and this) is the controller's to act on,
 * and its ssh clients get it as they always did (libuv resets every signal to its default in a child).
 */
const LAUNCHER = `'use strict';
const { spawn } = require('node:child_process');
const { createReadStream } = require('node:fs');
for (const s of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(s, () => undefined);
process.on('disconnect', () => process.exit(0));
const running = new Map();
process.on('message', (m) => {
  if (m.kill) {
    const r = running.get(m.id);
    if (r) { r.killed = true; r.child.kill('SIGKILL'); }
    return;
  }
  const out = [];
  const err = [];
  let done = false;
  const finish = (code) => {
    if (done) return;
    done = true;
    running.delete(m.id);
    if (process.connected) process.send({ id: m.id, code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
  };
  let child;
  try {
    child = spawn(m.file, m.args, { stdio: [m.stdinFile ? 'pipe' : 'ignore', 'pipe', 'pipe'], env: m.env });
  } catch (e) {
    err.push(Buffer.from(String(e && e.message || e) + '\\n'));
    finish(127);
    return;
  }
  const r = { child, killed: false };
  running.set(m.id, r);
  child.stdout.on('data', (b) => out.push(b));
  child.stderr.on('data', (b) => err.push(b));
  if (m.stdinFile && child.stdin) {
    const src = createReadStream(m.stdinFile.file, { start: m.stdinFile.offset });
    child.stdin.on('error', () => undefined); // the remote end went away: the exit code says so
    src.on('error', () => child.stdin && child.stdin.destroy());
    src.pipe(child.stdin);
  }
  child.on('error', () => finish(127));
  child.on('exit', (code) => {
    if (!r.killed) return;
    child.stdout.destroy();
    child.stderr.destroy();
    finish(code);
  });
  child.on('close', (code) => finish(code));
});
`;

interface Launcher {
  child: ChildProcess;
  waiting: Map<number, (r: OffThreadResult) => void>;
}

let launcher: Launcher | null = null;
let nextId = 1;

/** Lets an idle launcher not keep this process alive (and a busy one keep it, as a child of this thread would). */
function hold(l: Launcher, busy: boolean): void {
  if (busy) {
    l.child.ref();
    l.child.channel?.ref();
  } else {
    l.child.unref();
    l.child.channel?.unref();
  }
}

function startLauncher(): Launcher {
  // Its own environment without NODE_OPTIONS: a fixed program, whatever this process was started with (each child
  // gets the environment its request names). Nor NODE_EXTRA_CA_CERTS: it makes no TLS connection, and Node 20 reads
  // and parses those certificates at start (~50-80 ms of CPU here, most of the launcher's start).
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  delete env.NODE_EXTRA_CA_CERTS;
  const child = spawn(process.execPath, ['-e', LAUNCHER], {
    stdio: ['ignore', 'ignore', 'ignore', 'ipc'],
    serialization: 'advanced',
    env,
  });
  const l: Launcher = { child, waiting: new Map() };
  child.on('message', (m: { id: number; code: number | null; stdout: Uint8Array; stderr: Uint8Array }) => {
    const resolve = l.waiting.get(m.id);
    if (!resolve) return;
    l.waiting.delete(m.id);
    if (l.waiting.size === 0) hold(l, false); // an idle launcher never keeps the process alive
    const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    resolve({ code: m.code, stdout: buf(m.stdout), stderr: buf(m.stderr) });
  });
  // A launcher that died takes its children's answers with it: they end as "could not start" (127), and the next
  // spawn starts a new launcher.
  let failed = false;
  const fail = (why: string) => {
    if (failed) return;
    failed = true;
    if (launcher === l) launcher = null;
    for (const resolve of l.waiting.values())
      resolve({
        code: 127,
        stdout: Buffer.alloc(0),
        stderr: Buffer.from(`spawn launcher failed: ${why}\n`),
        lost: true,
      });
    l.waiting.clear();
    hold(l, false);
  };
  child.on('error', (e) => fail(e.message));
  child.on('exit', (code, signal) => fail(`exited with ${signal ?? code}`));
  child.on('disconnect', () => fail('its channel closed'));
  hold(l, false);
  return l;
}

/** Starts `file` with `args` (an argv array, never a shell) from the launcher process. */
export function spawnOffThread(req: OffThreadSpawn): OffThreadChild {
  const l = (launcher ??= startLauncher());
  const id = nextId++;
  const result = new Promise<OffThreadResult>((resolve) => l.waiting.set(id, resolve));
  hold(l, true); // a child in flight keeps the process alive, as a child process of this thread would
  const send = (m: object) => {
    try {
      l.child.send(m, (e) => {
        if (e) l.child.kill('SIGKILL'); // its exit answers every child in flight with 127
      });
    } catch {
      l.child.kill('SIGKILL');
    }
  };
  send({ id, file: req.file, args: [...req.args], env: { ...req.env }, stdinFile: req.stdinFile });
  return { result, kill: () => send({ id, kill: true }) };
}
