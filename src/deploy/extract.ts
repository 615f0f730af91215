import { mkdir, rm } from 'node:fs/promises';
import { x as extractTar, type ReadEntry } from 'tar';
import { SlipwayError } from '../errors.js';
import { checkEntry, TreeTracker, type ArchiveProblem, type ExtractLimits } from './archive-rules.js';
import { verifyTree } from './verify-tree.js';

export interface ExtractOptions {
  file: string;
  /** Empty staging directory to create and extract into (same filesystem as releases/). */
  dest: string;
  limits: ExtractLimits;
  /** Test hook: pause after each entry to widen the crash window. */
  delayMs?: number;
}

/** Formats problems into an E_UNSAFE_ARCHIVE error. */
export function unsafeArchiveError(
  file: string,
  problems: ArchiveProblem[],
  what = 'refused to extract',
): SlipwayError {
  const first = problems[0];
  return new SlipwayError('E_UNSAFE_ARCHIVE', `${what} ${file}: ${first ? first.message : 'unknown problem'}`, {
    file,
    details: problems.slice(0, 20).map((p) => `[${p.code}] ${p.message}`),
    hint: 'The package is damaged or was tampered with. Rebuild it with `slipway build` and verify it with `slipway validate`.',
  });
}

/**
 * Extracts an archive that scanArchive already passed, as a second line of defence: node-tar in strict mode
 * with preservePaths off, our own per-entry filter, and any warning treated as failure. Then the extracted tree is
 * verified against SHA256SUMS again. On any failure the staging directory is removed and E_UNSAFE_ARCHIVE thrown.
 */
export async function extractPackage(opts: ExtractOptions): Promise<{ files: number }> {
  const problems: ArchiveProblem[] = [];
  const tree = new TreeTracker();
  let entries = 0;
  let total = 0;
  await mkdir(opts.dest, { recursive: false });
  try {
    // Test hook: a synchronous pause blocks extraction itself, so a SIGKILL lands with the tree half written.
    const pause = opts.delayMs
      ? () => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, opts.delayMs)
      : null;
    await extractTar({
      file: opts.file,
      cwd: opts.dest,
      strict: true,
      preservePaths: false,
      preserveOwner: false,
      unlink: false,
      noChmod: false,
      filter: (_p: string, entry: unknown) => {
        const e = entry as ReadEntry;
        entries++;
        total += e.size ?? 0;
        if (entries > opts.limits.maxEntries || total > opts.limits.maxTotalBytes) {
          problems.push(
            entries > opts.limits.maxEntries
              ? { code: 'too-many-entries', message: `more than ${opts.limits.maxEntries} entries` }
              : { code: 'too-large', message: `content over the ${opts.limits.maxTotalBytes}-byte limit` },
          );
          return false;
        }
        const checked = checkEntry(
          { path: e.path, type: e.type, size: e.size ?? 0, mode: e.mode, linkpath: e.linkpath },
          opts.limits,
        );
        if ('code' in checked) {
          problems.push(checked);
          return false;
        }
        const conflict = tree.add(checked.path, e.type);
        if (conflict) {
          problems.push(conflict);
          return false;
        }
        return true;
      },
      onwarn: (code: string, message: string | Error) => {
        problems.push({
          code: 'tar-warning',
          message: `${code}: ${message instanceof Error ? message.message : message}`,
        });
      },
      ...(pause ? { onReadEntry: () => void pause() } : {}),
    });
    if (problems.length) throw unsafeArchiveError(opts.file, problems);
    const verified = await verifyTree(opts.dest, { sync: true });
    if (!verified.ok)
      throw unsafeArchiveError(opts.file, verified.problems, 'extracted tree does not match SHA256SUMS for');
    return { files: verified.files };
  } catch (e) {
    await removeStaging(opts.dest);
    if (e instanceof SlipwayError) throw e;
    throw unsafeArchiveError(opts.file, [...problems, { code: 'extract-failed', message: (e as Error).message }]);
  }
}

/**
 * Removes a failed staging dir. node-tar rejects on the first strict error while writes it already started may
 * still land, so retry (ENOTEMPTY) and sweep once more after they settle.
 */
async function removeStaging(dest: string): Promise<void> {
  await rm(dest, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
  await new Promise((r) => setTimeout(r, 50));
  await rm(dest, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
}
