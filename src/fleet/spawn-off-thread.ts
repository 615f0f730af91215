/**
 * Starts the fleet's ssh clients from worker threads, not from the controller's main thread. Node's `spawn` on Linux
 * (libuv's uv_spawn: fork, then a read on a close-on-exec pipe until the child has exec'd, so that an exec error is
 * reported synchronously) blocks the calling thread until the child runs ssh; on a loaded machine that wait is the
 * child's wait for a CPU, and a fleet deploy starts 6 ssh clients per host, one after another on one thread
 * (measured: docs/architecture.md, "ssh targets"). From a worker, the waits no longer stall the main thread's
 * work (the rollout's timers, the server's requests when it runs a fleet rollback). libuv uses posix_spawn
 * (vfork-like: no page-table copy, but the calling thread still waits for the exec) on Linux only after 1.52.1,
 * which no Node release ships yet.
 *
 * The worker is a fixed program (SPAWN_WORKER below, run with `eval`, so it needs no file of its own in the bundle,
 * in dist/ or under vitest): it spawns `file` with an argv array (no shell), pipes a file's bytes to stdin when asked,
 * collects stdout and stderr, kills the child with SIGKILL when told to, and answers once per child. Timeouts and
 * aborts are decided by the caller, on the main thread.
 */
import { Worker } from 'node:worker_threads';

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
 * Workers in the pool, each its own thread and V8 isolate (~21 ms of CPU to start). One: more let the exec waits
 * overlap each other, but 2 and 4 showed no gain in 8-host bench deploys at load 6–17 and cost +74 and +159 ms of
 * the controller's CPU per deploy (one: +25 ms).
 */
const POOL_SIZE = 1;

/**
 * The worker's program, run by `new Worker(code, { eval: true })`: modules loaded with import(), which a CommonJS
 * and an ES module evaluation both have (which one it gets depends on the process's flags). Messages in: `{ id, file, args,
 * env, stdinFile }` to start a child, `{ id, kill: true }` to kill one. Out: `{ id, code, stdout, stderr }` once,
 * when the child has closed its pipes (or, once killed, when it has exited), code 127 when it could not start.
 */
const SPAWN_WORKER = `(async () => {
const { parentPort } = await import('node:worker_threads');
const { spawn } = await import('node:child_process');
const { createReadStream } = await import('node:fs');
const running = new Map();
parentPort.on('message', (m) => {
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
    parentPort.postMessage({ id: m.id, code, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
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
})();
`;

interface Waiting {
  resolve: (r: OffThreadResult) => void;
}

interface PoolWorker {
  worker: Worker;
  waiting: Map<number, Waiting>;
}

const pool: PoolWorker[] = [];
let nextId = 1;

function startWorker(): PoolWorker {
  const worker = new Worker(SPAWN_WORKER, { eval: true, execArgv: [] });
  const pw: PoolWorker = { worker, waiting: new Map() };
  worker.on('message', (m: { id: number; code: number | null; stdout: Uint8Array; stderr: Uint8Array }) => {
    const w = pw.waiting.get(m.id);
    if (!w) return;
    pw.waiting.delete(m.id);
    if (pw.waiting.size === 0) worker.unref(); // an idle pool never keeps the process alive
    const buf = (u: Uint8Array) => Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    w.resolve({ code: m.code, stdout: buf(m.stdout), stderr: buf(m.stderr) });
  });
  // A worker that died takes its children's answers with it: they end as "could not start" (127), and the next
  // spawn starts a new worker.
  const fail = (why: string) => {
    const i = pool.indexOf(pw);
    if (i >= 0) pool.splice(i, 1);
    for (const w of pw.waiting.values())
      w.resolve({ code: 127, stdout: Buffer.alloc(0), stderr: Buffer.from(`spawn worker failed: ${why}\n`) });
    pw.waiting.clear();
  };
  worker.on('error', (e) => fail(e.message));
  worker.on('exit', (code) => fail(`exited with ${code}`));
  worker.unref();
  return pw;
}

/** The worker with the fewest children in flight, starting one while the pool is not full and none is idle. */
function pick(): PoolWorker {
  let best: PoolWorker | undefined;
  for (const pw of pool) if (!best || pw.waiting.size < best.waiting.size) best = pw;
  if (best && (best.waiting.size === 0 || pool.length >= POOL_SIZE)) return best;
  const pw = startWorker();
  pool.push(pw);
  return pw;
}

/** Starts `file` with `args` (an argv array, never a shell) from a worker thread. */
export function spawnOffThread(req: OffThreadSpawn): OffThreadChild {
  const pw = pick();
  const id = nextId++;
  const result = new Promise<OffThreadResult>((resolve) => pw.waiting.set(id, { resolve }));
  pw.worker.ref(); // a child in flight keeps the process alive, as a child process of the main thread would
  pw.worker.postMessage({
    id,
    file: req.file,
    args: [...req.args],
    env: { ...req.env },
    stdinFile: req.stdinFile,
  });
  return { result, kill: () => pw.worker.postMessage({ id, kill: true }) };
}
