import { fork, type ChildProcess } from 'node:child_process';
import type { Config } from '../config/schema.js';
import { SlipwayError } from '../errors.js';
import { programEntry } from '../package-root.js';
import type { DbPackage, DbVerify } from './package-db.js';
import { OPEN_PGLITE_ARG, type VerifyReply, type VerifyRequest } from './verify-reply.js';
import { readVerifyCache, verifyCacheKey, verifySetupDigest, writeVerifyCache } from './verify-cache.js';
import { verifySetupOf } from '../config/verify-setup.js';
import { resolveVerifyTarget, type VerifyTarget } from '../db/verify-target.js';

/** A database verification as the build ran it: the result, whether it came from the cache, and what it cost. */
export interface VerifyRun {
  verify: DbVerify;
  cached: boolean;
  ms: number;
  /** Peak RSS of the child process that ran it (measured by the child), or null with `memoryReason`. */
  peakRssBytes: number | null;
  memoryReason: string | null;
  /** The engine it ran on (or would have: a cached result) and why (resolveVerifyTarget). */
  target: VerifyTarget;
}

/** A started verification: await `result`; `cancel` stops the child when the build fails before it needs it. */
export interface StartedVerify {
  result: Promise<VerifyRun>;
  cancel: () => void;
}

/**
 * A verification process forked before its package exists (prepareVerify): it starts Node, loads its modules and,
 * when the verification will run on PGlite, opens the in-memory PGlite, while the build stages, renders the package
 * and compiles. startVerify sends it the request, or stops it when a cached result answers.
 */
export interface PreparedVerify {
  /** The engine this process verifies on (resolved before it was forked). */
  target: VerifyTarget;
  /** Sends the request and waits for the reply (once). */
  run(request: VerifyRequest): Promise<VerifyReply>;
  /** Stops the process (a cached result, or a build that failed before it needed the verification). */
  cancel(): void;
}

/**
 * Forks the verification process now, so its start (Node, PGlite's WebAssembly, the initdb template: most of a
 * verification's time) runs while the build does its other work instead of after the package is rendered. PGlite
 * is opened ahead only when the verification will use it (`target`, from resolveVerifyTarget); the process opens it
 * without extensions, and opens another when the package needs one (see verifyDatabasePackage).
 */
export function prepareVerify(target: VerifyTarget): PreparedVerify {
  // The program entry is in the CLI layer (the core never wires a process); src/package-root.ts says which file runs it
  // (the bundle's, dist/'s, or the source through tsx under vitest).
  const entry = programEntry('verify-main');
  const child: ChildProcess = fork(entry.file, target.engine === 'pglite' ? [OPEN_PGLITE_ARG] : [], {
    // A 2 MB young generation instead of 16 MB: the child's JS heap is mostly PGlite's file system buffers, which
    // live long anyway; measured on the bench's cold build, the child's peak RSS 295–309 → 228–273 MB.
    // --liftoff-only: WebAssembly compiled by V8's baseline compiler alone. The child starts PGlite once and runs a few
    // hundred statements, and without it V8 also compiles PGlite's 9 MB postgres module with TurboFan in the
    // background: on the 456-file bench tree (Node 20) CPU 5.4–5.7 → 2.8–2.9 s, peak RSS 366–421 → 298–306 MB; on
    // Node 24 the process's peak RSS is ~850 MB without it and ~270 MB with it (most of it reached as the process
    // ends; why inside V8 is not established). It must be a command-line flag: Node 24 ignores it from
    // v8.setFlagsFromString, which this used before.
    execArgv: [...entry.execArgv, '--max-semi-space-size=2', '--liftoff-only'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-4000);
  });
  const reply = new Promise<VerifyReply>((resolve, reject) => {
    let got: VerifyReply | null = null;
    child.on('message', (m) => (got = m as VerifyReply));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (got) resolve(got);
      else
        reject(
          new SlipwayError(
            'E_INTERNAL',
            `the database verification process ended without a result (${signal ?? `exit code ${code}`})`,
            { details: stderr.trim() ? stderr.trim().split('\n').slice(-10) : [] },
          ),
        );
    });
  });
  reply.catch(() => undefined); // a cancelled process is never asked; a run awaits (and reports) it
  let sent = false;
  return {
    target,
    run(request) {
      if (sent) throw new SlipwayError('E_INTERNAL', 'a verification process answers one request');
      sent = true;
      // A process that already ended (crashed while opening PGlite) rejects `reply` with its stderr.
      if (child.connected) child.send(request);
      return reply;
    },
    cancel: () => void child.kill('SIGKILL'),
  };
}

/**
 * Starts the verification of `db` (the changelog's rendered package, parsed once by the build) without waiting for
 * it, so compile and package run meanwhile and a build costs max(verify, the rest) instead of their sum. A cached result (content address, see
 * verify-cache.ts) answers at once (and stops `prepared`); otherwise a child process runs it (PGlite in memory, or a
 * scratch database on PostgreSQL: resolveVerifyTarget) and exits, taking PGlite's memory with it: `prepared` when the
 * build forked one ahead (prepareVerify, with the target it resolved), else one forked now (the target resolved now,
 * `env` the command's environment for database.verifyUrl auto).
 */
export function startVerify(
  config: Config,
  db: DbPackage,
  cacheDir: string,
  prepared: PreparedVerify | null = null,
  env?: Record<string, string | undefined>,
): StartedVerify {
  const t0 = performance.now();
  let child: PreparedVerify | null = prepared;
  let cancelled = false;
  const result = (async (): Promise<VerifyRun> => {
    const target = prepared?.target ?? (await resolveVerifyTarget(config.database.verifyUrl, env ? { env } : {}));
    // PostgreSQL servers are never cached (the server may change); the key names the engine all the same.
    const key =
      target.engine === 'pglite'
        ? verifyCacheKey(db.sql, await verifySetupDigest(verifySetupOf(config)), target.engine)
        : null;
    const hit = key ? await readVerifyCache(cacheDir, key) : null;
    if (hit) {
      prepared?.cancel();
      return {
        verify: hit,
        cached: true,
        ms: Math.round(performance.now() - t0),
        peakRssBytes: null,
        memoryReason: 'cached result: nothing ran',
        target,
      };
    }
    if (cancelled) throw new SlipwayError('E_INTERNAL', 'verification cancelled');
    child ??= prepareVerify(target);
    const msg = await child.run({ config, pkg: { sql: db.sql, index: db.index }, target });
    if ('error' in msg) {
      const e = msg.error;
      if (!e.code) throw new Error(`database verification crashed: ${e.message}`);
      throw new SlipwayError(e.code, e.message, {
        ...(e.hint ? { hint: e.hint } : {}),
        ...(e.details ? { details: e.details } : {}),
        ...(e.file ? { file: e.file } : {}),
        ...(e.line ? { line: e.line } : {}),
        ...(e.column ? { column: e.column } : {}),
      });
    }
    if (key) await writeVerifyCache(cacheDir, key, msg.result);
    return {
      verify: msg.result,
      cached: false,
      ms: Math.round(performance.now() - t0),
      peakRssBytes: msg.maxRssKb * 1024,
      memoryReason: null,
      target,
    };
  })();
  return {
    result,
    cancel: () => {
      cancelled = true;
      child?.cancel();
    },
  };
}
