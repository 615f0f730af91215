import { fork } from 'node:child_process';
import type { Config } from '../config/schema.js';
import { SlipwayError } from '../errors.js';
import type { DbPackage, DbVerify } from './package-db.js';
import type { VerifyReply, VerifyRequest } from './verify-reply.js';
import { readVerifyCache, verifyCacheKey, verifySetupDigest, writeVerifyCache } from './verify-cache.js';
import { verifySetupOf } from '../config/verify-setup.js';

/** A database verification as the build ran it: the result, whether it came from the cache, and what it cost. */
export interface VerifyRun {
  verify: DbVerify;
  cached: boolean;
  ms: number;
  /** Peak RSS of the child process that ran it (measured by the child), or null with `memoryReason`. */
  peakRssBytes: number | null;
  memoryReason: string | null;
}

/** A started verification: await `result`; `cancel` stops the child when the build fails before it needs it. */
export interface StartedVerify {
  result: Promise<VerifyRun>;
  cancel: () => void;
}

/**
 * Starts the verification of `db` (the changelog's rendered package, parsed once by the build) without waiting for
 * it, so compile and package run meanwhile and a build costs max(verify, the rest) instead of their sum. A cached result (content address, see
 * verify-cache.ts) answers at once; otherwise a child process runs it (PGlite in memory, or a scratch database on
 * database.verifyUrl) and exits, taking PGlite's memory with it.
 */
export function startVerify(config: Config, db: DbPackage, cacheDir: string): StartedVerify {
  const t0 = performance.now();
  let child: ReturnType<typeof fork> | null = null;
  let cancelled = false;
  const result = (async (): Promise<VerifyRun> => {
    const key = config.database.verifyUrl
      ? null
      : verifyCacheKey(db.sql, await verifySetupDigest(verifySetupOf(config)));
    const hit = key ? await readVerifyCache(cacheDir, key) : null;
    if (hit)
      return {
        verify: hit,
        cached: true,
        ms: Math.round(performance.now() - t0),
        peakRssBytes: null,
        memoryReason: 'cached result: nothing ran',
      };
    if (cancelled) throw new SlipwayError('E_INTERNAL', 'verification cancelled');
    const msg = await runChild(config, { sql: db.sql, index: db.index }, (c) => (child = c));
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
    };
  })();
  return {
    result,
    cancel: () => {
      cancelled = true;
      (child as ReturnType<typeof fork> | null)?.kill('SIGKILL');
    },
  };
}

function runChild(
  config: Config,
  pkg: Pick<DbPackage, 'sql' | 'index'>,
  onChild: (c: ReturnType<typeof fork>) => void,
): Promise<VerifyReply> {
  // The program entry is in the CLI layer (the core never wires a process). From source (vitest) it is TypeScript and
  // needs tsx; the built CLI forks the compiled .js.
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? '../cli/verify-main.ts' : '../cli/verify-main.js', import.meta.url);
  const child = fork(entry, [], {
    // A 2 MB young generation instead of 16 MB: the child's JS heap is mostly PGlite's file system buffers, which
    // live long anyway; measured on the bench's cold build, the child's peak RSS 295–309 → 228–273 MB.
    execArgv: [...(fromSource ? ['--import', 'tsx'] : []), '--max-semi-space-size=2'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    serialization: 'advanced',
  });
  onChild(child);
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => {
    stderr = (stderr + b.toString('utf8')).slice(-4000);
  });
  return new Promise((resolve, reject) => {
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
    const request: VerifyRequest = { config, pkg };
    child.send(request);
  });
}
