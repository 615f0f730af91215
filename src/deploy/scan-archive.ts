import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { createGunzip } from 'node:zlib';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Parser, type ReadEntry } from 'tar';
import { checkEntry, TreeTracker, type ArchiveProblem, type ExtractLimits } from './archive-rules.js';
import { compareSums, parseSums, SUMS_FILE } from './sums.js';

/** Files read into memory during the scan (small metadata the later steps need). */
const KEPT_FILES = new Set([
  'build-manifest.json',
  'deployment-info.json',
  'version-compatibility.json',
  'database/changesets.json',
  SUMS_FILE,
]);
const MAX_KEPT_BYTES = 16 * 1024 * 1024;

export interface ArchiveScan {
  ok: boolean;
  problems: ArchiveProblem[];
  entries: number;
  totalBytes: number;
  /** sha256 of every regular file, by normalised path. */
  files: Map<string, string>;
  symlinks: Set<string>;
  sums: Map<string, string>;
  /** Contents of the metadata files (KEPT_FILES) found in the archive. */
  kept: Map<string, Buffer>;
}

/** Sha256 of a whole file, streamed. */
export async function hashFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    h.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: h.digest('hex'), bytes };
}

class StopScan extends Error {}

/**
 * Reads the archive once without writing anything: checks every header against the rules, hashes every file,
 * counts entries and bytes (a decompression bomb is cut off by the byte counter, not by trusting headers), and
 * compares the result with SHA256SUMS. Nothing is extracted until this passes.
 */
export async function scanArchive(file: string, limits: ExtractLimits): Promise<ArchiveScan> {
  const problems: ArchiveProblem[] = [];
  const files = new Map<string, string>();
  const symlinks = new Set<string>();
  const kept = new Map<string, Buffer>();
  const tree = new TreeTracker();
  let entries = 0;
  let totalBytes = 0;
  let streamBytes = 0;
  const fail = (p: ArchiveProblem) => {
    problems.push(p);
    if (problems.length >= 50) throw new StopScan();
  };

  const parser = new Parser({
    strict: true,
    onwarn: (code: string, message: string | Error) =>
      fail({
        code: 'tar-warning',
        message: `${code}: ${String(message instanceof Error ? message.message : message)}`,
      }),
    onReadEntry: (entry: ReadEntry) => {
      try {
        onEntry(entry);
      } catch (e) {
        entry.resume();
        if (e instanceof StopScan) parser.abort(new Error('too many problems'));
        else throw e;
      }
    },
  });

  const onEntry = (entry: ReadEntry) => {
    entries++;
    if (entries > limits.maxEntries) {
      problems.push({ code: 'too-many-entries', message: `more than ${limits.maxEntries} entries` });
      throw new StopScan();
    }
    const checked = checkEntry(
      { path: entry.path, type: entry.type, size: entry.size ?? 0, mode: entry.mode, linkpath: entry.linkpath },
      limits,
    );
    if ('code' in checked) {
      fail(checked);
      entry.resume();
      return;
    }
    const p = checked.path;
    const conflict = tree.add(p, entry.type);
    if (conflict) fail(conflict);
    if (entry.type === 'SymbolicLink') symlinks.add(p);
    totalBytes += entry.size ?? 0;
    if (totalBytes > limits.maxTotalBytes) {
      problems.push({ code: 'too-large', message: `content over the ${limits.maxTotalBytes}-byte limit` });
      throw new StopScan();
    }
    if (entry.type !== 'File' && entry.type !== 'OldFile') {
      entry.resume();
      return;
    }
    const h = createHash('sha256');
    const keep = KEPT_FILES.has(p) && (entry.size ?? 0) <= MAX_KEPT_BYTES ? ([] as Buffer[]) : null;
    entry.on('data', (c: Buffer) => {
      h.update(c);
      keep?.push(c);
    });
    entry.on('end', () => {
      files.set(p, h.digest('hex'));
      if (keep) kept.set(p, Buffer.concat(keep));
    });
  };

  // Counts decompressed bytes: a bomb that inflates past the limit stops here whatever its headers claim.
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      streamBytes += chunk.length;
      if (streamBytes > limits.maxTotalBytes + 1024 * 1024 + limits.maxEntries * 1024) {
        cb(new StopScan('bomb'));
        return;
      }
      cb(null, chunk);
    },
  });

  const gz = await isGzip(file);
  try {
    const parserDone = new Promise<void>((resolve, reject) => {
      parser.on('end', resolve);
      parser.on('error', reject);
      parser.on('abort', (e: Error) => reject(e));
    });
    const stages = gz ? [createReadStream(file), createGunzip(), counter] : [createReadStream(file), counter];
    await Promise.all([
      pipeline(stages[0]!, ...(stages.slice(1) as [Transform]), parser as unknown as NodeJS.WritableStream),
      parserDone,
    ]);
  } catch (e) {
    if (e instanceof StopScan && e.message === 'bomb') {
      problems.push({ code: 'bomb', message: `archive inflates past the ${limits.maxTotalBytes}-byte limit` });
    } else if (!(e instanceof StopScan) && problems.length === 0) {
      problems.push({ code: 'corrupt', message: `not a readable tar archive: ${(e as Error).message}` });
    }
  }
  if (entries === 0 && problems.length === 0) problems.push({ code: 'empty', message: 'archive has no entries' });

  const sumsText = kept.get(SUMS_FILE);
  let sums = new Map<string, string>();
  if (problems.length === 0) {
    if (!sumsText) problems.push({ code: 'sums-missing', message: 'package has no SHA256SUMS' });
    else {
      const parsed = parseSums(sumsText.toString('utf8'), limits);
      sums = parsed.sums;
      problems.push(...parsed.problems);
      if (parsed.problems.length === 0) problems.push(...compareSums(sums, files, symlinks));
    }
  }
  return { ok: problems.length === 0, problems, entries, totalBytes, files, symlinks, sums, kept };
}

async function isGzip(file: string): Promise<boolean> {
  for await (const chunk of createReadStream(file, { start: 0, end: 1 })) {
    const b = chunk as Buffer;
    return b[0] === 0x1f && b[1] === 0x8b;
  }
  return false;
}
