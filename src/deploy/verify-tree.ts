import { lstat, open, readdir, readlink, readFile } from 'node:fs/promises';
import path from 'node:path';
import { sha256Hasher } from '../fileset/hash.js';
import { checkSymlinkTarget, DEFAULT_LIMITS, resolveLink, type ArchiveProblem } from './archive-rules.js';
import { compareSums, parseSums, SUMS_FILE } from './sums.js';
import { mapLimit } from '../map-limit.js';

/** Files hashed (and fsynced) at once: concurrent fsyncs share the filesystem's journal commits. */
const HASH_CONCURRENCY = 16;

export interface TreeVerification {
  ok: boolean;
  problems: ArchiveProblem[];
  files: number;
}

/** Hashes a file and fsyncs it (so a verified release is also a durable one). */
async function hashAndSync(file: string, sync: boolean): Promise<string> {
  const fh = await open(file, 'r');
  try {
    const h = sha256Hasher();
    for await (const chunk of fh.createReadStream({ autoClose: false })) h.update(chunk as Buffer);
    if (sync) await fh.sync();
    return h.hex();
  } finally {
    await fh.close();
  }
}

/**
 * Verifies an extracted tree against its own SHA256SUMS: only files, directories and symlinks that resolve inside
 * the tree (followed link by link, see resolveLink), no setuid/setgid/sticky bits, nothing world-writable, every
 * file listed and matching. `ignore` names the entries Slipway itself adds (the shared-path links); they and
 * `external` (shared paths not linked yet) may be entered by a package link but never climbed out of. With
 * `select` (a tree extracted with the same `select`), only the SHA256SUMS lines of the paths it accepts must be
 * present; every file there must still be listed and match.
 */
export async function verifyTree(
  dir: string,
  opts: { sync?: boolean; ignore?: string[]; external?: string[]; select?: (path: string) => boolean } = {},
): Promise<TreeVerification> {
  const problems: ArchiveProblem[] = [];
  const actual = new Map<string, string>();
  const symlinks = new Map<string, string>();
  const files: string[] = [];
  const ignore = new Set(opts.ignore ?? []);
  const walk = async (rel: string): Promise<void> => {
    const names = await readdir(path.join(dir, rel));
    for (const name of names.sort()) {
      const p = rel ? `${rel}/${name}` : name;
      if (ignore.has(p)) continue;
      const abs = path.join(dir, p);
      const st = await lstat(abs);
      if (st.mode & 0o7000)
        problems.push({ code: 'SPECIAL_BITS', message: `${p} has setuid/setgid/sticky bits`, path: p });
      if (!st.isSymbolicLink() && st.mode & 0o002)
        problems.push({ code: 'WORLD_WRITABLE', message: `${p} is world-writable`, path: p });
      if (st.isSymbolicLink()) {
        const target = await readlink(abs);
        symlinks.set(p, target);
        const bad = checkSymlinkTarget(p, target);
        if (bad) problems.push(bad);
      } else if (st.isDirectory()) await walk(p);
      else if (st.isFile()) files.push(p);
      else
        problems.push({ code: 'SPECIAL_FILE', message: `${p} is not a regular file, directory or symlink`, path: p });
    }
  };
  try {
    await walk('');
    const digests = await mapLimit(files, HASH_CONCURRENCY, (p) => hashAndSync(path.join(dir, p), opts.sync === true));
    files.forEach((p, i) => actual.set(p, digests[i]!));
    const external = new Set([...ignore, ...(opts.external ?? [])]);
    for (const p of symlinks.keys()) {
      const bad = resolveLink(p, (q) => symlinks.get(q), external);
      if (bad && !problems.some((x) => x.path === p)) problems.push(bad);
    }
    const sumsText = await readFile(path.join(dir, SUMS_FILE), 'utf8');
    const parsed = parseSums(sumsText, DEFAULT_LIMITS);
    const select = opts.select;
    const sums = select ? new Map([...parsed.sums].filter(([p]) => select(p))) : parsed.sums;
    problems.push(...parsed.problems, ...compareSums(sums, actual, new Set(symlinks.keys())));
  } catch (e) {
    problems.push({ code: 'UNREADABLE', message: `cannot verify ${dir}: ${(e as Error).message}` });
  }
  return { ok: problems.length === 0, problems, files: actual.size };
}
