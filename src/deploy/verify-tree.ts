import { lstat, open, readdir, readlink, readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { checkSymlinkTarget, DEFAULT_LIMITS, type ArchiveProblem } from './archive-rules.js';
import { compareSums, parseSums, SUMS_FILE } from './sums.js';

export interface TreeVerification {
  ok: boolean;
  problems: ArchiveProblem[];
  files: number;
}

/** Hashes a file and fsyncs it (so a verified release is also a durable one). */
async function hashAndSync(file: string, sync: boolean): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const h = createHash('sha256');
    for await (const chunk of fh.createReadStream({ autoClose: false })) h.update(chunk as Buffer);
    if (sync) await fh.sync();
    return h.digest('hex');
  } finally {
    await fh.close();
  }
}

/**
 * Verifies an extracted tree against its own SHA256SUMS: only files, directories and in-tree symlinks, no
 * setuid/setgid/sticky bits, every file listed and matching. `ignore` names top-level entries Slipway itself
 * adds (the shared-path links).
 */
export async function verifyTree(
  dir: string,
  opts: { sync?: boolean; ignore?: string[] } = {},
): Promise<TreeVerification> {
  const problems: ArchiveProblem[] = [];
  const actual = new Map<string, string>();
  const symlinks = new Set<string>();
  const ignore = new Set(opts.ignore ?? []);
  const walk = async (rel: string): Promise<void> => {
    const names = await readdir(path.join(dir, rel));
    for (const name of names.sort()) {
      const p = rel ? `${rel}/${name}` : name;
      if (ignore.has(p)) continue;
      const abs = path.join(dir, p);
      const st = await lstat(abs);
      if (st.mode & 0o7000)
        problems.push({ code: 'special-bits', message: `${p} has setuid/setgid/sticky bits`, path: p });
      if (st.isSymbolicLink()) {
        symlinks.add(p);
        const bad = checkSymlinkTarget(p, await readlink(abs));
        if (bad) problems.push(bad);
      } else if (st.isDirectory()) await walk(p);
      else if (st.isFile()) actual.set(p, await hashAndSync(abs, opts.sync === true));
      else
        problems.push({ code: 'special-file', message: `${p} is not a regular file, directory or symlink`, path: p });
    }
  };
  try {
    await walk('');
    const sumsText = await readFile(path.join(dir, SUMS_FILE), 'utf8');
    const parsed = parseSums(sumsText, DEFAULT_LIMITS);
    problems.push(...parsed.problems, ...compareSums(parsed.sums, actual, symlinks));
  } catch (e) {
    problems.push({ code: 'unreadable', message: `cannot verify ${dir}: ${(e as Error).message}` });
  }
  return { ok: problems.length === 0, problems, files: actual.size };
}
