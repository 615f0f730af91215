import { chmod, mkdir, open, rm, symlink, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { SlipwayError } from '../errors.js';
import { normalizedMode, type ArchiveProblem, type ExtractLimits } from './archive-rules.js';
import { readArchive, type CheckedEntry, type EntrySink } from './scan-archive.js';
import { verifyTree } from './verify-tree.js';
import { ioCodeIn, isIoFailure, toIoError } from './io-error.js';

/** E_IO for the first problem that is a filesystem refusal (the disk's failure, never "package damaged"), or null. */
function ioProblem(problems: ArchiveProblem[], dest: string): unknown {
  for (const p of problems) {
    const code = ioCodeIn(p.message);
    if (code) return toIoError(Object.assign(new Error(p.message), { code, path: dest }), dest, 'extract into');
  }
  return null;
}

export interface ExtractOptions {
  file: string;
  /** Empty staging directory to create and extract into (same filesystem as releases/). */
  dest: string;
  limits: ExtractLimits;
  /** Shared paths the deploy links in afterwards (a package link may enter one, never climb out). */
  shared?: string[];
  /** Test hook: pause after each entry to widen the crash window. */
  delayMs?: number;
  /**
   * Write only the entries this accepts (the fleet controller's copy, src/fleet/controller-copy.ts); the others are
   * still read and judged by the rules. The tree is then verified against the SHA256SUMS lines of the entries it
   * accepts. Default: every entry.
   */
  select?: (path: string) => boolean;
}

/** Formats problems into an E_UNSAFE_ARCHIVE error. */
export function unsafeArchiveError(
  file: string,
  problems: ArchiveProblem[],
  what = 'refused to extract',
): SlipwayError {
  const first = problems[0];
  return new SlipwayError(
    'E_UNSAFE_ARCHIVE',
    `${what} ${file}: ${first ? `[${first.code}] ${first.message}` : 'unknown problem'}`,
    {
      file,
      details: problems.slice(0, 20).map((p) => `[${p.code}] ${p.message}`),
      hint: 'The package is damaged or was tampered with. Rebuild it with `slipway build` and verify it with `slipway validate`.',
    },
  );
}

/**
 * Writes one accepted entry below `dest`. Paths were normalised and checked by the rules (no `..`, nothing below a
 * symlink or a file), and dest is a fresh directory, so every parent is a directory this extraction made. Files
 * are created exclusively (`wx`: never through an existing link) and every mode is normalised (0644/0755: no
 * world-writable, no setuid/setgid/sticky whatever the archive says); owners are never taken from the archive.
 */
async function writeEntry(dest: string, e: CheckedEntry): Promise<EntrySink | null> {
  const abs = path.join(dest, e.path);
  if (e.path === '.') return null;
  await mkdir(path.dirname(abs), { recursive: true, mode: 0o755 });
  if (e.type === 'Directory') {
    await mkdir(abs, { recursive: true, mode: 0o755 });
    await chmod(abs, 0o755); // mkdir's mode is masked by the umask; the release must not depend on it
    return null;
  }
  if (e.type === 'SymbolicLink') {
    await symlink(e.linkpath, abs);
    return null;
  }
  const fh: FileHandle = await open(abs, 'wx', 0o600);
  return {
    write: async (chunk) => {
      await fh.write(chunk);
    },
    end: async () => {
      await fh.chmod(normalizedMode(e.type, e.mode));
      await fh.close();
    },
    abort: () => fh.close(),
  };
}

/**
 * Extracts a package through the same reader and rules as the scan (an archive swapped after the scan is judged
 * again), then verifies the written tree against SHA256SUMS, resolving every link inside it. On any failure the
 * staging directory is removed and E_UNSAFE_ARCHIVE thrown.
 */
export async function extractPackage(opts: ExtractOptions): Promise<{ files: number }> {
  await mkdir(opts.dest, { recursive: false, mode: 0o755 });
  let problems: ArchiveProblem[] = [];
  try {
    await chmod(opts.dest, 0o755);
    // Test hook: a synchronous pause blocks extraction itself, so a SIGKILL lands with the tree half written.
    const pause = opts.delayMs
      ? () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, opts.delayMs)
      : null;
    const read = await readArchive(
      opts.file,
      opts.limits,
      async (e) => {
        pause?.();
        return !opts.select || opts.select(e.path) ? writeEntry(opts.dest, e) : null;
      },
      { stopOnProblem: true },
    );
    problems = read.problems;
    if (problems.length) throw unsafeArchiveError(opts.file, problems);
    const verified = await verifyTree(opts.dest, {
      sync: true,
      external: opts.shared ?? [],
      ...(opts.select ? { select: opts.select } : {}),
    });
    if (!verified.ok)
      // The tree just written could not be read back or fsynced (EIO, ENOSPC…): the target's disk failed.
      throw (
        ioProblem(
          verified.problems.filter((p) => p.code === 'UNREADABLE'),
          opts.dest,
        ) ?? unsafeArchiveError(opts.file, verified.problems, 'extracted tree does not match SHA256SUMS for')
      );
    return { files: verified.files };
  } catch (e) {
    await rm(opts.dest, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
    if (e instanceof SlipwayError) throw e;
    // A full disk, a read-only or unwritable target is the target's problem, never "package damaged".
    if (isIoFailure(e)) throw toIoError(e, opts.dest, 'extract into');
    const io = ioProblem(problems, opts.dest);
    if (io) throw io;
    throw unsafeArchiveError(opts.file, [...problems, { code: 'EXTRACT_FAILED', message: (e as Error).message }]);
  }
}
